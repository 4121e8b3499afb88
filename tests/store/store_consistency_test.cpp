// The index /runs and the run groups /run/<id> out of step: refused on open (writers and readers),
// found by check_store, and mended by repair_store so that the store takes commits again.
#include <cmath>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>

#include "../support/damaged_store.hpp"
#include "../support/scratch.hpp"
#include "../support/unit_store.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/sweep_store.hpp"

using namespace khsweep;
using namespace khsweep::testing;

namespace {

const std::string kKept = unit_run_id(0xa1);
const std::string kDamaged = unit_run_id(0xa2);
const std::string kFailed = unit_run_id(0xa3);

store::CommittedRun finished_run(const std::string& id, std::uint64_t seed) {
  store::CommittedRun run = unit_run(id, "baseline", 3, seed, 0.5, 0.25, -0.5);
  add_unit_curves(run, 2);
  return run;
}

store::CommittedRun failed_run(const std::string& id) {
  store::CommittedRun run = finished_run(id, 3);
  run.failure = "No space left on device";
  run.result = {};
  return run;
}

// A consistent store: two finished runs and a failed one (a row without a group, as it should be).
void write_unit_store(const std::filesystem::path& path) {
  write_store(path, test_job_info(), {finished_run(kKept, 1), finished_run(kDamaged, 2), failed_run(kFailed)});
}

int job_count(const std::filesystem::path& path) { return store::read_overview(path).jobs; }

// The ids check_store names, in order.
std::vector<std::string> ids_of(const std::vector<store::StoreProblem>& problems) {
  std::vector<std::string> ids;
  for (const auto& p : problems) ids.push_back(p.id);
  return ids;
}

// What each kind of damage does to a store written by write_unit_store.
struct Damage {
  const char* name;
  void (*apply)(const std::filesystem::path&);
  const char* problem;  // in check_store's problem text
};

const Damage kDamages[] = {
    {"a row whose group is gone", [](const auto& p) { remove_from_store(p, "run/" + kDamaged); }, "no /run/"},
    {"a group without a row", [](const auto& p) { drop_index_row(p, kDamaged); }, "no /runs row"},
    {"a row whose group lacks its summary", [](const auto& p) { remove_from_store(p, "run/" + kDamaged + "/summary"); },
     "unreadable"},
    {"a failed run's row with a group", [](const auto& p) { add_group_without_row(p, finished_run(kFailed, 3)); },
     "failed"},
};

// A store written by write_unit_store in `dir`, then damaged.
std::filesystem::path damaged_store(const ScratchDir& dir, const Damage& damage) {
  const auto path = dir / "s.h5";
  write_unit_store(path);
  damage.apply(path);
  return path;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_consistent_store_has_no_problems) {
  ScratchDir dir("khsweep-consistency-test-");
  const auto path = dir / "s.h5";
  write_unit_store(path);
  BOOST_TEST(store::check_store(path).empty());
  const store::RepairReport report = store::repair_store(path);  // nothing to do: nothing written
  BOOST_TEST(report.repaired.empty());
  BOOST_TEST(report.job == 0);
  BOOST_TEST(job_count(path) == 1);
}

BOOST_AUTO_TEST_CASE(a_sweep_refuses_a_store_whose_index_and_groups_disagree_and_records_no_job) {
  for (const auto* damage : {&kDamages[0], &kDamages[1], &kDamages[3]}) {
    BOOST_TEST_CONTEXT(damage->name) {
      ScratchDir dir("khsweep-consistency-test-");
      const auto path = damaged_store(dir, *damage);
      const std::string before = file_bytes(path);
      const std::string message = error_of([&] { (void)store::SweepStore::open_for_sweep(path, test_job_info()); });
      KHSWEEP_CHECK_MESSAGE_HAS(message, path.string());
      KHSWEEP_CHECK_MESSAGE_HAS(message, "disagree on 1 run");
      KHSWEEP_CHECK_MESSAGE_HAS(message, damage == &kDamages[3] ? kFailed : kDamaged);
      KHSWEEP_CHECK_MESSAGE_HAS(message, "run `khsweep check --repair " + path.string() + "`");
      BOOST_TEST(message.find('\n') == std::string::npos, message);
      BOOST_TEST(file_bytes(path) == before);  // no dead job, nothing rewritten
    }
  }
}

BOOST_AUTO_TEST_CASE(readers_refuse_a_store_whose_index_and_groups_disagree_and_never_write) {
  ScratchDir dir("khsweep-consistency-test-");
  const auto path = dir / "s.h5";
  write_unit_store(path);
  remove_from_store(path, "run/" + kDamaged);
  drop_index_row(path, kKept);
  const std::string before = file_bytes(path);
  const std::string message = error_of([&] { (void)store::read_overview(path); });
  KHSWEEP_CHECK_MESSAGE_HAS(message, "disagree on 2 runs");
  KHSWEEP_CHECK_MESSAGE_HAS(message, kKept);
  KHSWEEP_CHECK_MESSAGE_HAS(message, kDamaged);
  KHSWEEP_CHECK_MESSAGE_HAS(message, "khsweep check --repair");
  BOOST_TEST(file_bytes(path) == before);
}

BOOST_AUTO_TEST_CASE(check_names_each_kind_of_damage_and_writes_nothing) {
  for (const Damage& damage : kDamages) {
    BOOST_TEST_CONTEXT(damage.name) {
      ScratchDir dir("khsweep-consistency-test-");
      const auto path = damaged_store(dir, damage);
      const std::string before = file_bytes(path);
      const std::vector<std::string> files = dir.listing();
      const auto problems = store::check_store(path);
      BOOST_TEST_REQUIRE(problems.size() == 1u);
      BOOST_TEST(problems[0].id == (&damage == &kDamages[3] ? kFailed : kDamaged));
      KHSWEEP_CHECK_MESSAGE_HAS(problems[0].problem, damage.problem);
      BOOST_TEST(!problems[0].repair.empty());
      BOOST_TEST(file_bytes(path) == before);
      BOOST_TEST(dir.listing() == files);  // no journal or lock taken either
    }
  }
}

BOOST_AUTO_TEST_CASE(check_finds_duplicate_ids_and_rows_of_jobs_that_do_not_exist) {
  ScratchDir dir("khsweep-consistency-test-");
  const auto path = dir / "s.h5";
  write_unit_store(path);
  {
    h5::File file = h5::File::open_read_write(path);
    std::vector<store::IndexRow> rows = store::read_index_rows(file);
    rows.push_back(rows[0]);  // kKept twice
    rows[1].job = 7;          // kDamaged committed by a job that is not there
    store::rewrite_index(file, rows);
    file.close();
  }
  const auto problems = store::check_store(path);
  BOOST_TEST(ids_of(problems) == (std::vector<std::string>{kKept, kDamaged}));
  KHSWEEP_CHECK_MESSAGE_HAS(problems.at(0).problem, "2 rows");
  KHSWEEP_CHECK_MESSAGE_HAS(problems.at(1).problem, "job 7");
  BOOST_TEST(store::repair_store(path).repaired.size() == 2u);
  BOOST_TEST(store::check_store(path).empty());
  BOOST_TEST(store::read_overview(path).runs.size() == 3u);
}

BOOST_AUTO_TEST_CASE(repair_mends_each_kind_of_damage_and_the_store_takes_commits_again) {
  for (const Damage& damage : kDamages) {
    BOOST_TEST_CONTEXT(damage.name) {
      ScratchDir dir("khsweep-consistency-test-");
      const auto path = damaged_store(dir, damage);
      const store::RepairReport report = store::repair_store(path);
      BOOST_TEST(report.repaired.size() == 1u);
      BOOST_TEST(report.job == 2);  // the repair is recorded as a job of its own
      BOOST_TEST(store::check_store(path).empty());

      auto s = store::SweepStore::open_for_sweep(path, test_job_info());
      const bool retrains = &damage == &kDamages[0] || &damage == &kDamages[2];
      BOOST_TEST(s.committed_ids().count(kDamaged) == (retrains ? 0u : 1u));
      BOOST_TEST(s.committed_ids().count(kKept) == 1u);
      if (retrains) s.commit({finished_run(kDamaged, 2)});  // the next sweep's run lands
      if (&damage == &kDamages[3]) {
        // The group held a finished run: its row now says so, and no failed run is left to retry.
        BOOST_TEST(s.failed_runs().empty());
      } else {
        BOOST_TEST(s.failed_runs().count(kFailed) == 1u);
        s.allow_retry({kFailed});
        s.commit({finished_run(kFailed, 3)});  // --retry-failed still works
      }
      s.finish_job("completed");
      BOOST_TEST(store::check_store(path).empty());
      BOOST_TEST(store::read_overview(path).runs.size() == 3u);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_rebuilt_row_holds_what_the_group_holds) {
  ScratchDir dir("khsweep-consistency-test-");
  const auto path = dir / "s.h5";
  write_unit_store(path);
  const store::IndexRow before = [&] {
    const h5::File f = h5::File::open_read(path);
    return store::read_index_rows(f).at(1);
  }();
  drop_index_row(path, kDamaged);
  (void)store::repair_store(path);
  const h5::File f = h5::File::open_read(path);
  const std::vector<store::IndexRow> rows = store::read_index_rows(f);
  BOOST_TEST_REQUIRE(rows.size() == 3u);
  const store::IndexRow& rebuilt = rows.back();
  BOOST_TEST(h5::get_fixed_string(rebuilt.id, sizeof rebuilt.id) == kDamaged);
  BOOST_TEST(h5::get_fixed_string(rebuilt.status, sizeof rebuilt.status) == store::kCompleted);
  const auto cell = [](const store::IndexRow& row, const char* name) {
    return store::parameter_cell(row, *khsweep::train::find_parameter(name));
  };
  const auto same = [](const khsweep::train::StoredValue& a, const khsweep::train::StoredValue& b) {
    const auto* x = std::get_if<double>(&a);
    const auto* y = std::get_if<double>(&b);
    return a == b || (x && y && std::isnan(*x) && std::isnan(*y));  // NaN: a parameter the run does not read
  };
  // Every parameter the group holds comes back as it was.
  for (const auto& spec : khsweep::train::run_parameters())
    if (!spec.selects_data) BOOST_TEST(same(cell(rebuilt, spec.name.c_str()), cell(before, spec.name.c_str())), spec.name);
  BOOST_TEST(rebuilt.epochs_trained == before.epochs_trained);
  BOOST_TEST(rebuilt.min_val_mse == before.min_val_mse);
  BOOST_TEST(rebuilt.job == 2);
  // What the group does not hold is left blank rather than guessed.
  BOOST_TEST(std::get<std::string>(cell(rebuilt, "data")).empty());
  BOOST_TEST(h5::get_fixed_string(rebuilt.sweep, sizeof rebuilt.sweep).empty());
  const h5::Group job = f.open_group("jobs/2");
  KHSWEEP_CHECK_MESSAGE_HAS(job.attribute<std::string>("sweep_name"), "check --repair");
  KHSWEEP_CHECK_MESSAGE_HAS(job.attribute<std::string>("repaired"), kDamaged);
}

BOOST_AUTO_TEST_CASE(repair_is_refused_while_a_sweep_holds_the_store) {
  ScratchDir dir("khsweep-consistency-test-");
  const auto path = dir / "s.h5";
  write_unit_store(path);
  auto sweep = store::SweepStore::open_for_sweep(path, test_job_info());
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)store::repair_store(path); }), "in use by another khsweep run");
}
