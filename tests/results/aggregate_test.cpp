// khsweep aggregate / best: group statistics, curves, write-back, pivots and best choices,
// checked against values computed here from the raw /runs rows and the known synthetic curves.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstring>
#include <iostream>
#include <iterator>
#include <sstream>

#include "../support/command_output.hpp"
#include "../support/scratch.hpp"
#include "../support/unit_store.hpp"
#include "khsweep/cli/commands.hpp"
#include "khsweep/results/aggregate.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/index.hpp"
#include "khsweep/store/sweep_store.hpp"

using namespace khsweep;
using namespace khsweep::testing;

namespace {

// The validation accuracy of a run at epoch e: base + seed / 100 + e / 1000; its val mse mirrors it.
double accuracy_at(double base, std::uint64_t seed, int e) { return base + static_cast<double>(seed) / 100 + e / 1000.0; }
double mse_at(double base, std::uint64_t seed, int e) { return 0.5 - accuracy_at(base, seed, e) / 4; }

store::CommittedRun run(int number, int hidden, model::KhVariant kh, double eps0, double delta, std::uint64_t seed,
                        double base, int epochs = 3) {
  store::CommittedRun r =
      unit_run(unit_run_id(static_cast<unsigned>(number)), kh == model::KhVariant::none ? "baseline" : "kh", hidden, seed, 0.1);
  r.train_samples = 0;  // not recorded
  r.validation_samples = 0;
  auto& c = r.params.config;
  c.epochs = 3;
  c.kh = kh;
  c.kh_eps0 = eps0;
  c.kh_delta = delta;
  for (int e = 0; e < epochs; ++e) {
    train::EpochRecord rec;
    rec.epoch = e;
    rec.evaluated = true;
    rec.validation.accuracy = accuracy_at(base, seed, e);
    rec.validation.mse = mse_at(base, seed, e);
    rec.train_seconds = 1.0 + static_cast<double>(seed);
    r.result.curves.push_back(rec);
  }
  r.result.receptive_field_overlap = 0.3 + static_cast<double>(seed) / 10;
  return r;
}

// Groups (3 seeds each): baseline and top_down x eps0 {0.01, 0.02} x delta {0.2, 0.4} at hidden 10;
// baseline and top_down 0.01/0.4 at hidden 20 (its seed 3 trained 2 epochs only); bottom_up at 10 only.
// A failed run joins the hidden-10 baseline group and must not count.
void make_store(const std::filesystem::path& path) {
  using model::KhVariant;
  std::vector<store::CommittedRun> runs;
  int number = 1;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    runs.push_back(run(number++, 10, KhVariant::none, 0, 0, seed, 0.80));
    runs.push_back(run(number++, 10, KhVariant::top_down, 0.01, 0.2, seed, 0.82));
    runs.push_back(run(number++, 10, KhVariant::top_down, 0.01, 0.4, seed, 0.85));  // best at 10
    runs.push_back(run(number++, 10, KhVariant::top_down, 0.02, 0.2, seed, 0.81));
    runs.push_back(run(number++, 10, KhVariant::top_down, 0.02, 0.4, seed, 0.79));
    runs.push_back(run(number++, 20, KhVariant::none, 0, 0, seed, 0.88));
    runs.push_back(run(number++, 20, KhVariant::top_down, 0.01, 0.4, seed, 0.90, seed == 3 ? 2 : 3));
    runs.push_back(run(number++, 10, KhVariant::bottom_up, 0.01, 0.4, seed, 0.83));
  }
  store::CommittedRun failed = run(number++, 10, KhVariant::none, 0, 0, 4, 0.80);
  failed.failure = "boom";
  failed.result = {};
  runs.push_back(failed);
  write_store(path, test_job_info(), runs);
}

store::IndexTable index_of(const std::filesystem::path& path) {
  return store::read_index(h5::File::open_read(path));
}

std::vector<std::size_t> all_rows(const store::IndexTable& t) {
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < t.rows; ++r) rows.push_back(r);
  return rows;
}

results::Aggregate aggregate_of(const std::filesystem::path& path, const store::IndexTable& table) {
  const h5::File file = h5::File::open_read(path);
  return results::aggregate_runs(table, all_rows(table), &file);
}

