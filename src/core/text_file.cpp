#include "khsweep/core/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>  // read

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "khsweep/core/error.hpp"
#include "khsweep/core/file_descriptor.hpp"

namespace khsweep {
namespace {

// What a file that is not a regular one is, for the message; "" for a regular file.
std::string special_kind(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

// "17.0 MiB (17825792 bytes)".
std::string size_text(std::size_t bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1f MiB (%zu bytes)", static_cast<double>(bytes) / (1 << 20), bytes);
  return text;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path, const std::string& what, std::size_t max_bytes) {
  const std::string where = path.string();
  const std::string cannot = "cannot read the " + what + ": ";
  // Checks what stat says of the file (first by path, then of the opened descriptor, in case the
  // path was replaced in between).
  const auto check = [&](const struct stat& info) {
    if (const std::string kind = special_kind(info.st_mode); !kind.empty())
      throw error_at(where, cannot + "it is " + kind + ", not a regular file");
    const auto size = static_cast<std::size_t>(info.st_size);
    if (size > max_bytes)
      throw error_at(where, cannot + "it is " + size_text(size) + ", over the limit of " + size_text(max_bytes));
  };

  struct stat info {};
  if (::stat(where.c_str(), &info) != 0) throw error_at(where, cannot + std::strerror(errno));
  check(info);
  // O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait for a writer.
  const FileDescriptor file(::open(where.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0) throw error_at(where, cannot + std::strerror(errno));
  if (::fstat(file.get(), &info) != 0) throw error_at(where, cannot + std::strerror(errno));
  check(info);

  // Read to the end, not to st_size: the file may have grown since; one byte past the limit is enough to refuse it.
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(file.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw error_at(where, cannot + std::strerror(errno));
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_bytes)
      throw error_at(where, cannot + "it grew past the limit of " + size_text(max_bytes) + " while being read");
  }
}

}  // namespace khsweep
