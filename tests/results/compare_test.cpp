// khsweep compare: KH configurations against their baselines, paired by seed, on a constructed store
// whose per-seed differences are known; unpaired seeds, one-pair groups, failed and diverged runs.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <sstream>

#include "../support/command_output.hpp"
#include "../support/scratch.hpp"
#include "../support/unit_store.hpp"
#include "khsweep/cli/commands.hpp"
#include "khsweep/results/aggregate.hpp"
#include "khsweep/results/compare.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/index.hpp"

using namespace khsweep;
using namespace khsweep::testing;

namespace {

// A run whose max_val_accuracy is `accuracy` and min_val_mse is `1 - accuracy` (one evaluated epoch);
// its training accuracy is 0.05 above that without KH, 0.01 above with KH.
store::CommittedRun run(int number, int hidden, model::KhVariant kh, double eps0, std::uint64_t seed, double accuracy) {
  store::CommittedRun r =
      unit_run(unit_run_id(static_cast<unsigned>(number)), kh == model::KhVariant::none ? "baseline" : "kh", hidden, seed);
  auto& c = r.params.config;
  c.epochs = 1;
  c.kh = kh;
  c.kh_eps0 = eps0;
  train::EpochRecord rec;
  rec.epoch = 0;
  rec.evaluated = true;
  rec.validation.accuracy = accuracy;
  rec.validation.mse = 1.0 - accuracy;
  rec.train.accuracy = accuracy + (kh == model::KhVariant::none ? 0.05 : 0.01);
  r.result.curves.push_back(rec);
  return r;
}

constexpr double kBase = 0.90;
double base_accuracy(std::uint64_t seed) { return kBase + 0.001 * static_cast<double>(seed); }

// hidden 10: baseline seeds 1-4; KH top_down (eps0 0.01) seeds 1-3 and 5, each 0.01 * seed better
//   than its baseline (seed 4: baseline only; seed 5: KH only); KH bottom_up seeds 1-3, 0.02 worse.
// hidden 20: baseline seeds 1-2; KH seed 1 only, 0.05 worse: one pair.
// hidden 30: baseline and KH seeds 1-4, KH 0.03 better; KH seed 2 diverged, baseline seed 3 failed.
// hidden 40: KH seeds 1-2 and no baseline at all.
void make_store(const std::filesystem::path& path) {
  using model::KhVariant;
  std::vector<store::CommittedRun> runs;
  int n = 1;
  for (std::uint64_t s = 1; s <= 4; ++s) runs.push_back(run(n++, 10, KhVariant::none, 0, s, base_accuracy(s)));
  for (std::uint64_t s : {1, 2, 3, 5})
    runs.push_back(run(n++, 10, KhVariant::top_down, 0.01, s, base_accuracy(s) + 0.01 * static_cast<double>(s)));
  for (std::uint64_t s = 1; s <= 3; ++s)
    runs.push_back(run(n++, 10, KhVariant::bottom_up, 0.01, s, base_accuracy(s) - 0.02));
  for (std::uint64_t s = 1; s <= 2; ++s) runs.push_back(run(n++, 20, KhVariant::none, 0, s, base_accuracy(s)));
  runs.push_back(run(n++, 20, KhVariant::top_down, 0.01, 1, base_accuracy(1) - 0.05));
  for (std::uint64_t s = 1; s <= 4; ++s) {
    store::CommittedRun b = run(n++, 30, KhVariant::none, 0, s, base_accuracy(s));
    if (s == 3) {
      b.failure = "boom";
      b.result = {};
    }
    runs.push_back(b);
    store::CommittedRun k = run(n++, 30, KhVariant::top_down, 0.01, s, base_accuracy(s) + 0.03);
    if (s == 2) {
      k.result.status = train::RunStatus::diverged;
      k.result.reason = "NaN weights";
    }
    runs.push_back(k);
  }
  for (std::uint64_t s = 1; s <= 2; ++s) runs.push_back(run(n++, 40, KhVariant::top_down, 0.01, s, 0.5));
  write_store(path, test_job_info(), runs);
}

std::vector<std::size_t> all_rows(const store::IndexTable& t) {
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < t.rows; ++r) rows.push_back(r);
  return rows;
}