// The group whose first row has these values.
const results::GroupAggregate& group_with(const store::IndexTable& t, const results::Aggregate& a, int hidden,
                                          const std::string& kh, double eps0, double delta) {
  for (const auto& g : a.groups) {
    const std::size_t r = g.rows.front();
    if (t.find("hidden")->numbers[r] == hidden && t.find("kh")->text[r] == kh &&
        (kh == "none" || (t.find("eps0")->numbers[r] == eps0 && t.find("delta")->numbers[r] == delta)))
      return g;
  }
  BOOST_FAIL("no such group");
  return a.groups.front();
}

struct HandStats {
  int n = 0;
  double mean = 0, sd = 0, se = 0;
};
HandStats by_hand(const std::vector<double>& v) {
  HandStats h;
  h.n = static_cast<int>(v.size());
  for (double x : v) h.mean += x;
  h.mean /= h.n;
  for (double x : v) h.sd += (x - h.mean) * (x - h.mean);
  h.sd = std::sqrt(h.sd / (h.n - 1));
  h.se = h.sd / std::sqrt(h.n);
  return h;
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-12 * std::max(1.0, std::fabs(b)); }

}  // namespace

BOOST_AUTO_TEST_CASE(paper_notation_of_metrics) {
  results::Stats s;
  s.n = 3;
  s.mean = 0.9654;
  s.se = 0.0012;
  BOOST_TEST(results::format_stats("max_val_accuracy", s) == "96.5(1)");
  s.se = 0.0026;
  BOOST_TEST(results::format_stats("max_val_accuracy", s) == "96.5(3)");
  BOOST_TEST(results::paper_notation(96.54, 0.12, 1) == "96.5(1)");
  BOOST_TEST(results::paper_notation(96.54, 0.26, 1) == "96.5(3)");
  s.mean = 0.012345;
  s.se = 0.00012;
  BOOST_TEST(results::format_stats("min_val_mse", s) == "0.0123(1)");
  s.n = 1;
  s.se = NAN;
  BOOST_TEST(results::format_stats("min_val_mse", s) == "0.0123");
  s.n = 0;
  BOOST_TEST(results::format_stats("min_val_mse", s) == "-");
  BOOST_TEST(results::lower_is_better("min_val_mse"));
  BOOST_TEST(!results::lower_is_better("max_val_accuracy"));
  BOOST_TEST(!results::lower_is_better("final_val_pll"));
}

BOOST_AUTO_TEST_CASE(group_statistics_match_a_hand_computation_from_the_raw_rows) {
  ScratchDir dir("khsweep-aggregate-test-");
  const auto path = dir / "s.h5";
  make_store(path);
  const store::IndexTable t = index_of(path);
  BOOST_TEST(t.rows == 25u);
  const results::Aggregate a = aggregate_of(path, t);
  BOOST_TEST(a.groups.size() == 8u);
  BOOST_TEST(a.summarised_runs == 24u);  // not the failed run
  BOOST_TEST(a.store_runs == 25u);
  // Label columns: what varies (hidden, kh, eps0, delta, and the KH-only columns S, l, p, R), never the seed.
  const auto labels_have = [&](const char* c) {
    return std::find(a.label_columns.begin(), a.label_columns.end(), c) != a.label_columns.end();
  };
  BOOST_TEST(!labels_have("seed"));
  BOOST_TEST(labels_have("hidden"));

  for (const auto& g : a.groups) {
    BOOST_TEST(g.rows.size() == 3u);
    for (std::size_t m = 0; m < results::summary_metrics().size(); ++m) {
      const std::string& metric = results::summary_metrics()[m];
      std::vector<double> v;
      for (std::size_t r : g.rows) v.push_back(results::summary_value(t, metric, r));
      if (std::isnan(v.front())) {
        BOOST_TEST(g.summary[m].n == 0, metric);
        continue;
      }
      const HandStats h = by_hand(v);
      BOOST_TEST(g.summary[m].n == h.n, metric);
      BOOST_TEST(close(g.summary[m].mean, h.mean), metric << " " << g.summary[m].mean << " vs " << h.mean);
      BOOST_TEST(close(g.summary[m].sd, h.sd), metric);
      BOOST_TEST(close(g.summary[m].se, h.se), metric);
    }
  }
  // And against the synthetic values: max accuracy is the last epoch, seeds 1..3 add .01 .. .03.
  const auto& best10 = group_with(t, a, 10, "top_down", 0.01, 0.4);
  const double expected_mean = 0.85 + 0.02 + 0.002;
  BOOST_TEST(close(best10.summary[0].mean, expected_mean));
  BOOST_TEST(close(best10.summary[0].sd, 0.01));
  BOOST_TEST(close(best10.summary[0].se, 0.01 / std::sqrt(3.0)));
  BOOST_TEST(results::format_stats("max_val_accuracy", best10.summary[0]) == "87.2(6)");
}

