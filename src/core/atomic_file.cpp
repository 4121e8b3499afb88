#include "khsweep/core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "khsweep/core/error.hpp"
#include "khsweep/core/file_descriptor.hpp"

namespace khsweep {

namespace fs = std::filesystem;

namespace {

// "<file>: cannot write the <what>: <step>: <reason>".
Error write_failed(const fs::path& file, const std::string& what, const std::string& step, int err) {
  const std::string reason = errno_text(err);
  return error_at(file.string(), "cannot write the " + what + ": " + step + ": " + reason);
}

// Throws unless `err` is 0, or EINVAL: a file system that cannot sync directories has nothing more to do.
void check_synced(int err, const fs::path& path, const fs::path& file, const std::string& what) {
  if (err != 0 && err != EINVAL) throw write_failed(file, what, "cannot fsync " + path.string(), err);
}

}  // namespace

void replace_file_atomically(const fs::path& file, const std::string& what,
                             const std::function<void(const fs::path& temporary)>& write_temporary, Sync sync) {
  const fs::path temporary = file.string() + ".tmp." + std::to_string(::getpid());
  try {
    write_temporary(temporary);
    // Sync before the rename: otherwise a power cut can leave the new name pointing at an empty file.
    if (sync == Sync::durable) {
      const FileDescriptor fd(::open(temporary.c_str(), O_RDONLY | O_CLOEXEC));
      check_synced(fd.valid() ? sync_file(fd.get()) : errno, temporary, file, what);
    }
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
      const int err = errno;
      throw write_failed(file, what, "cannot rename " + temporary.string() + " over it", err);
    }
  } catch (...) {
    ::unlink(temporary.c_str());  // useless half-written; `file` was never touched
    throw;
  }
  // The rename itself is durable only once the directory is synced.
  if (sync == Sync::durable) {
    const fs::path directory = file.has_parent_path() ? file.parent_path() : fs::path(".");
    check_synced(sync_directory(directory), directory, file, what);
  }
}

void write_file_atomically(const fs::path& file, const std::string& what, std::string_view content, Sync sync) {
  replace_file_atomically(
      file, what,
      [&](const fs::path& temporary) {
        FileDescriptor out(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (out.get() < 0) {
          const int err = errno;
          throw write_failed(file, what, "cannot create " + temporary.string(), err);
        }
        const auto* bytes = reinterpret_cast<const unsigned char*>(content.data());
        if (const int err = pwrite_fully(out.get(), bytes, content.size(), 0); err != 0)
          throw write_failed(file, what, "cannot write " + temporary.string(), err);
        if (const int err = out.close(); err != 0)
          throw write_failed(file, what, "cannot close " + temporary.string(), err);
      },
      sync);
}

}  // namespace khsweep
