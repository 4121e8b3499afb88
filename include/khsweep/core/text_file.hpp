#pragma once
// The one reader of the small text files a user names (sweep files, `khsweep train --config`).
#include <cstddef>
#include <filesystem>
#include <string>

namespace khsweep {

// Far beyond any sweep or config file, and small enough that a wrong path (a disk image, a log)
// is refused at once instead of being read into memory.
inline constexpr std::size_t kMaxTextFileBytes = std::size_t{16} << 20;  // 16 MiB

// The whole content of `path`. Throws khsweep::Error "PATH: cannot read the <what>: <reason>"
// when it is not a regular file (a directory, FIFO, device or socket is refused before it is
// opened for reading, so a FIFO never blocks), when it is larger than `max_bytes`, or when it
// cannot be opened or read. `what` names the file's role: "sweep file", "config file".
[[nodiscard]] std::string read_text_file(const std::filesystem::path& path, const std::string& what,
                                         std::size_t max_bytes = kMaxTextFileBytes);

}  // namespace khsweep