BOOST_AUTO_TEST_CASE(per_epoch_curves_average_over_the_runs_that_reached_the_epoch) {
  ScratchDir dir("khsweep-aggregate-test-");
  const auto path = dir / "s.h5";
  make_store(path);
  const store::IndexTable t = index_of(path);
  const results::Aggregate a = aggregate_of(path, t);
  const auto& metrics = results::aggregated_curve_metrics();
  const auto at = [&](const std::string& m) {
    return static_cast<std::size_t>(std::find(metrics.begin(), metrics.end(), m) - metrics.begin());
  };
  const auto& g = group_with(t, a, 20, "top_down", 0.01, 0.4);
  BOOST_TEST_REQUIRE(g.curves.size() == 3u);
  for (int e = 0; e < 3; ++e) {
    const auto& p = g.curves[static_cast<std::size_t>(e)];
    BOOST_TEST(p.epoch == e);
    const std::vector<std::uint64_t> seeds = e < 2 ? std::vector<std::uint64_t>{1, 2, 3} : std::vector<std::uint64_t>{1, 2};
    BOOST_TEST(p.n == static_cast<int>(seeds.size()));
    std::vector<double> acc, mse;
    for (auto s : seeds) {
      acc.push_back(accuracy_at(0.90, s, e));
      mse.push_back(mse_at(0.90, s, e));
    }
    const HandStats ha = by_hand(acc), hm = by_hand(mse);
    BOOST_TEST(p.metrics[at("val_accuracy")].n == ha.n);
    BOOST_TEST(close(p.metrics[at("val_accuracy")].mean, ha.mean));
    BOOST_TEST(close(p.metrics[at("val_accuracy")].se, ha.se));
    BOOST_TEST(close(p.metrics[at("val_mse")].mean, hm.mean));
    BOOST_TEST(close(p.metrics[at("val_mse")].se, hm.se));
    BOOST_TEST(p.metrics[at("train_mse")].n == 0);  // never measured: NaN skipped
    BOOST_TEST(std::isnan(p.metrics[at("train_mse")].mean));
  }
}