const results::Comparison& comparison(const store::IndexTable& t, const std::vector<results::Comparison>& all,
                                      int hidden, const std::string& kh) {
  for (const auto& c : all) {
    const std::size_t r = c.kh_rows.front();
    if (t.find("hidden")->numbers[r] == hidden && t.find("kh")->text[r] == kh) return c;
  }
  BOOST_FAIL("no comparison for hidden " << hidden << " " << kh);
  return all.front();
}

std::vector<std::uint64_t> seeds_of(const results::Comparison& c) {
  std::vector<std::uint64_t> s;
  for (const auto& p : c.pairs) s.push_back(p.seed);
  return s;
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-12 * std::max(1.0, std::fabs(b)); }

CommandOutput compare(const std::vector<std::string>& args) {
  return capture_output([&] { return cli::compare_command(args); });
}

struct Fixture {
  ScratchDir dir{"khsweep-compare-test-"};
  std::filesystem::path path = dir / "s.h5";
  store::IndexTable table;
  Fixture() {
    make_store(path);
    table = store::read_index(h5::File::open_read(path));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(differences_t_test_and_wins_match_the_constructed_values, Fixture) {
  const auto all = results::compare_to_baselines(table, all_rows(table), "max_val_accuracy", {});
  BOOST_TEST(all.size() == 5u);  // top_down at 10, 20, 30, 40 and bottom_up at 10
  const auto& td = comparison(table, all, 10, "top_down");
  BOOST_TEST(seeds_of(td) == (std::vector<std::uint64_t>{1, 2, 3}));
  // Differences 0.01, 0.02, 0.03: mean 0.02, sd 0.01, t = 2 sqrt(3), and for 2 degrees of freedom
  // the two-sided p-value is 1 - t / sqrt(2 + t^2) = 1 - sqrt(6/7).
  BOOST_TEST(td.difference.n == 3);
  BOOST_TEST(close(td.difference.mean, 0.02));
  BOOST_TEST(close(td.difference.sd, 0.01));
  BOOST_TEST(close(td.difference.se, 0.01 / std::sqrt(3.0)));
  BOOST_TEST(std::fabs(td.t - 2 * std::sqrt(3.0)) < 1e-9);
  BOOST_TEST(std::fabs(td.p_value - (1 - std::sqrt(6.0 / 7.0))) < 1e-9);
  BOOST_TEST(td.kh_wins == 3);
  BOOST_TEST(td.baseline_wins == 0);
  BOOST_TEST(close(td.baseline.mean, kBase + 0.002));
  BOOST_TEST(close(td.kh.mean, kBase + 0.022));
  // Seed 5 has no baseline, seed 4 no KH run: both ignored and listed.
  BOOST_TEST(td.left_out.size() == 2u);
  BOOST_TEST(td.count(results::Unpaired::no_kh_run) == 1);
  BOOST_TEST(td.count(results::Unpaired::no_baseline_run) == 1);
  BOOST_TEST(td.left_out[0].seed == 4u);
  BOOST_TEST(td.left_out[1].seed == 5u);

  // Another KH variant shares the same baseline; every pair is worse by 0.02 exactly (sd 0: t is infinite).
  const auto& bu = comparison(table, all, 10, "bottom_up");
  BOOST_TEST(bu.pairs.size() == 3u);
  BOOST_TEST(close(bu.difference.mean, -0.02));
  BOOST_TEST(bu.kh_wins == 0);
  BOOST_TEST(bu.baseline_wins == 3);
  BOOST_TEST(bu.count(results::Unpaired::no_kh_run) == 1);  // baseline seed 4
}

BOOST_FIXTURE_TEST_CASE(lower_is_better_metrics_count_wins_the_other_way, Fixture) {
  const auto all = results::compare_to_baselines(table, all_rows(table), "min_val_mse", {});
  const auto& td = comparison(table, all, 10, "top_down");
  BOOST_TEST(close(td.difference.mean, -0.02));  // mse = 1 - accuracy
  BOOST_TEST(td.kh_wins == 3);
  BOOST_TEST(std::fabs(td.p_value - (1 - std::sqrt(6.0 / 7.0))) < 1e-9);
}

BOOST_FIXTURE_TEST_CASE(the_accuracy_gap_is_train_minus_validation_and_smaller_is_better, Fixture) {
  const auto all = results::compare_to_baselines(table, all_rows(table), results::kAccuracyGap, {});
  const auto& td = comparison(table, all, 10, "top_down");
  BOOST_TEST(td.pairs.size() == 3u);
  BOOST_TEST(std::fabs(td.kh.mean - 0.01) < 1e-12);
  BOOST_TEST(std::fabs(td.baseline.mean - 0.05) < 1e-12);
  BOOST_TEST(std::fabs(td.difference.mean + 0.04) < 1e-12);
  BOOST_TEST(td.kh_wins == 3);
}

BOOST_FIXTURE_TEST_CASE(one_pair_has_no_standard_error_or_p_value, Fixture) {
  const auto all = results::compare_to_baselines(table, all_rows(table), "max_val_accuracy", {});
  const auto& one = comparison(table, all, 20, "top_down");
  BOOST_TEST(one.pairs.size() == 1u);
  BOOST_TEST(close(one.difference.mean, -0.05));
  BOOST_TEST(std::isnan(one.difference.se));
  BOOST_TEST(std::isnan(one.p_value));
  BOOST_TEST(one.count(results::Unpaired::no_kh_run) == 1);  // baseline seed 2
}

BOOST_FIXTURE_TEST_CASE(diverged_runs_are_left_out_unless_asked_for_and_failed_runs_never_pair, Fixture) {
  auto all = results::compare_to_baselines(table, all_rows(table), "max_val_accuracy", {});
  const auto& c = comparison(table, all, 30, "top_down");
  BOOST_TEST(seeds_of(c) == (std::vector<std::uint64_t>{1, 4}));
  BOOST_TEST(c.count(results::Unpaired::diverged) == 1);
  BOOST_TEST(c.count(results::Unpaired::failed) == 1);
  BOOST_TEST(c.diverged_pairs() == 0);
  BOOST_TEST(close(c.difference.mean, 0.03));

  results::CompareOptions with;
  with.include_diverged = true;
  all = results::compare_to_baselines(table, all_rows(table), "max_val_accuracy", with);
  const auto& d = comparison(table, all, 30, "top_down");
  BOOST_TEST(seeds_of(d) == (std::vector<std::uint64_t>{1, 2, 4}));
  BOOST_TEST(d.diverged_pairs() == 1);
  BOOST_TEST(d.count(results::Unpaired::failed) == 1);  // failed runs have no result to include

  const auto& none = comparison(table, all, 40, "top_down");
  BOOST_TEST(none.baseline_rows == 0);
  BOOST_TEST(none.pairs.empty());
}

BOOST_FIXTURE_TEST_CASE(where_selects_the_kh_runs_and_baselines_come_from_the_whole_store, Fixture) {
  const CommandOutput o = compare({path.string(), "--metric", "max_val_accuracy", "--where", "hidden=10,kh=top_down"});
  BOOST_TEST(o.code == 0, o.err);
  // One configuration, its difference in the paper's notation (percentage points), p, wins.
  BOOST_TEST(o.out.find("+2.0(6)") != std::string::npos, o.out);
  BOOST_TEST(o.out.find("0.074") != std::string::npos, o.out);
  BOOST_TEST(o.out.find("3/3") != std::string::npos, o.out);
  BOOST_TEST(o.out.find("#1: seed 4: no KH run with this seed, ignored") != std::string::npos, o.out);
  BOOST_TEST(o.out.find("#1: seed 5: no baseline run with this seed, ignored") != std::string::npos, o.out);
  BOOST_TEST(o.out.find("3 pairs in 1 configuration; left out: 0 diverged, 0 failed, 0 not measured; 2 unpaired seeds ignored") !=
                 std::string::npos,
             o.out);
}

BOOST_FIXTURE_TEST_CASE(the_table_says_aloud_what_was_left_out, Fixture) {
  const CommandOutput o = compare({path.string(), "--metric", "max_val_accuracy"});
  BOOST_TEST(o.code == 0, o.err);
  BOOST_TEST(o.out.find("one pair: no standard error or p-value") != std::string::npos, o.out);
  BOOST_TEST(o.out.find("seed 2: diverged, left out (--include-diverged pairs them)") != std::string::npos, o.out);
  BOOST_TEST(o.out.find("seed 3: failed, left out") != std::string::npos, o.out);
  BOOST_TEST(o.out.find("no baseline (kh=none) runs of this configuration in the store") != std::string::npos, o.out);
  BOOST_TEST(o.out.find("left out: 1 diverged, 1 failed") != std::string::npos, o.out);

  const CommandOutput marked = compare({path.string(), "--metric", "max_val_accuracy", "--include-diverged"});
  BOOST_TEST(marked.out.find("1 pair with a diverged run included (*)") != std::string::npos, marked.out);
  BOOST_TEST(marked.out.find("3*") != std::string::npos, marked.out);
}

BOOST_FIXTURE_TEST_CASE(csv_and_json_carry_the_raw_values, Fixture) {
  const CommandOutput csv = compare({path.string(), "--metric", "max_val_accuracy", "--where", "hidden=10,kh=top_down",
                              "--format", "csv"});
  BOOST_TEST(csv.code == 0, csv.err);
  std::istringstream lines(csv.out);
  std::string header, row, extra;
  std::getline(lines, header);
  std::getline(lines, row);
  BOOST_TEST(!std::getline(lines, extra));
  BOOST_TEST(header.rfind("index,kh,eps0,delta,S,metric,pairs,paired_seeds,", 0) == 0, header);
  BOOST_TEST(row.find(",max_val_accuracy,3,\"1,2,3\",0,") != std::string::npos, row);
  const auto header_fields = csv_fields(header), row_fields = csv_fields(row);
  BOOST_TEST(header_fields.size() == row_fields.size());
  const auto field = [&](const std::string& name) {
    const auto at = std::find(header_fields.begin(), header_fields.end(), name);
    BOOST_REQUIRE(at != header_fields.end());
    return row_fields.at(static_cast<std::size_t>(at - header_fields.begin()));
  };
  BOOST_TEST(std::fabs(std::stod(field("difference_mean")) - 0.02) < 1e-12);  // raw, as a fraction
  BOOST_TEST(std::fabs(std::stod(field("difference_sd")) - 0.01) < 1e-12);
  BOOST_TEST(field("df") == "2");
  BOOST_TEST(field("kh_better") == "3");
  BOOST_TEST(field("no_baseline_run") == "1");

  const CommandOutput json = compare({path.string(), "--metric", "max_val_accuracy", "--where", "hidden=20", "--format", "json"});
  BOOST_TEST(json.code == 0, json.err);
  BOOST_TEST(json.out.find("\"pairs\": [{\"seed\": 1,") != std::string::npos, json.out);
  BOOST_TEST(json.out.find("\"se\": null") != std::string::npos, json.out);
  BOOST_TEST(json.out.find("\"p_value\": null") != std::string::npos, json.out);
  BOOST_TEST(json.out.find("\"why\": \"no KH run with this seed\"") != std::string::npos, json.out);
}

BOOST_FIXTURE_TEST_CASE(bad_arguments_are_refused_before_reading, Fixture) {
  CommandOutput o = compare({path.string()});
  BOOST_TEST(o.code == 2);
  BOOST_TEST(o.err.find("--metric M is required") != std::string::npos, o.err);
  o = compare({path.string(), "--metric", "max_val_acuracy"});
  BOOST_TEST(o.code == 2);
  BOOST_TEST(o.err.find("did you mean 'max_val_accuracy'") != std::string::npos, o.err);
  o = compare({(dir / "missing.h5").string(), "--metric", "max_val_accuracy"});
  BOOST_TEST(o.code == 3);
  BOOST_TEST(o.err.find("missing.h5: no such store") != std::string::npos, o.err);
  o = compare({path.string(), "--metric", "max_val_accuracy", "--where", "kh=bottom_up,hidden=40"});
  BOOST_TEST(o.code == 0);
  BOOST_TEST(o.out.find("no KH runs") != std::string::npos, o.out);
}
