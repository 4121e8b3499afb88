#include "khsweep/store/file_locks.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>
#include <string>

#include "hdf5_file_locking.hpp"
#include "khsweep/core/error.hpp"

namespace khsweep::store {

namespace fs = std::filesystem;

namespace {

// Says once per store, on one line of stderr, that it is written without a lock and why.
void warn_unlocked(const fs::path& store, const std::string& why) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  const std::lock_guard<std::mutex> lock(mutex);
  if (!warned.insert(store.string()).second) return;
  std::cerr << "khsweep: warning: " << store.string() << ": " << why
            << ", so khsweep cannot stop a second job from writing this store at the same time\n";
}

// The value of HDF5_USE_FILE_LOCKING if it turns file locking off, else nullptr. HDF5 compares
// exactly (case matters); releases before the full parser know only "FALSE".
const char* disabling_value() noexcept {
  const char* value = std::getenv("HDF5_USE_FILE_LOCKING");
  if (value == nullptr) return nullptr;
#if KHSWEEP_HDF5_HAS_FILE_LOCKING_PROPERTY
  if (std::strcmp(value, "0") == 0) return value;
#endif
  return std::strcmp(value, "FALSE") == 0 ? value : nullptr;
}

}  // namespace

bool lock_unavailable(int error) noexcept {
  // EOPNOTSUPP and ENOTSUP are one value on Linux, two on some other systems.
  return error == ENOSYS || error == ENOLCK || error == EOPNOTSUPP || error == ENOTSUP;
}

bool lock_held_elsewhere(int error) noexcept {
  // flock says EWOULDBLOCK; fcntl says EAGAIN or, on some systems, EACCES.
  return error == EAGAIN || error == EWOULDBLOCK || error == EACCES;
}

bool locking_disabled_by_environment() noexcept { return disabling_value() != nullptr; }

bool skip_locking(const fs::path& store) {
  const char* value = disabling_value();
  if (value == nullptr) return false;
  warn_unlocked(store, std::string("HDF5_USE_FILE_LOCKING=") + value + " turns file locks off");
  return true;
}

bool go_on_unlocked(const fs::path& store, int error) {
  if (!lock_unavailable(error)) return false;
  warn_unlocked(store, "the file system gives no file locks (" + errno_text(error) + ")");
  return true;
}

}  // namespace khsweep::store