BOOST_AUTO_TEST_CASE(write_back_is_idempotent_and_reads_back) {
  ScratchDir dir("khsweep-aggregate-test-");
  const auto path = dir / "s.h5";
  make_store(path);
  const store::IndexTable t = index_of(path);
  const results::Aggregate a = aggregate_of(path, t);

  struct Snapshot {
    std::vector<unsigned char> groups;
    std::vector<std::vector<unsigned char>> curves;
    std::vector<std::string> attributes;
  };
  const auto snapshot = [&] {
    Snapshot s;
    const h5::File file = h5::File::open_read(path);
    const h5::Group g = file.open_group("aggregates");
    for (const auto& name : g.attribute_names()) {
      std::string value;
      if (name == "store_runs" || name == "summarised_runs" || name == "include_diverged" || name == "diverged_left_out")
        value = std::to_string(g.attribute<std::uint64_t>(name));
      else
        value = g.attribute<std::string>(name);
      s.attributes.push_back(name + "=" + value);
    }
    const results::TableLayout layout = results::groups_layout(a);
    const h5::Dataset d = g.open_dataset("groups");
    s.groups.assign(layout.row_size * d.vector_length(), 0);
    d.read_table(layout.fields, layout.row_size, s.groups.data(), d.vector_length());
    const results::TableLayout c = results::curves_layout();
    const h5::Group curves = g.open_group("curves");
    BOOST_TEST(curves.child_names().size() == a.groups.size());
    for (std::size_t i = 0; i < a.groups.size(); ++i) {
      const h5::Dataset cd = curves.open_dataset(std::to_string(i));
      std::vector<unsigned char> rows(c.row_size * cd.vector_length(), 0);
      cd.read_table(c.fields, c.row_size, rows.data(), cd.vector_length());
      s.curves.push_back(rows);
      s.attributes.push_back(cd.attribute<std::string>("key") + " " + cd.attribute<std::string>("ids"));
    }
    return s;
  };

  results::store_aggregates(path, a, "", 5.0);
  const Snapshot first = snapshot();
  results::store_aggregates(path, aggregate_of(path, index_of(path)), "", 5.0);
  const Snapshot second = snapshot();
  BOOST_TEST(first.groups == second.groups);
  BOOST_TEST(first.curves == second.curves);
  BOOST_TEST(first.attributes == second.attributes, "attributes differ");
  BOOST_TEST(first.attributes.front() == "schema=khsweep-aggregates/2");

  // The values read back are the aggregate's, and every setting is a column of its own.
  const results::TableLayout layout = results::groups_layout(a);
  const auto field = [&](const std::string& name) -> const h5::Field& {
    const auto it = std::find_if(layout.fields.begin(), layout.fields.end(), [&](const h5::Field& f) { return f.name == name; });
    BOOST_TEST_REQUIRE((it != layout.fields.end()), "no field " << name);
    return *it;
  };
  BOOST_TEST(first.groups.size() == layout.row_size * a.groups.size());
  for (std::size_t i = 0; i < a.groups.size(); ++i) {
    const unsigned char* row = first.groups.data() + i * layout.row_size;
    std::int32_t n = 0;
    double mean = 0, hidden = 0, eps0 = 0;
    std::memcpy(&n, row + field("n").offset, 4);
    std::memcpy(&mean, row + field("max_val_accuracy_mean").offset, 8);
    std::memcpy(&hidden, row + field("hidden").offset, 8);
    std::memcpy(&eps0, row + field("eps0").offset, 8);
    const std::string kh = h5::get_fixed_string(reinterpret_cast<const char*>(row + field("kh").offset), field("kh").length);
    const std::string key = h5::get_fixed_string(reinterpret_cast<const char*>(row + field("key").offset), field("key").length);
    BOOST_TEST(n == 3);
    BOOST_TEST(mean == a.groups[i].summary[0].mean);
    BOOST_TEST(key == a.groups[i].key);
    BOOST_TEST_CONTEXT(key) {
      BOOST_TEST(key.find("hidden=" + std::to_string(static_cast<int>(hidden))) != std::string::npos);
      BOOST_TEST(key.find("kh=" + kh) != std::string::npos);
      BOOST_TEST((kh == "none") == std::isnan(eps0));
    }
  }
  // Through the command as well: twice, same bytes.
  const auto out = capture_output([&] { return cli::aggregate_command({path.string()}); });
  BOOST_TEST(out.code == 0, out.err);
  BOOST_TEST(snapshot().groups == first.groups);
}

BOOST_AUTO_TEST_CASE(pivot_lays_out_table_one) {
  ScratchDir dir("khsweep-aggregate-test-");
  const auto path = dir / "s.h5";
  make_store(path);
  const store::IndexTable t = index_of(path);
  const results::Aggregate a = aggregate_of(path, t);
  const results::Pivot p = results::pivot(t, a, {"kh"}, {"hidden"}, "max_val_accuracy");
  BOOST_TEST_REQUIRE(p.row_values.size() == 3u);  // sorted: bottom_up, none, top_down
  BOOST_TEST(p.row_values[0].at(0) == "bottom_up");
  BOOST_TEST(p.row_values[1].at(0) == "none");
  BOOST_TEST(p.row_values[2].at(0) == "top_down");
  BOOST_TEST_REQUIRE(p.column_values.size() == 2u);  // numeric order
  BOOST_TEST(p.column_values[0].at(0) == "10");
  BOOST_TEST(p.column_values[1].at(0) == "20");
  BOOST_TEST(p.cells[0][1] == -1);  // bottom_up never ran at hidden 20
  const auto group_index = [&](const results::GroupAggregate& g) { return static_cast<int>(&g - a.groups.data()); };
  BOOST_TEST(p.cells[1][0] == group_index(group_with(t, a, 10, "none", 0, 0)));
  BOOST_TEST(p.cells[2][0] == group_index(group_with(t, a, 10, "top_down", 0.01, 0.4)));  // best of four
  BOOST_TEST(p.cells[2][1] == group_index(group_with(t, a, 20, "top_down", 0.01, 0.4)));
  BOOST_TEST(p.crowded_cells == 1);

  const auto out = capture_output([&] {
    return cli::aggregate_command({path.string(), "--pivot", "kh:M", "--metric", "max_val_accuracy", "--no-write"});
  });
  BOOST_TEST(out.code == 0, out.err);
  BOOST_TEST(contains(out.out, "hidden=10"), out.out);
  BOOST_TEST(contains(out.out, "87.2(6)"), out.out);  // top_down at 10: 0.85 + .02 + .002
  std::istringstream lines(out.out);
  std::string header, bottom_up;
  std::getline(lines, header);
  std::getline(lines, bottom_up);
  BOOST_TEST(bottom_up.back() == '-', bottom_up);
  BOOST_TEST(!h5::File::open_read(path).exists("aggregates"));  // --no-write
}

