#pragma once
#include <string>

namespace khsweep {

// The current time as ISO 8601 UTC ("2026-11-23T16:30:27Z"), as every file khsweep writes records it.
[[nodiscard]] std::string utc_now();

// The current time in seconds since the Unix epoch, with its fraction: for times that another
// process (on another node) compares with its own clock.
[[nodiscard]] double unix_seconds_now();

}  // namespace khsweep
