// The sweep store: commits, the index, the coordinator lock, and what readers see.
#include <fcntl.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <fstream>
#include <iterator>

#include "../support/scratch.hpp"
#include "../support/unit_store.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/run_file.hpp"
#include "khsweep/store/run_layout.hpp"
#include "khsweep/store/transaction.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "khsweep/store/index.hpp"

using namespace khsweep;
using namespace khsweep::testing;

namespace {

store::JobInfo job_info() { return test_job_info("unit", {{"data/x", "abc"}}); }

// A finished run with recognisable weights: W(i, j) = seed + i + j / 10.
store::CommittedRun finished_run(const std::string& id, std::uint64_t seed) {
  store::CommittedRun run = unit_run(id, "baseline", 3, seed, 0.0, 0.25, -0.5);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) run.result.params.W(i, j) = static_cast<double>(seed) + i + j / 10.0;
  add_unit_curves(run, 3);
  run.result.receptive_field_overlap = 0.5;
  return run;
}

}  // namespace

BOOST_AUTO_TEST_CASE(committed_runs_are_read_back_exactly) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  {
    auto s = store::SweepStore::open_for_sweep(path, job_info());
    BOOST_TEST(s.committed_ids().empty());
    s.commit({finished_run("00000000000000a1", 1), finished_run("00000000000000a2", 2)});
    s.finish_job("completed");
  }
  auto s = store::SweepStore::open_for_sweep(path, job_info());
  BOOST_TEST(s.committed_ids().size() == 2u);
  BOOST_TEST(s.committed_ids().count("00000000000000a2") == 1u);
  s.finish_job("completed");

  const auto overview = store::read_overview(path);
  BOOST_TEST(overview.runs.size() == 2u);
  BOOST_TEST(overview.jobs == 2);
  BOOST_TEST(overview.runs[0].status == store::kCompleted);
  BOOST_TEST(overview.runs[1].arm == "baseline");

  const h5::File file = h5::File::open_read(path);
  const store::RunRecord back = store::read_run(file.open_group("run/00000000000000a2"));
  const auto expected = finished_run("00000000000000a2", 2).result.params;
  BOOST_TEST(std::memcmp(back.result.params.W.data(), expected.W.data(), sizeof(double) * 12) == 0);
  BOOST_TEST(back.result.curves.size() == 3u);
  BOOST_TEST(file.open_group("jobs/1").attribute<std::string>("outcome") == "completed");
  BOOST_TEST(file.open_group("jobs/1").attribute<std::string>("sweep_yaml") == "name: unit\n");
}

BOOST_AUTO_TEST_CASE(a_duplicate_run_is_refused_and_changes_nothing) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  auto s = store::SweepStore::open_for_sweep(path, job_info());
  s.commit({finished_run("00000000000000b1", 1)});
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { s.commit({finished_run("00000000000000b1", 1)}); }), "already committed");
  BOOST_TEST(store::read_overview(path).runs.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_second_coordinator_is_refused_while_the_first_holds_the_store) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  {
    auto first = store::SweepStore::open_for_sweep(path, job_info());
    BOOST_TEST(!store::lock_holder(path).empty());  // and asking does not release the lock
    const std::string message = error_of([&] { (void)store::SweepStore::open_for_sweep(path, job_info()); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, "in use by another khsweep run");
    KHSWEEP_CHECK_MESSAGE_HAS(message, "pid");
    first.commit({finished_run("00000000000000c1", 1)});  // the first is undisturbed
  }
  BOOST_TEST(store::lock_holder(path).empty());
  auto second = store::SweepStore::open_for_sweep(path, job_info());
  BOOST_TEST(second.committed_ids().size() == 1u);
}