BOOST_AUTO_TEST_CASE(best_picks_the_best_kh_hyperparameters_beside_the_baseline) {
  ScratchDir dir("khsweep-aggregate-test-");
  const auto path = dir / "s.h5";
  make_store(path);
  const store::IndexTable t = index_of(path);
  const results::Aggregate a = aggregate_of(path, t);
  const auto group_index = [&](const results::GroupAggregate& g) { return static_cast<int>(&g - a.groups.data()); };

  for (const std::string metric : {"max_val_accuracy", "min_val_mse"}) {
    const auto choices = results::best_choices(t, a, results::default_best_by(), metric);
    BOOST_TEST_REQUIRE(choices.size() == 3u, metric);  // top_down@10, top_down@20, bottom_up@10
    BOOST_TEST(choices[0].best == group_index(group_with(t, a, 10, "top_down", 0.01, 0.4)), metric);
    BOOST_TEST(choices[0].candidates == 4);
    BOOST_TEST(choices[0].baseline == group_index(group_with(t, a, 10, "none", 0, 0)), metric);
    BOOST_TEST(choices[1].best == group_index(group_with(t, a, 20, "top_down", 0.01, 0.4)), metric);
    BOOST_TEST(choices[1].baseline == group_index(group_with(t, a, 20, "none", 0, 0)), metric);
    BOOST_TEST(choices[2].best == group_index(group_with(t, a, 10, "bottom_up", 0.01, 0.4)), metric);
  }
  // Overlap: lower is better; every group has the same overlap mean, so the first (0.01/0.2) wins.
  const auto overlap = results::best_choices(t, a, {"hidden", "kh"}, "receptive_field_overlap");
  BOOST_TEST(overlap[0].best == group_index(group_with(t, a, 10, "top_down", 0.01, 0.2)));

  auto out = capture_output([&] { return cli::best_command({path.string(), "--metric", "max_val_accuracy", "--by", "M,kh"}); });
  BOOST_TEST(out.code == 0, out.err);
  std::istringstream lines(out.out);
  std::string line;
  std::getline(lines, line);  // header
  std::getline(lines, line);
  std::istringstream words(line);
  std::vector<std::string> cells{std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
  const std::vector<std::string> expected = {"10", "top_down", "0.01", "0.4", "3", "87.2(6)", "3", "4", "82.2(6)", "3"};
  BOOST_TEST(cells == expected, out.out);
  out = capture_output([&] {
    return cli::best_command({path.string(), "--metric", "max_val_accuracy", "--by", "hidden,kh", "--fragment"});
  });
  BOOST_TEST(out.code == 0, out.err);
  BOOST_TEST(contains(out.out, "  - name: best-1"), out.out);
  BOOST_TEST(contains(out.out, "    hidden: 10\n    kh: top_down\n    eps0: 0.01\n    delta: 0.4\n    S: 3\n"), out.out);
}

BOOST_AUTO_TEST_CASE(command_errors_are_one_line_with_the_right_exit_code) {
  ScratchDir dir("khsweep-aggregate-test-");
  const auto path = dir / "s.h5";
  make_store(path);
  auto out = capture_output([&] { return cli::aggregate_command({(dir / "missing.h5").string()}); });
  BOOST_TEST(out.code == kExitInput);
  BOOST_TEST(out.err.rfind("khsweep aggregate: ", 0) == 0u, out.err);
  out = capture_output([&] { return cli::aggregate_command({path.string(), "--metrics", "max_val_acuracy"}); });
  BOOST_TEST(out.code == kExitUsage);
  KHSWEEP_CHECK_MESSAGE_HAS(out.err, "did you mean 'max_val_accuracy'?");
  out = capture_output([&] { return cli::aggregate_command({path.string(), "--pivot", "kh:hiden", "--metric", "max_val_accuracy"}); });
  BOOST_TEST(out.code == kExitUsage);
  KHSWEEP_CHECK_MESSAGE_HAS(out.err, "did you mean 'hidden'?");
  out = capture_output([&] { return cli::aggregate_command({path.string(), "--where", "hidden=999"}); });
  BOOST_TEST(out.code == kExitOk, out.err);
  KHSWEEP_CHECK_MESSAGE_HAS(out.out, "no runs match");
  out = capture_output([&] { return cli::best_command({path.string()}); });
  BOOST_TEST(out.code == kExitUsage);
  BOOST_TEST(out.err.rfind("khsweep best: ", 0) == 0u, out.err);
  out = capture_output([&] { return cli::best_command({path.string(), "--metric", "min_val_mse", "--by", "hiden"}); });
  BOOST_TEST(out.code == kExitUsage);
  KHSWEEP_CHECK_MESSAGE_HAS(out.err, "did you mean 'hidden'?");
  out = capture_output([&] { return cli::best_command({(dir / "missing.h5").string(), "--metric", "min_val_mse"}); });
  BOOST_TEST(out.code == kExitInput);
  out = capture_output([&] { return cli::aggregate_command({path.string(), "--where", "kh=top_down", "--format", "csv"}); });
  BOOST_TEST(out.code == kExitOk, out.err);
  KHSWEEP_CHECK_MESSAGE_HAS(out.out, "group,");
}

namespace {

// hidden 10: baseline seeds 1-3, and KH eps0 0.01 seeds 1-3 whose seed 3 diverged.
// hidden 10, KH eps0 0.04: seeds 1-3 all diverged with the best accuracy of all (0.99).
void make_diverging_store(const std::filesystem::path& path) {
  using model::KhVariant;
  std::vector<store::CommittedRun> runs;
  int number = 1;
  const auto diverged = [](store::CommittedRun r) {
    r.result.status = train::RunStatus::diverged;
    r.result.reason = "non-finite weights";
    return r;
  };
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    runs.push_back(run(number++, 10, KhVariant::none, 0, 0, seed, 0.80));
    store::CommittedRun kh = run(number++, 10, KhVariant::top_down, 0.01, 0.4, seed, 0.85);
    runs.push_back(seed == 3 ? diverged(kh) : kh);
    runs.push_back(diverged(run(number++, 10, KhVariant::top_down, 0.04, 0.4, seed, 0.99, 1)));
  }
  write_store(path, test_job_info(), runs);
}

}  // namespace

