#pragma once
// Thin RAII over a POSIX file descriptor, and I/O calls that retry on EINTR and short transfers.
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <utility>

namespace khsweep {

// Owns a POSIX file descriptor; close() reports the error the destructor would swallow.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  ~FileDescriptor() { (void)close(); }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      (void)close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  // Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  // 0, or the errno of a failed close; 0 if nothing is open.
  int close() noexcept {
    if (fd_ < 0) return 0;
    return ::close(std::exchange(fd_, -1)) == 0 ? 0 : errno;
  }

 private:
  int fd_ = -1;
};

// Writes all of `data` at `offset`. 0, or the errno of the failure.
int pwrite_fully(int fd, const unsigned char* data, std::size_t size, std::uint64_t offset) noexcept;

// Reads up to `size` bytes at `offset`; fewer only at end of file. The count read, or -errno.
ssize_t pread_fully(int fd, unsigned char* data, std::size_t size, std::uint64_t offset) noexcept;

// fsync and fdatasync. 0, or the errno of the failure.
int sync_file(int fd) noexcept;
int sync_file_data(int fd) noexcept;

// Makes the creation or removal of an entry of `dir` durable. 0, or the errno of the failure.
int sync_directory(const std::filesystem::path& dir) noexcept;

}  // namespace khsweep
