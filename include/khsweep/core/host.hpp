#pragma once
#include <string>

namespace khsweep {

// This machine's host name (gethostname), or "unknown" when it cannot be read: what the lock file,
// the progress file and the store's job records say a process runs on.
[[nodiscard]] std::string host_name();

}  // namespace khsweep
