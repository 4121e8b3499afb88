#include "khsweep/store/transaction.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "journal.hpp"
#include "journaling_driver.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/file_descriptor.hpp"
#include "khsweep/store/file_locks.hpp"

// Protocol and journal format: docs/store-journal.md. In short:
//   begin:    lock the file (flock, exclusive) -> roll back a leftover journal -> write and sync the
//             journal header -> sync the directory -> open the file through the journaling driver.
//   write:    bytes below the original length not yet saved are appended to the journal as records,
//             the journal is synced, and only then is the file overwritten.
//   commit:   H5Fclose -> fsync the file -> unlink the journal -> sync the directory -> unlock.
//   rollback: copy every valid record back -> cut the file to its original length (or delete a file
//             the transaction created) -> fsync -> unlink the journal -> sync the directory.

namespace khsweep::store {

namespace fs = std::filesystem;

namespace {

// ---- the file lock ----

// The file at `path` opened read-write and locked exclusively with flock, the lock HDF5 itself takes
// (shared for readers, exclusive for writers), so readers and other writers are kept out. With
// `create` a missing file is created empty; without, a missing file gives an invalid FileDescriptor.
FileDescriptor lock_store(const fs::path& path, bool create) {
  for (int attempt = 0;; ++attempt) {
    FileDescriptor fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0666));
    if (!fd.valid()) {
      const int e = errno;
      if (e == ENOENT && !create) return FileDescriptor();
      const std::string hint =
          (e == EACCES || e == EROFS || e == EPERM) ? " (is the file or its directory writable?)" : "";
      throw error_at(path.string(),
                     std::string(create ? "cannot create or open for writing: " : "cannot open for writing: ") +
                         errno_text(e) + hint);
    }
    // Without locks (none on this file system, or HDF5_USE_FILE_LOCKING=FALSE) go on unlocked, as
    // HDF5 does when told to ignore disabled locks.
    if (!skip_locking(path) && ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      const int e = errno;
      if (lock_held_elsewhere(e))
        throw StoreBusy(path.string() +
                        ": store is open in another process (a reader or a writer holds its HDF5 file lock); "
                        "retry once that process has closed it");
      if (!go_on_unlocked(path, e)) fail_with_errno(path, "cannot lock the file", e);
    }
    // Between open and flock another process may have removed or replaced the file (a rollback
    // deletes a file its transaction created): the lock must be on the file the path names now.
    struct stat held {};
    struct stat named {};
    if (::fstat(fd.get(), &held) != 0) fail_with_errno(path, "cannot stat the file", errno);
    if (::stat(path.c_str(), &named) == 0 && named.st_dev == held.st_dev && named.st_ino == held.st_ino) return fd;
    if (attempt >= 100)
      throw error_at(path.string(), "cannot lock the file: it keeps being replaced by another process");
  }
}

}  // namespace

// ---- Transaction ----

struct Transaction::State {
  std::shared_ptr<OpenJournal> journal;
  std::uint64_t key = 0;
  std::optional<h5::File> file;

  // Unregisters and closes the journal and the file, which releases the lock.
  void finish() noexcept {
    unregister_journal(key);
    journal->active = false;
    journal->journal.close();
    journal->store.close();
  }

  // Closes the file without keeping its changes and undoes them. Never throws.
  void abandon() noexcept {
    journal->discard_writes = true;
    try {
      file.reset();  // strong close degree: closes the file's objects too
    } catch (...) {
    }
    try {
      roll_back(journal->store.get(), journal->store_path);
    } catch (...) {  // the journal stays: recover() or the next begin() rolls back
    }
    finish();
  }
};

Transaction::Transaction(std::unique_ptr<State> state) : state_(std::move(state)) {}

Transaction::~Transaction() {
  if (state_) state_->abandon();
}

Transaction::Transaction(Transaction&& other) noexcept = default;

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    if (state_) state_->abandon();
    state_ = std::move(other.state_);
  }
  return *this;
}