// The lock belongs to the file, not to how its path is spelt: a symlink leads to the same lock (and
// journal and checkpoints), and a second name for the same file (a hard link) is refused outright.
BOOST_AUTO_TEST_CASE(a_second_coordinator_through_a_symlink_or_a_hard_link_is_refused) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  const auto symlink = dir / "via-symlink.h5";
  std::filesystem::create_symlink(path, symlink);
  {
    auto first = store::SweepStore::open_for_sweep(symlink, job_info());  // creates s.h5 through the link
    KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)store::SweepStore::open_for_sweep(path, job_info()); }),
                              "in use by another khsweep run");
    BOOST_TEST(!store::lock_holder(path).empty());
    first.commit({finished_run("00000000000000d1", 1)});
  }
  BOOST_TEST(store::checkpoint_directory(symlink) == store::checkpoint_directory(path));
  BOOST_TEST(store::journal_path(symlink) == store::journal_path(path));

  const auto hard_link = dir / "second-name.h5";
  std::filesystem::create_hard_link(path, hard_link);
  for (const auto& name : {path, hard_link}) {
    const std::string message = error_of([&] { (void)store::SweepStore::open_for_sweep(name, job_info()); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, "2 hard links");
    KHSWEEP_CHECK_MESSAGE_HAS(message, "remove");
  }
  std::filesystem::remove(hard_link);
  BOOST_TEST(store::SweepStore::open_for_sweep(path, job_info()).committed_ids().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_run_has_an_index_row_with_its_reason_and_no_group) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  auto s = store::SweepStore::open_for_sweep(path, job_info());
  store::CommittedRun failed = finished_run("00000000000000d1", 1);
  failed.failure = "the data at 'data/x' on host h differ";
  failed.result = {};
  s.commit({failed});
  const auto overview = store::read_overview(path);
  BOOST_TEST(overview.runs.at(0).status == store::kFailed);
  KHSWEEP_CHECK_MESSAGE_HAS(overview.runs.at(0).reason, "differ");
  BOOST_TEST(!h5::File::open_read(path).exists("run/00000000000000d1"));
}

BOOST_AUTO_TEST_CASE(a_failed_run_retried_replaces_its_row_and_the_job_keeps_the_old_reason) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  const std::string id = "00000000000000d2";
  {
    auto s = store::SweepStore::open_for_sweep(path, job_info());
    store::CommittedRun failed = finished_run(id, 1);
    failed.failure = "No space left on device";
    failed.result = {};
    s.commit({failed, finished_run("00000000000000d3", 2)});
    s.finish_job("completed");
  }
  auto s = store::SweepStore::open_for_sweep(path, job_info());
  BOOST_TEST(s.failed_runs().size() == 1u);
  BOOST_TEST(s.failed_runs().at(id) == "No space left on device");
  // Without allow_retry the failed run is a duplicate like any other; only failed runs may be retried.
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { s.commit({finished_run(id, 1)}); }), "refusing a duplicate");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { s.allow_retry({"00000000000000d3"}); }), "is not a failed run");
  s.allow_retry({id});
  s.commit({finished_run(id, 1)});
  s.finish_job("completed");

  const auto overview = store::read_overview(path);
  BOOST_TEST(overview.runs.size() == 2u);  // replaced, not appended
  for (const auto& run : overview.runs) BOOST_TEST(run.status == store::kCompleted, run.id);
  const h5::File f = h5::File::open_read(path);
  BOOST_TEST(f.exists("run/" + id));
  BOOST_TEST(f.open_group("jobs/2").attribute<std::string>("retried") == id + ": No space left on device\n");
  BOOST_TEST(!f.open_group("jobs/1").has_attribute("retried"));
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_store_is_refused) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "run.h5";
  const auto run = finished_run("00000000000000e1", 1);
  store::write_run_file(path, run.params.config, run.result, {}, train::Precision::f64);
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)store::SweepStore::open_for_sweep(path, job_info()); }),
                            "not a khsweep store");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)store::read_overview(path); }), "not a khsweep store");
}

BOOST_AUTO_TEST_CASE(a_damaged_store_is_reported_as_damaged_not_as_busy) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto garbage = dir / "garbage.h5";
  std::ofstream(garbage) << "not hdf5 at all";
  const std::string not_hdf5 = error_of([&] { (void)store::SweepStore::open_for_sweep(garbage, job_info()); });
  KHSWEEP_CHECK_MESSAGE_HAS(not_hdf5, "not an HDF5 file");
  BOOST_TEST(not_hdf5.find("locked") == std::string::npos, not_hdf5);

  // A real store cut short, as an interrupted copy or a full disk leaves it.
  const auto whole = dir / "whole.h5";
  write_store(whole, job_info(), {finished_run("00000000000000c1", 1)});
  const auto cut = dir / "cut.h5";
  {
    std::ifstream in(whole, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  for (const std::string& message :
       {error_of([&] { (void)store::SweepStore::open_for_sweep(cut, job_info()); }),
        error_of([&] { (void)store::read_overview(cut); })}) {
    KHSWEEP_CHECK_MESSAGE_HAS(message, "truncated: the file has ");
    BOOST_TEST(message.find("locked") == std::string::npos, message);
  }
}

BOOST_AUTO_TEST_CASE(another_programs_hdf5_file_is_not_adopted_as_a_store) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "theirs.h5";
  {
    h5::File f = h5::File::create(path);
    h5::Group g = f.create_group("experiment");
    g.write_attribute("note", std::string("someone's data"));
  }
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)store::SweepStore::open_for_sweep(path, job_info()); }),
                            "not a khsweep store: an HDF5 file with other content");
  const h5::File f = h5::File::open_read(path);  // untouched
  BOOST_TEST(!f.has_attribute("schema"));
  BOOST_TEST(f.child_names() == std::vector<std::string>{"experiment"});
  for (const auto& name : dir.listing()) BOOST_TEST(name.find("journal") == std::string::npos, name);

  // A brand-new path still becomes a store.
  (void)store::SweepStore::open_for_sweep(dir / "new.h5", job_info());
}

