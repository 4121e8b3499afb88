// When the store goes on without file locks: errors that mean "this file system has no locks", and
// HDF5's own switch HDF5_USE_FILE_LOCKING=FALSE, which ctest sets for this test (HDF5 reads it when
// the library starts, so it cannot be set from inside the test).
#include "khsweep/store/file_locks.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <optional>
#include <string>

#include "../support/command_output.hpp"
#include "../support/env_var.hpp"
#include "../support/scratch.hpp"
#include "../support/unit_store.hpp"
#include "khsweep/core/file_descriptor.hpp"
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
