// When the store goes on without file locks: errors that mean "this file system has no locks", and
// HDF5's own switch HDF5_USE_FILE_LOCKING=FALSE, which ctest sets for this test (HDF5 reads it when
// the library starts, so it cannot be set from inside the test).
#include "khsweep/store/file_locks.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <fstream>
#include <optional>
#include <string>

#include "../support/command_output.hpp"
#include "../support/env_var.hpp"
#include "../support/scratch.hpp"
#include "../support/unit_store.hpp"
#include "khsweep/core/clock.hpp"
#include "khsweep/core/file_descriptor.hpp"
#include "khsweep/store/job_progress.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "khsweep/store/transaction.hpp"

using namespace khsweep;
using namespace khsweep::testing;

namespace {

constexpr const char* kSwitch = "HDF5_USE_FILE_LOCKING";

// How often `text` occurs in `in`.
std::size_t count(const std::string& in, const std::string& text) {
  std::size_t n = 0;
  for (auto at = in.find(text); at != std::string::npos; at = in.find(text, at + text.size())) ++n;
  return n;
}

// Writes the progress file of a job of another process (pid 999999 on host "elsewhere") that is
// in `state` and wrote it at `written_at` (seconds since the Unix epoch).
void write_progress_of_another_job(const std::filesystem::path& store, const std::string& state, double written_at) {
  store::JobProgress progress;
  progress.values = {{"pid", "999999"}, {"host", "elsewhere"}, {"state", state},
                     {"written_at", std::to_string(written_at)}, {"refresh_seconds", "10"}};
  std::ofstream(store::progress_file(store)) << store::format_progress(progress);
}


}  // namespace

BOOST_AUTO_TEST_CASE(errors_that_mean_no_locks_are_told_apart_from_a_lock_held_elsewhere) {
  for (const int e : {ENOSYS, ENOLCK, EOPNOTSUPP, ENOTSUP}) {
    BOOST_TEST(store::lock_unavailable(e), "errno " << e);
    BOOST_TEST(!store::lock_held_elsewhere(e), "errno " << e);
  }
  for (const int e : {EAGAIN, EWOULDBLOCK, EACCES}) {
    BOOST_TEST(store::lock_held_elsewhere(e), "errno " << e);
    BOOST_TEST(!store::lock_unavailable(e), "errno " << e);
  }
  for (const int e : {0, EBADF, EINVAL, EINTR, EIO, ENOENT}) {  // failures of their own
    BOOST_TEST(!store::lock_unavailable(e), "errno " << e);
    BOOST_TEST(!store::lock_held_elsewhere(e), "errno " << e);
  }
}

BOOST_AUTO_TEST_CASE(only_hdf5s_own_words_for_off_turn_locking_off) {
  {
    const ScopedEnv unset(kSwitch, std::nullopt);
    BOOST_TEST(!store::locking_disabled_by_environment());
  }
  for (const char* off : {"FALSE", "0"}) {
    const ScopedEnv env(kSwitch, std::string(off));
    BOOST_TEST(store::locking_disabled_by_environment(), off);
  }
  // HDF5 compares exactly: these leave the locks on (BEST_EFFORT only ignores missing ones).
  for (const char* on : {"TRUE", "1", "BEST_EFFORT", "false", "no", "", "FALSE "}) {
    const ScopedEnv env(kSwitch, std::string(on));
    BOOST_TEST(!store::locking_disabled_by_environment(), "'" << on << "'");
  }
}

BOOST_AUTO_TEST_CASE(a_missing_lock_is_survived_and_said_once_per_store) {
  ScratchDir dir("khsweep-file-locks-test-");
  const auto a = dir / "a.h5";
  const auto b = dir / "b.h5";
  const CommandOutput said = capture_output([&] {
    int went_on = 0;
    for (const int e : {ENOLCK, ENOSYS, EOPNOTSUPP}) went_on += store::go_on_unlocked(a, e) ? 1 : 0;
    went_on += store::go_on_unlocked(b, ENOLCK) ? 1 : 0;
    went_on += store::go_on_unlocked(b, EAGAIN) ? 10 : 0;  // busy: the caller reports it
    return went_on;
  });
  BOOST_TEST(said.code == 4);
  BOOST_TEST(count(said.err, "\n") == 2u, said.err);
  BOOST_TEST(count(said.err, a.string() + ": the file system gives no file locks") == 1u, said.err);
  BOOST_TEST(count(said.err, b.string() + ": the file system gives no file locks") == 1u, said.err);
  BOOST_TEST(count(said.err, "cannot stop a second job") == 2u, said.err);
}