// Turns a store into what khsweep wrote under schema 1: the former /config attribute names
// (gibbs_steps, kh_eps0, ...) and the /runs column `dataset` for `data`.
void make_schema_1(const std::filesystem::path& path) {
  h5::File f = h5::File::open_read_write(path);
  f.write_attribute("schema", std::string(store::kStoreSchemaV1));
  const h5::Group runs = f.open_group("run");
  for (const std::string& id : runs.child_names()) {
    h5::Group config = runs.open_group(id).open_group("config");
    for (const auto& spec : train::run_parameters())
      for (const std::string& former : spec.former_names)
        if (config.has_attribute(spec.name)) config.rename_attribute(spec.name, former);
  }
  const std::vector<store::IndexRow> rows = store::read_index_rows(f);
  std::vector<h5::Field> fields = store::index_fields();
  for (h5::Field& field : fields)
    if (field.name == "data") field.name = "dataset";
  f.remove("runs");
  f.create_table("runs", fields, sizeof(store::IndexRow), 16);
  f.append_rows("runs", fields, sizeof(store::IndexRow), rows.data(), rows.size());
}

// A store of schema 1 (before one name per parameter): /run/<id>/config said gibbs_steps, kh_eps0,
// ... and /runs said `dataset`. Readers take it as it is; the next sweep renames everything in one
// transaction, and the runs read back the same.
BOOST_AUTO_TEST_CASE(a_schema_1_store_reads_and_the_next_sweep_brings_it_to_one_name_per_parameter) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  const std::string id = "00000000000000a1";
  store::CommittedRun run = finished_run(id, 1);
  run.params.data.dataset = "data/mnist";
  {
    auto s = store::SweepStore::open_for_sweep(path, job_info());
    s.commit({run});
    s.finish_job("completed");
  }
  const auto config_of = [&](const h5::File& f) { return store::read_run(f.open_group("run/" + id)).config; };
  const auto text_of = [](const train::RunConfig& c) {
    train::RunParams p;
    p.config = c;
    std::string all;
    for (const auto& spec : train::run_parameters())
      if (!spec.selects_data) all += spec.name + "=" + spec.get(p) + " ";
    return all;
  };
  const std::string expected = text_of(run.params.config);
  make_schema_1(path);
  {
    const h5::File f = h5::File::open_read(path);
    BOOST_TEST(!store::index_is_current(f));
    BOOST_TEST(f.open_group("run/" + id + "/config").has_attribute("kh_eps0"));
  }
  {
    const h5::File f = h5::File::open_read(path);
    BOOST_TEST(text_of(config_of(f)) == expected);
    BOOST_TEST(store::read_index(f).column("data").text.at(0) == "data/mnist");
  }
  BOOST_TEST(store::read_overview(path).runs.size() == 1u);

  store::SweepStore::open_for_sweep(path, job_info()).finish_job("completed");
  const h5::File f = h5::File::open_read(path);
  BOOST_TEST(f.attribute<std::string>("schema") == store::kStoreSchema);
  BOOST_TEST(store::index_is_current(f));
  const h5::Group config = f.open_group("run/" + id + "/config");
  BOOST_TEST(config.has_attribute("eps0"));
  BOOST_TEST(config.has_attribute("k"));
  BOOST_TEST(!config.has_attribute("kh_eps0"));
  BOOST_TEST(text_of(config_of(f)) == expected);
  BOOST_TEST(store::read_index(f).column("data").text.at(0) == "data/mnist");
}