BOOST_AUTO_TEST_CASE(diverged_runs_are_left_out_counted_and_never_chosen_unless_included) {
  ScratchDir dir("khsweep-aggregate-test-");
  const auto path = dir / "s.h5";
  make_diverging_store(path);
  const store::IndexTable t = index_of(path);

  const results::Aggregate a = results::aggregate_runs(t, all_rows(t), nullptr);
  BOOST_TEST(a.groups.size() == 2u);  // the all-diverged configuration is not a group
  BOOST_TEST(a.summarised_runs == 5u);
  BOOST_TEST(a.diverged_left_out == 4);
  BOOST_TEST(a.configurations_all_diverged == 1);
  const auto& kh = group_with(t, a, 10, "top_down", 0.01, 0.4);
  BOOST_TEST(kh.rows.size() == 2u);
  BOOST_TEST(kh.diverged == 1);
  BOOST_TEST(close(kh.summary[0].mean, 0.85 + 0.015 + 0.002));  // seeds 1 and 2 only

  const results::Aggregate with = results::aggregate_runs(t, all_rows(t), nullptr, true);
  BOOST_TEST(with.groups.size() == 3u);
  BOOST_TEST(with.diverged_left_out == 0);
  BOOST_TEST(group_with(t, with, 10, "top_down", 0.01, 0.4).rows.size() == 3u);

  // best: the all-diverged eps0 0.04 has the best accuracy, but is not a result.
  auto out = capture_output([&] { return cli::best_command({path.string(), "--metric", "max_val_accuracy"}); });
  BOOST_TEST(out.code == 0, out.err);
  BOOST_TEST(contains(out.out, "0.01"), out.out);
  BOOST_TEST(!contains(out.out, "0.04"), out.out);
  BOOST_TEST(contains(out.out, "4 diverged runs left out of the statistics (1 configuration has no other run and is "
                               "not shown); --include-diverged counts them"),
             out.out);
  out = capture_output(
      [&] { return cli::best_command({path.string(), "--metric", "max_val_accuracy", "--include-diverged"}); });
  BOOST_TEST(contains(out.out, "0.04"), out.out);

  out = capture_output([&] { return cli::aggregate_command({path.string(), "--no-write"}); });
  BOOST_TEST(out.code == 0, out.err);
  BOOST_TEST(contains(out.out, "diverged"), out.out);
  BOOST_TEST(contains(out.out, "2 groups of 5 runs"), out.out);
  BOOST_TEST(contains(out.out, "4 diverged runs left out"), out.out);
  out = capture_output([&] { return cli::aggregate_command({path.string(), "--no-write", "--include-diverged"}); });
  BOOST_TEST(contains(out.out, "3 groups of 9 runs"), out.out);
  BOOST_TEST(contains(out.out, "4 diverged runs are included in the statistics"), out.out);
  out = capture_output([&] { return cli::aggregate_command({path.string(), "--no-write", "--format", "csv"}); });
  BOOST_TEST(contains(out.out, ",n,diverged,"), out.out);
}

