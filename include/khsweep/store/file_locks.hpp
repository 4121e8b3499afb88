#pragma once
// When khsweep writes a store without a file lock. Cluster file systems may give no locks (Lustre
// mounted without flock, NFS without a lock daemon), and HDF5_USE_FILE_LOCKING=FALSE, HDF5's own
// switch, turns them off on purpose. In both cases the coordinator lock ("<store>.lock"), the
// transaction's flock and the journaling driver's lock go on without a lock, and the user is told
// once that nothing then keeps a second job off the store. Those decisions are all made here.

#include <filesystem>

namespace khsweep::store {

// Whether `error`, set by a failed flock or fcntl lock, means the file system gives no locks (ENOSYS,
// ENOLCK, EOPNOTSUPP/ENOTSUP), as opposed to a lock held by another process (EAGAIN/EWOULDBLOCK,
// EACCES) or any other failure.
[[nodiscard]] bool lock_unavailable(int error) noexcept;

// Whether `error`, set by a failed non-blocking flock or fcntl lock, means another process holds it.
[[nodiscard]] bool lock_held_elsewhere(int error) noexcept;

// Whether HDF5_USE_FILE_LOCKING turns file locking off, read as the HDF5 library khsweep is built
// with reads it: "FALSE", and since HDF5 1.10.7 and 1.12.1 also "0". ("TRUE", "1", "BEST_EFFORT"
// and anything else leave the locks on.)
[[nodiscard]] bool locking_disabled_by_environment() noexcept;

// True when khsweep must not lock `store` because HDF5_USE_FILE_LOCKING turns locking off; the
// first time for a store, says on stderr that no job is then kept off it.
[[nodiscard]] bool skip_locking(const std::filesystem::path& store);

// After a lock on `store` (or on its lock file) failed with `error`: true when the file system gives
// no locks, so the caller goes on without one (the first time for a store, this is said on stderr);
// false when the caller must report the failure.
[[nodiscard]] bool go_on_unlocked(const std::filesystem::path& store, int error);

}  // namespace khsweep::store