// Needs HDF5_USE_FILE_LOCKING=FALSE from the start (ctest sets it): khsweep then takes no locks of
// its own either, so a writer is not kept out by a reader's lock nor by a first coordinator.
BOOST_AUTO_TEST_CASE(with_hdf5_locking_off_a_store_is_created_and_committed_without_locks) {
  BOOST_REQUIRE_MESSAGE(store::locking_disabled_by_environment(),
                        "run with HDF5_USE_FILE_LOCKING=FALSE in the environment (ctest sets it)");
  ScratchDir dir("khsweep-file-locks-test-");
  const auto path = dir / "s.h5";
  const CommandOutput said = capture_output([&] {
    auto first = store::SweepStore::open_for_sweep(path, test_job_info());
    first.commit({unit_run(unit_run_id(1), "baseline", 2, 1)});
    // Without the switch this second coordinator is refused ("in use by another khsweep run").
    auto second = store::SweepStore::open_for_sweep(path, test_job_info());
    second.commit({unit_run(unit_run_id(2), "baseline", 2, 2)});
    first.finish_job("completed");
    second.finish_job("completed");

    // A reader's shared flock (as HDF5 readers take) no longer keeps a transaction out.
    const FileDescriptor reader(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    BOOST_REQUIRE(reader.valid());
    BOOST_REQUIRE(::flock(reader.get(), LOCK_SH | LOCK_NB) == 0);
    auto t = store::Transaction::begin(path);
    t.file().create_group("unlocked");
    t.commit();
    return 0;
  });
  BOOST_TEST(store::SweepStore::open_for_sweep(path, test_job_info()).committed_ids().size() == 2u);
  BOOST_TEST(count(said.err, "\n") == 1u, said.err);
  BOOST_TEST(count(said.err, path.string() + ": HDF5_USE_FILE_LOCKING=FALSE turns file locks off") == 1u, said.err);
  BOOST_TEST(count(said.err, "cannot stop a second job from writing this store") == 1u, said.err);
}

// Without locks, a fresh progress file is the only sign of a live job: another coordinator (and so
// `check --repair` and `aggregate`) is refused while it looks live, and goes ahead once it says the
// job ended or is older than its patience.
BOOST_AUTO_TEST_CASE(without_locks_a_live_looking_progress_file_keeps_a_second_coordinator_out) {
  BOOST_REQUIRE_MESSAGE(store::locking_disabled_by_environment(),
                        "run with HDF5_USE_FILE_LOCKING=FALSE in the environment (ctest sets it)");
  ScratchDir dir("khsweep-file-locks-test-");
  const auto path = dir / "s.h5";
  const double now = unix_seconds_now();
  const auto write_progress = [&](const std::string& state, double written_at) {
    write_progress_of_another_job(path, state, written_at);
  };
  capture_output([&] {
    write_progress("running", now - 5);
    BOOST_TEST((store::look_at_lock(path).state == store::LockSight::State::unknown));
    const store::JobSight job = store::look_for_job(path);
    BOOST_TEST(job.live);
    BOOST_TEST(!job.certain);
    BOOST_TEST(job.who == "pid 999999 on host elsewhere");
    try {
      auto second = store::SweepStore::open_for_sweep(path, test_job_info());
      BOOST_ERROR("a coordinator was let in beside a live-looking job");
    } catch (const Error& e) {
      const std::string what = e.what();
      BOOST_TEST(what.find(path.string() + ": the store seems in use by another khsweep run (pid 999999 on host "
                                           "elsewhere wrote its progress ") == 0, what);
      BOOST_TEST(what.find("remove " + store::progress_file(path).string()) != std::string::npos, what);
    }
    write_progress("ended", now - 5);  // that job ended
    BOOST_TEST(!store::look_for_job(path).live);
    BOOST_CHECK_NO_THROW(store::SweepStore::open_for_sweep(path, test_job_info()));
    write_progress("running", now - 120);  // that job died two minutes ago
    BOOST_TEST(!store::look_for_job(path).live);
    BOOST_CHECK_NO_THROW(store::SweepStore::open_for_sweep(path, test_job_info()));
    return 0;
  });
}

// Without locks, a journal beside a store whose job looks live is that job's commit in progress:
// readers wait for it, they do not send the user to `khsweep recover` (which would undo it).
BOOST_AUTO_TEST_CASE(without_locks_a_live_jobs_journal_is_not_taken_for_a_dead_writers) {
  BOOST_REQUIRE_MESSAGE(store::locking_disabled_by_environment(),
                        "run with HDF5_USE_FILE_LOCKING=FALSE in the environment (ctest sets it)");
  ScratchDir dir("khsweep-file-locks-test-");
  const auto path = dir / "s.h5";
  capture_output([&] {
    auto job = store::SweepStore::open_for_sweep(path, test_job_info());
    job.commit({unit_run(unit_run_id(1), "baseline", 2, 1)});
    job.finish_job("completed");
    return 0;
  });
  std::ofstream(store::journal_path(path)) << "";  // as if a commit were under way
  const double now = unix_seconds_now();
  const auto write_progress = [&](const std::string& state) { write_progress_of_another_job(path, state, now); };
  write_progress("running");
  // While the commit is under way the reader waits; past its patience it says so, and never
  // sends the user to `khsweep recover`.
  try {
    (void)store::read_overview(path, 0.2);
    BOOST_ERROR("a store read while a commit was under way");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("a commit was under way") != std::string::npos, e.what());
  }
  std::filesystem::remove(store::journal_path(path));  // the commit lands
  BOOST_TEST(store::read_overview(path, 0.2).runs.size() == 1u);
  std::ofstream(store::journal_path(path)) << "";
  write_progress("ended");
  try {
    (void)store::read_overview(path, 0.2);
    BOOST_ERROR("a journal with no live job beside it was not reported");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("an interrupted commit is pending") != std::string::npos, e.what());
  }
}