Transaction Transaction::begin(const fs::path& path) {
  const std::string where = path.string();
  const fs::path dir = directory_of(path);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw error_at(where, "begin transaction: directory " + dir.string() + " does not exist");
  if (fs::is_directory(path, ec)) throw error_at(where, "begin transaction: it is a directory");

  check_no_damaged_journal(path);
  auto journal = std::make_shared<OpenJournal>();
  journal->store_path = path;
  journal->journal_file = journal_path(path);
  for (int attempt = 0;; ++attempt) {
    journal->store = lock_store(path, true);
    if (!has_journal(path)) break;
    // A rollback may delete the file (when its transaction created it): lock afresh after it.
    roll_back(journal->store.get(), path);
    journal->store.close();  // flock: a second descriptor of this process would conflict with ours
    if (attempt >= 3) throw error_at(where, "begin transaction: the journal keeps reappearing");
  }
  struct stat st {};
  if (::fstat(journal->store.get(), &st) != 0)
    fail_with_errno(path, "begin transaction: cannot stat the file", errno);
  // An empty file holds no HDF5 data: it counts as absent, and a rollback removes it.
  const bool store_existed = st.st_size > 0;
  try {
    journal->start(store_existed, static_cast<std::uint64_t>(st.st_size));
  } catch (...) {
    if (!store_existed) (void)::unlink(path.c_str());  // the empty file we created
    throw;
  }
  auto state = std::make_unique<State>();
  state->journal = journal;
  state->key = register_journal(journal);
  Transaction t(std::move(state));  // from here on, a failure rolls back in t's destructor
  if (const int e = sync_directory(dir)) fail_with_errno(dir, "begin transaction: cannot sync the directory", e);

  const hid_t driver = journaling_driver();
  if (driver < 0) throw error_at(where, "begin transaction: cannot register the journaling HDF5 file driver");
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) throw error_at(where, "begin transaction: cannot create a file access property list");
  const bool ok =
      set_journaling_driver(fapl, driver, t.state_->key) && H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0;
  if (!ok) {
    H5Pclose(fapl);
    throw error_at(where, "begin transaction: cannot set up the journaling file driver");
  }
  try {
    t.state_->file.emplace(h5::File::open_with(
        path, fapl, journal->header.store_existed ? h5::File::Mode::read_write : h5::File::Mode::create));
  } catch (...) {
    H5Pclose(fapl);
    throw;
  }
  H5Pclose(fapl);
  return t;
}

h5::File& Transaction::file() {
  if (!state_ || !state_->file) throw Error("store transaction: the transaction has already finished");
  return *state_->file;
}

const fs::path& Transaction::path() const {
  if (!state_) throw Error("store transaction: the transaction has already finished");
  return state_->journal->store_path;
}

void Transaction::commit() {
  if (!state_ || !state_->file) throw Error("store transaction: commit: the transaction has already finished");
  State& s = *state_;
  const fs::path path = s.journal->store_path;  // a copy: the journal may go before the last throw
  // H5Fflush + H5Fclose: every change reaches the file through the journaling driver.
  s.file->close_all();
  s.file.reset();
  if (const int e = sync_file(s.journal->store.get())) fail_with_errno(path, "commit: cannot sync the file", e);
  // The commit point: once the journal's removal is durable, the new state is.
  if (::unlink(s.journal->journal_file.c_str()) != 0)
    fail_with_errno(s.journal->journal_file, "commit: cannot remove the journal", errno);
  const int e = sync_directory(directory_of(path));
  s.finish();
  state_.reset();
  if (e != 0)
    throw error_at(path.string(), "commit: the journal is removed but its directory cannot be synced (" +
                                      errno_text(e) + "): the commit may not survive a crash");
}

namespace {

// Removes an empty file left by a begin() that died before writing its journal, unless a live
// writer holds it. True if it did.
bool remove_abandoned_empty_file(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0) return false;
  const FileDescriptor fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return false;
  struct stat held {};
  struct stat named {};
  if (::fstat(fd.get(), &held) != 0 || held.st_size != 0 || ::stat(path.c_str(), &named) != 0 ||
      named.st_dev != held.st_dev || named.st_ino != held.st_ino || has_journal(path))
    return false;
  remove_store_file(path);
  return true;
}

}  // namespace

bool recover(const fs::path& path) {
  check_no_damaged_journal(path);
  if (!has_journal(path)) return remove_abandoned_empty_file(path);
  const FileDescriptor store = lock_store(path, false);
  if (!store.valid()) {
    // The file is gone (deleted by hand): there is nothing to roll back.
    remove_journal(path);
    return true;
  }
  if (!has_journal(path)) return false;  // its writer finished while we waited for the lock
  roll_back(store.get(), path);
  return true;
}

}  // namespace khsweep::store