// --sort orders the groups (best mean first for a metric, ascending for a column; ':asc'/':desc'
// turn it) and '#' keeps each group's /aggregates number; a column set to one value wherever it
// is read is not a column of its own but named under the table.
BOOST_AUTO_TEST_CASE(sort_orders_groups_and_constant_settings_are_named_not_shown) {
  ScratchDir dir("khsweep-aggregate-test-");
  const auto path = dir / "s.h5";
  make_store(path);
  const auto table_of = [&](std::vector<std::string> args) {
    args.insert(args.begin(), path.string());
    args.emplace_back("--no-write");
    return capture_output([&] { return cli::aggregate_command(args); });
  };
  // The accuracies of the groups, in the order printed.
  const auto accuracies = [](const std::string& out) {
    std::vector<std::string> values;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
      if (const auto open = line.rfind('('); open != std::string::npos && open >= 4 && line.back() == ')')
        values.push_back(line.substr(open - 4, 4));
    return values;
  };
  const auto best_first = table_of({"--sort", "max_val_accuracy", "--metrics", "max_val_accuracy"});
  BOOST_TEST(best_first.code == 0, best_first.err);
  BOOST_TEST_MESSAGE(best_first.out);
  const std::vector<std::string> expected = {"92.2", "90.2", "87.2", "85.2", "84.2", "83.2", "82.2", "81.2"};
  BOOST_TEST(accuracies(best_first.out) == expected, boost::test_tools::per_element());
  const auto worst_first = table_of({"--sort", "max_val_accuracy:asc", "--metrics", "max_val_accuracy"});
  const std::vector<std::string> reversed(expected.rbegin(), expected.rend());
  BOOST_TEST(accuracies(worst_first.out) == reversed, boost::test_tools::per_element());
  const auto by_column = table_of({"--sort", "hidden:desc", "--metrics", "max_val_accuracy"});
  BOOST_TEST(by_column.out.find("20 ") < by_column.out.find("10 "), by_column.out);
  const auto bad = table_of({"--sort", "max_val_accuracy:up"});
  BOOST_TEST(bad.code == khsweep::kExitUsage);
  KHSWEEP_CHECK_MESSAGE_HAS(bad.err, "--sort: ':up' must be ':asc' or ':desc'");

  // S, l, p and R differ only between baselines (which do not read them) and KH groups (which all
  // have one value): named under the table, not columns; eps0 and delta vary among KH groups.
  KHSWEEP_CHECK_MESSAGE_HAS(best_first.out, "not shown, the same in every group that reads it: S=3, l=1, p=2, R=0.1");
  const std::string header = best_first.out.substr(0, best_first.out.find('\n'));
  BOOST_TEST(header.find(" S ") == std::string::npos, header);
  BOOST_TEST(header.find(" eps0 ") != std::string::npos, header);
  BOOST_TEST(best_first.out.find("none       -     -") != std::string::npos, best_first.out);  // a baseline's KH cells
}