// `check --repair` rewrites /runs in the current layout, so a schema 1 store it repairs comes out
// wholly schema 2 (not a schema 1 label over schema 2 columns).
BOOST_AUTO_TEST_CASE(repairing_a_schema_1_store_brings_it_to_schema_2) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  {
    auto s = store::SweepStore::open_for_sweep(path, job_info());
    s.commit({finished_run("00000000000000a1", 1), finished_run("00000000000000a2", 2)});
    s.finish_job("completed");
  }
  make_schema_1(path);
  {
    h5::File f = h5::File::open_read_write(path);
    f.remove("run/00000000000000a2");  // its index row is left without its run: a repair drops the row
  }
  const store::RepairReport report = store::repair_store(path);
  BOOST_TEST(report.repaired.size() == 1u);
  const h5::File f = h5::File::open_read(path);
  BOOST_TEST(f.attribute<std::string>("schema") == store::kStoreSchema);
  BOOST_TEST(store::index_is_current(f));
  const h5::Group config = f.open_group("run/00000000000000a1/config");
  BOOST_TEST(config.has_attribute("eps0"));
  BOOST_TEST(!config.has_attribute("kh_eps0"));
  BOOST_TEST(store::read_index(f).rows == 1u);
}

// A sound schema 1 store has nothing to repair, and `check --repair` still upgrades it.
BOOST_AUTO_TEST_CASE(repairing_a_sound_schema_1_store_upgrades_it) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  {
    auto s = store::SweepStore::open_for_sweep(path, job_info());
    s.commit({finished_run("00000000000000a1", 1)});
    s.finish_job("completed");
  }
  make_schema_1(path);
  BOOST_TEST(store::store_schema(path) == store::kStoreSchemaV1);
  BOOST_TEST(store::check_store(path).empty());
  const store::RepairReport report = store::repair_store(path);
  BOOST_TEST(report.repaired.empty());
  BOOST_TEST(report.upgraded);
  BOOST_TEST(store::store_schema(path) == store::kStoreSchema);
  {
    const h5::File f = h5::File::open_read(path);
    BOOST_TEST(store::index_is_current(f));
    BOOST_TEST(f.open_group("run/00000000000000a1/config").has_attribute("eps0"));
  }
  BOOST_TEST(!store::repair_store(path).upgraded);  // once is enough
}

// A read that overlapped a change of the file (a commit a reader without locks was not kept out
// of) is refused, so that the caller reads again; an undisturbed read returns what it read.
BOOST_AUTO_TEST_CASE(a_read_the_file_changed_under_is_refused) {
  ScratchDir dir("khsweep-sweep-store-test-");
  const auto path = dir / "s.h5";
  {
    auto job = store::SweepStore::open_for_sweep(path, testing::test_job_info());
    job.commit({testing::unit_run(testing::unit_run_id(1), "baseline", 2, 1)});
    job.finish_job("completed");
  }
  int value = 0;
  store::read_store(path, 0.1, [&](const h5::File&) { value = 42; });
  BOOST_TEST(value == 42);
  int reads = 0;
  store::read_store(path, 0.1, [&](const h5::File&) { ++reads; });
  BOOST_TEST(reads == 1);

  const auto touched = [&](const h5::File&) {
    const struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 678}};  // atime kept, mtime moved
    BOOST_REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  };
  try {
    store::read_store(path, 0.1, touched);
    BOOST_ERROR("a read during which the file changed was accepted");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()) == path.string() + ": the store changed while it was read (a commit was under way)");
  }
  // The last commit of a job that has since ended overlapped the first read: read again, not refuse.
  int attempts = 0;
  store::read_store(path, 5.0, [&](const h5::File& f) {
    if (++attempts == 1) touched(f);
  });
  BOOST_TEST(attempts == 2);
  // A read that fails on a file nobody changes fails at once: no live job, nothing to wait for.
  attempts = 0;
  BOOST_CHECK_THROW(store::read_store(path, 5.0, [&](const h5::File&) {
                      ++attempts;
                      throw Error("unreadable");
                    }),
                    Error);
  BOOST_TEST(attempts == 1);
  std::ofstream(store::journal_path(path)) << "";  // a commit under way when the read began
  BOOST_CHECK_THROW(store::read_store(path, 0.1, [](const h5::File&) {}), Error);
  std::filesystem::remove(store::journal_path(path));
  store::read_store(path, 0.1, [&](const h5::File&) { value = 7; });
  BOOST_TEST(value == 7);
}
