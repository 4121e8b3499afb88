#include "khsweep/store/transaction.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "khsweep/core/error.hpp"

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

// ---- journal format ----

constexpr std::array<char, 8> kHeaderMagic = {'K', 'H', 'S', 'J', 'O', 'U', 'R', '1'};
constexpr std::array<char, 4> kRecordMagic = {'K', 'H', 'S', 'R'};
constexpr std::size_t kHeaderSize = 40;
constexpr std::size_t kRecordHeaderSize = 32;
// Records are at most this long, so recovery never allocates more on a corrupt length.
constexpr std::uint64_t kMaxRecordData = std::uint64_t{1} << 24;
constexpr std::uint32_t kStoreExisted = 1;

void put_u32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put_u64(unsigned char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
std::uint32_t get_u32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t get_u64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// CRC-32 as zlib and Python's zlib.crc32 compute it (reflected polynomial 0xEDB88320), continued
// from `crc`; written out here so the store needs no zlib of its own.
std::uint32_t crc32_of(const unsigned char* data, std::size_t size, std::uint32_t crc = 0) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = ~crc;
  for (std::size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFFU] ^ (c >> 8);
  return ~c;
}

struct Header {
  bool store_existed = false;
  std::uint64_t original_length = 0;
  std::uint64_t nonce = 0;
};

std::array<unsigned char, kHeaderSize> encode_header(const Header& h) {
  std::array<unsigned char, kHeaderSize> b{};
  std::memcpy(b.data(), kHeaderMagic.data(), kHeaderMagic.size());
  put_u32(b.data() + 8, h.store_existed ? kStoreExisted : 0);
  put_u64(b.data() + 16, h.original_length);
  put_u64(b.data() + 24, h.nonce);
  put_u32(b.data() + 32, crc32_of(b.data(), 32));
  return b;
}

std::optional<Header> decode_header(const unsigned char* b) {
  if (std::memcmp(b, kHeaderMagic.data(), kHeaderMagic.size()) != 0) return std::nullopt;
  if (get_u32(b + 32) != crc32_of(b, 32)) return std::nullopt;
  Header h;
  h.store_existed = (get_u32(b + 8) & kStoreExisted) != 0;
  h.original_length = get_u64(b + 16);
  h.nonce = get_u64(b + 24);
  return h;
}

// ---- POSIX helpers: loop over EINTR and short transfers ----

std::string errno_text(int code) { return std::generic_category().message(code); }

// 0, or the errno of the failure.
int write_fully(int fd, const unsigned char* data, std::size_t size, std::uint64_t offset) noexcept {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return 0;
}

// Reads up to `size` bytes; fewer only at end of file. The count read, or -errno.
ssize_t read_fully(int fd, unsigned char* data, std::size_t size, std::uint64_t offset) noexcept {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, data + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

// A file descriptor closed at scope exit.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  // Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  // 0, or the errno of close().
  int reset() noexcept {
    int rc = 0;
    if (fd_ >= 0 && ::close(fd_) != 0) rc = errno;
    fd_ = -1;
    return rc;
  }

 private:
  int fd_ = -1;
};

fs::path directory_of(const fs::path& path) {
  const fs::path dir = path.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// Makes the creation or removal of a directory entry durable. 0, or errno.
int sync_directory(const fs::path& dir) noexcept {
  const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  while (::fsync(fd.get()) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int sync_file(int fd) noexcept {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

[[noreturn]] void fail(const fs::path& path, const std::string& what, int code) {
  throw error_at(path.string(), what + ": " + errno_text(code));
}

// ---- the file lock ----

// The file at `path` opened read-write and locked exclusively with flock, the lock HDF5 itself takes
// (shared for readers, exclusive for writers), so readers and other writers are kept out. With
// `create` a missing file is created empty; without, a missing file gives an invalid Fd.
Fd lock_store(const fs::path& path, bool create) {
  for (int attempt = 0;; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0666));
    if (!fd.valid()) {
      const int e = errno;
      if (e == ENOENT && !create) return Fd();
      const std::string hint =
          (e == EACCES || e == EROFS || e == EPERM) ? " (is the file or its directory writable?)" : "";
      throw error_at(path.string(),
                     std::string(create ? "cannot create or open for writing: " : "cannot open for writing: ") +
                         errno_text(e) + hint);
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      const int e = errno;
      if (e == EWOULDBLOCK)
        throw StoreBusy(path.string() +
                        ": store is open in another process (a reader or a writer holds its HDF5 file lock); "
                        "retry once that process has closed it");
      // File systems without flock: go on unlocked, as HDF5 does when told to ignore disabled locks.
      if (e != ENOSYS) fail(path, "cannot lock the file", e);
    }
    // Between open and flock another process may have removed or replaced the file (a rollback
    // deletes a file its transaction created): the lock must be on the file the path names now.
    struct stat held {};
    struct stat named {};
    if (::fstat(fd.get(), &held) != 0) fail(path, "cannot stat the file", errno);
    if (::stat(path.c_str(), &named) == 0 && named.st_dev == held.st_dev && named.st_ino == held.st_ino) return fd;
    if (attempt >= 100)
      throw error_at(path.string(), "cannot lock the file: it keeps being replaced by another process");
  }
}

void remove_journal(const fs::path& path) {
  const fs::path journal = journal_path(path);
  if (::unlink(journal.c_str()) != 0 && errno != ENOENT) fail(journal, "cannot remove the journal", errno);
  if (const int e = sync_directory(directory_of(path))) fail(directory_of(path), "cannot sync the directory", e);
}

void remove_store(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail(path, "rollback: cannot remove the file", errno);
  if (const int e = sync_directory(directory_of(path))) fail(directory_of(path), "cannot sync the directory", e);
}

std::string damaged_advice(const fs::path& path) {
  const fs::path bad = damaged_journal_path(path);
  return "The store may hold part of that commit. Restore it from a copy; or, to keep it as it is, delete " +
         bad.string() + " and look at it with `khsweep status` before going on.";
}

// Keeps a journal that cannot be trusted as "<path>.journal.bad" and refuses the store.
[[noreturn]] void keep_damaged_journal(const fs::path& path, const std::string& what) {
  const fs::path journal = journal_path(path), bad = damaged_journal_path(path);
  if (::rename(journal.c_str(), bad.c_str()) != 0) fail(journal, "cannot keep the damaged journal as " + bad.string(), errno);
  (void)sync_directory(directory_of(path));
  throw error_at(path.string(), "an interrupted commit cannot be rolled back: its journal is damaged (" + what +
                                    "); it is kept as " + bad.string() + ". " + damaged_advice(path));
}

// Whether a record of this journal (magic and nonce) starts anywhere in [from, end).
bool record_follows(int journal_fd, std::uint64_t from, std::uint64_t nonce) {
  struct stat st {};
  if (::fstat(journal_fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) <= from) return false;
  std::vector<unsigned char> rest(static_cast<std::size_t>(static_cast<std::uint64_t>(st.st_size) - from));
  const ssize_t got = read_fully(journal_fd, rest.data(), rest.size(), from);
  if (got <= 0) return false;
  rest.resize(static_cast<std::size_t>(got));
  for (std::size_t at = 0; at + 16 <= rest.size(); ++at)
    if (std::memcmp(rest.data() + at, kRecordMagic.data(), kRecordMagic.size()) == 0 && get_u64(rest.data() + at + 8) == nonce)
      return true;
  return false;
}

// Undoes the transaction recorded in the journal of `path`, whose file is `store_fd`, locked.
// Idempotent: a rollback interrupted by a crash is simply done again.
void roll_back(int store_fd, const fs::path& path) {
  const fs::path journal_file = journal_path(path);
  const Fd journal(::open(journal_file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!journal.valid()) {
    if (errno == ENOENT) return;
    fail(journal_file, "rollback: cannot open the journal", errno);
  }
  std::array<unsigned char, kHeaderSize> raw{};
  const ssize_t got = read_fully(journal.get(), raw.data(), raw.size(), 0);
  if (got < 0) fail(journal_file, "rollback: cannot read the journal", static_cast<int>(-got));
  const std::optional<Header> header =
      static_cast<std::size_t>(got) == raw.size() ? decode_header(raw.data()) : std::nullopt;
  if (!header) {
    // begin() writes the header under a temporary name and renames it into place, so a journal
    // under its real name always had a valid header: this one was damaged afterwards.
    keep_damaged_journal(path, got < static_cast<ssize_t>(raw.size()) ? "its header is cut short"
                                                                      : "its header fails its checksum");
  }
  if (!header->store_existed) {
    // Truncate before unlinking the journal: if we die in between, an empty file counts as absent.
    if (::ftruncate(store_fd, 0) != 0) fail(path, "rollback: cannot truncate the file", errno);
    if (const int e = sync_file(store_fd)) fail(path, "rollback: cannot sync the file", e);
    remove_journal(path);
    remove_store(path);
    return;
  }
  // First read every record and check the journal as a whole: nothing of the file is touched if
  // it is damaged. Only the last record can be torn by a crash (records are appended and synced in
  // order), so an invalid record with valid ones after it is damage, and rolling back is unsafe.
  struct Span {
    std::uint64_t at, offset, length;
  };
  std::vector<Span> records;
  std::uint64_t at = kHeaderSize;
  std::vector<unsigned char> data;
  while (true) {
    std::array<unsigned char, kRecordHeaderSize> rec{};
    const ssize_t n = read_fully(journal.get(), rec.data(), rec.size(), at);
    if (n < 0) fail(journal_file, "rollback: cannot read the journal", static_cast<int>(-n));
    if (static_cast<std::size_t>(n) < rec.size()) break;  // end, or a torn record
    const std::uint64_t offset = get_u64(rec.data() + 16);
    const std::uint64_t length = get_u64(rec.data() + 24);
    const bool plausible = std::memcmp(rec.data(), kRecordMagic.data(), kRecordMagic.size()) == 0 &&
                           get_u64(rec.data() + 8) == header->nonce && length <= kMaxRecordData &&
                           length <= header->original_length && offset <= header->original_length - length;
    if (!plausible) {
      if (record_follows(journal.get(), at + 1, header->nonce)) keep_damaged_journal(path, "an invalid record before valid ones");
      break;
    }
    data.resize(static_cast<std::size_t>(length));
    const ssize_t d = read_fully(journal.get(), data.data(), data.size(), at + kRecordHeaderSize);
    if (d < 0) fail(journal_file, "rollback: cannot read the journal", static_cast<int>(-d));
    if (static_cast<std::size_t>(d) < data.size()) break;
    // A torn record fails its checksum; its write to the file never happened (the journal is synced first).
    if (crc32_of(data.data(), data.size(), crc32_of(rec.data() + 8, kRecordHeaderSize - 8)) != get_u32(rec.data() + 4)) {
      if (record_follows(journal.get(), at + 1, header->nonce))
        keep_damaged_journal(path, "a record fails its checksum before valid ones");
      break;
    }
    records.push_back({at, offset, length});
    at += kRecordHeaderSize + length;
  }
  // Truncate first: on a copy-on-write file system restoring the old bytes needs the space that
  // the transaction's growth holds.
  if (::ftruncate(store_fd, static_cast<off_t>(header->original_length)) != 0)
    fail(path, "rollback: cannot truncate the file", errno);
  for (const Span& r : records) {
    data.resize(static_cast<std::size_t>(r.length));
    const ssize_t d = read_fully(journal.get(), data.data(), data.size(), r.at + kRecordHeaderSize);
    if (d < 0 || static_cast<std::size_t>(d) < data.size())
      fail(journal_file, "rollback: cannot read the journal", d < 0 ? static_cast<int>(-d) : EIO);
    if (const int e = write_fully(store_fd, data.data(), data.size(), r.offset))
      fail(path, "rollback: cannot restore the file's old bytes", e);
  }
  if (const int e = sync_file(store_fd)) fail(path, "rollback: cannot sync the file", e);
  remove_journal(path);
}

// ---- the journal of an open transaction ----

// Byte ranges [begin, end) already saved to the journal, merged.
class IntervalSet {
 public:
  // The parts of [begin, end) not in the set, in order.
  [[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> missing(std::uint64_t begin,
                                                                             std::uint64_t end) const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
    auto it = spans_.upper_bound(begin);
    if (it != spans_.begin()) --it;
    std::uint64_t cursor = begin;
    for (; it != spans_.end() && it->first < end && cursor < end; ++it) {
      if (it->second <= cursor) continue;
      if (it->first > cursor) gaps.emplace_back(cursor, it->first);
      cursor = std::max(cursor, it->second);
    }
    if (cursor < end) gaps.emplace_back(cursor, end);
    return gaps;
  }

  void insert(std::uint64_t begin, std::uint64_t end) {
    auto it = spans_.upper_bound(begin);
    if (it != spans_.begin() && std::prev(it)->second >= begin) --it;
    while (it != spans_.end() && it->first <= end) {
      begin = std::min(begin, it->first);
      end = std::max(end, it->second);
      it = spans_.erase(it);
    }
    spans_.emplace(begin, end);
  }

 private:
  std::map<std::uint64_t, std::uint64_t> spans_;  // begin -> end
};

// State shared by a Transaction and the driver's open files of it.
struct Journal {
  fs::path store_path;
  fs::path journal_file;
  Fd store;    // the file, locked; driver files use dups of it so they share the lock
  Fd journal;  // the journal, open for appending records
  Header header;
  std::uint64_t end = kHeaderSize;  // where the next record goes
  IntervalSet saved;
  // Set while rolling back: HDF5's writes on close are pointless then, and are dropped.
  bool discard_writes = false;
  bool active = true;

  // Saves the old bytes of the ranges [begin, end) that lie below the original length and are not
  // saved yet, reading them through `fd`, with one sync. Empty on success, else what went wrong.
  std::string save_original(int fd, const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges) noexcept {
    try {
      if (!active) return "the transaction of this file has ended";
      std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
      for (const auto& [begin, end_of_range] : ranges) {
        const std::uint64_t stop = std::min(end_of_range, header.original_length);
        if (begin >= stop) continue;
        const auto missing = saved.missing(begin, stop);
        gaps.insert(gaps.end(), missing.begin(), missing.end());
      }
      if (gaps.empty()) return {};
      std::vector<unsigned char> batch;
      std::uint64_t at = end;
      auto flush_batch = [&]() -> int {
        if (batch.empty()) return 0;
        if (const int e = write_fully(journal.get(), batch.data(), batch.size(), at)) return e;
        at += batch.size();
        batch.clear();
        return 0;
      };
      for (const auto& [gap_begin, gap_end] : gaps) {
        for (std::uint64_t piece = gap_begin; piece < gap_end;) {
          const std::uint64_t length = std::min(gap_end - piece, kMaxRecordData);
          const std::size_t start = batch.size();
          batch.resize(start + kRecordHeaderSize + static_cast<std::size_t>(length));
          unsigned char* rec = batch.data() + start;
          std::memcpy(rec, kRecordMagic.data(), kRecordMagic.size());
          put_u64(rec + 8, header.nonce);
          put_u64(rec + 16, piece);
          put_u64(rec + 24, length);
          const ssize_t n = read_fully(fd, rec + kRecordHeaderSize, static_cast<std::size_t>(length), piece);
          if (n < 0) return "cannot read the file's old bytes: " + errno_text(static_cast<int>(-n));
          // Past the current end of file (only after an earlier truncation) the old bytes were zeros.
          std::memset(rec + kRecordHeaderSize + n, 0, static_cast<std::size_t>(length) - static_cast<std::size_t>(n));
          put_u32(rec + 4, crc32_of(rec + kRecordHeaderSize, static_cast<std::size_t>(length),
                                    crc32_of(rec + 8, kRecordHeaderSize - 8)));
          piece += length;
          if (batch.size() >= kMaxRecordData) {
            if (const int e = flush_batch())
              return "cannot append to the journal " + journal_file.string() + ": " + errno_text(e);
          }
        }
      }
      if (const int e = flush_batch())
        return "cannot append to the journal " + journal_file.string() + ": " + errno_text(e);
      // The record must be on disk before the bytes it saves are overwritten.
      while (::fdatasync(journal.get()) != 0) {
        if (errno != EINTR) return "cannot sync the journal " + journal_file.string() + ": " + errno_text(errno);
      }
      end = at;
      for (const auto& [gap_begin, gap_end] : gaps) saved.insert(gap_begin, gap_end);
      return {};
    } catch (const std::exception& e) {
      return std::string("cannot save the file's old bytes: ") + e.what();
    }
  }
};

// Open transactions by key, so a driver file finds its journal from the key in its property list.
struct Registry {
  std::mutex mutex;
  std::map<std::uint64_t, std::shared_ptr<Journal>> journals;
  std::uint64_t next_key = 1;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::uint64_t register_journal(std::shared_ptr<Journal> journal) {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const std::uint64_t key = r.next_key++;
  r.journals.emplace(key, std::move(journal));
  return key;
}

std::shared_ptr<Journal> find_journal(std::uint64_t key) {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.journals.find(key);
  return it == r.journals.end() ? nullptr : it->second;
}

void unregister_journal(std::uint64_t key) noexcept {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  r.journals.erase(key);
}

// ---- the HDF5 virtual file driver ----
// Behaves like HDF5's sec2 driver (pread/pwrite on one descriptor), plus the journal in write()
// and truncate(). Callbacks are C frames: nothing may throw out of them; failures go on HDF5's
// error stack, where the h5 layer picks the innermost message up.

// Writes over original bytes, held back so that one journal sync covers many of them: HDF5 writes
// its metadata piece by piece, and a sync per piece would make a commit several times slower.
// Segments are disjoint and never adjacent.
class PendingWrites {
 public:
  [[nodiscard]] bool empty() const { return segments_.empty(); }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }

  void add(std::uint64_t offset, const unsigned char* data, std::size_t size) {
    if (size == 0) return;
    std::uint64_t lo = offset;
    std::uint64_t hi = offset + size;
    // Every segment that overlaps or touches [lo, hi) merges into one.
    auto first = segments_.upper_bound(lo);
    if (first != segments_.begin() && end_of(*std::prev(first)) >= lo) --first;
    auto last = first;
    while (last != segments_.end() && last->first <= hi) {
      lo = std::min(lo, last->first);
      hi = std::max(hi, end_of(*last));
      ++last;
    }
    std::vector<unsigned char> merged(static_cast<std::size_t>(hi - lo));
    for (auto it = first; it != last; ++it) {
      std::memcpy(merged.data() + (it->first - lo), it->second.data(), it->second.size());
      bytes_ -= it->second.size();
    }
    std::memcpy(merged.data() + (offset - lo), data, size);
    segments_.erase(first, last);
    bytes_ += merged.size();
    segments_.emplace(lo, std::move(merged));
  }

  // Lays the held-back bytes over `out`, which was read from the file at `offset`.
  void overlay(std::uint64_t offset, unsigned char* out, std::size_t size) const {
    const std::uint64_t stop = offset + size;
    auto it = segments_.upper_bound(offset);
    if (it != segments_.begin()) --it;
    for (; it != segments_.end() && it->first < stop; ++it) {
      const std::uint64_t lo = std::max(offset, it->first);
      const std::uint64_t hi = std::min(stop, end_of(*it));
      if (lo < hi)
        std::memcpy(out + (lo - offset), it->second.data() + (lo - it->first), static_cast<std::size_t>(hi - lo));
    }
  }

  [[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges() const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> r;
    for (const auto& segment : segments_) r.emplace_back(segment.first, end_of(segment));
    return r;
  }

  [[nodiscard]] const std::map<std::uint64_t, std::vector<unsigned char>>& segments() const { return segments_; }

  void clear() {
    segments_.clear();
    bytes_ = 0;
  }

 private:
  static std::uint64_t end_of(const std::pair<const std::uint64_t, std::vector<unsigned char>>& segment) {
    return segment.first + segment.second.size();
  }

  std::map<std::uint64_t, std::vector<unsigned char>> segments_;  // offset -> bytes
  std::size_t bytes_ = 0;
};

// Beyond this many held-back bytes, write them out rather than hold more.
constexpr std::size_t kMaxPendingBytes = std::size_t{8} << 20;

// The driver's file-access property ("driver info"): which open transaction the file belongs to.
struct DriverConfig {
  std::uint64_t key = 0;
};

struct DriverState {
  int fd = -1;
  dev_t device = 0;
  ino_t inode = 0;
  haddr_t eoa = 0;
  haddr_t eof = 0;
  bool ignore_disabled_locks = false;
  DriverConfig config;
  std::shared_ptr<Journal> journal;
  PendingWrites pending;  // writes below the original length, not yet in the file
};

// HDF5 allocates nothing here: open() returns this, and HDF5 treats its first member as the file.
struct DriverFile {
  H5FD_t pub;
  DriverState* state;
};

constexpr haddr_t kMaxAddr = (haddr_t{1} << (8 * sizeof(off_t) - 1)) - 1;

void push_error(const char* func, hid_t major, hid_t minor, const std::string& message) noexcept {
  H5Epush2(H5E_DEFAULT, __FILE__, func, __LINE__, H5E_ERR_CLS, major, minor, "%s", message.c_str());
}

DriverState& state_of(const H5FD_t* file) { return *reinterpret_cast<const DriverFile*>(file)->state; }

bool region_invalid(haddr_t addr, std::size_t size, haddr_t eoa) {
  return addr == HADDR_UNDEF || addr > kMaxAddr || size > kMaxAddr - addr || addr + size > eoa;
}

// Saves the old bytes under the held-back writes to the journal (one sync), then writes them.
// Empty on success, else what went wrong.
std::string write_pending(DriverState& s) noexcept {
  if (s.pending.empty()) return {};
  if (s.journal->discard_writes) {
    s.pending.clear();
    return {};
  }
  std::string problem = s.journal->save_original(s.fd, s.pending.ranges());
  if (!problem.empty()) return problem;
  for (const auto& [offset, bytes] : s.pending.segments()) {
    if (const int e = write_fully(s.fd, bytes.data(), bytes.size(), offset))
      return "journaling driver: write failed: " + errno_text(e);
  }
  s.pending.clear();
  return {};
}

void* driver_fapl_copy(const void* info) noexcept {
  auto* copy = static_cast<DriverConfig*>(std::malloc(sizeof(DriverConfig)));
  if (copy != nullptr) std::memcpy(copy, info, sizeof(DriverConfig));
  return copy;
}

herr_t driver_fapl_free(void* info) noexcept {
  std::free(info);
  return 0;
}

void* driver_fapl_get(H5FD_t* file) noexcept { return driver_fapl_copy(&state_of(file).config); }

H5FD_t* driver_open(const char* name, unsigned flags, hid_t fapl, haddr_t maxaddr) noexcept {
  static const char* const func = "khsweep_journal_open";
  try {
    if (name == nullptr || *name == '\0') {
      push_error(func, H5E_ARGS, H5E_BADVALUE, "journaling driver: no file name");
      return nullptr;
    }
    if (maxaddr == 0 || maxaddr > kMaxAddr) {
      push_error(func, H5E_ARGS, H5E_BADRANGE, "journaling driver: bad maximum address");
      return nullptr;
    }
    const auto* config = static_cast<const DriverConfig*>(H5Pget_driver_info(fapl));
    std::shared_ptr<Journal> journal = config == nullptr ? nullptr : find_journal(config->key);
    if (!journal || !journal->active) {
      push_error(func, H5E_VFL, H5E_CANTOPENFILE,
                 std::string(name) + ": the journaling driver opens files only inside a store::Transaction");
      return nullptr;
    }
    struct stat named {};
    struct stat held {};
    if (::stat(name, &named) != 0 || ::fstat(journal->store.get(), &held) != 0 || named.st_dev != held.st_dev ||
        named.st_ino != held.st_ino) {
      push_error(func, H5E_VFL, H5E_CANTOPENFILE,
                 std::string(name) + " is not the file of the transaction (" + journal->store_path.string() + ")");
      return nullptr;
    }
    // A dup shares the open file description, hence the transaction's flock.
    Fd fd(::fcntl(journal->store.get(), F_DUPFD_CLOEXEC, 0));
    if (!fd.valid()) {
      push_error(func, H5E_FILE, H5E_CANTOPENFILE,
                 std::string(name) + ": cannot duplicate the descriptor: " + errno_text(errno));
      return nullptr;
    }
    if ((flags & H5F_ACC_TRUNC) != 0) {
      // Truncating would destroy bytes the journal has not saved; begin() creates only empty files.
      if (journal->header.original_length > 0) {
        push_error(func, H5E_FILE, H5E_CANTOPENFILE,
                   std::string(name) + ": refusing to truncate a file inside a transaction");
        return nullptr;
      }
      if (::ftruncate(fd.get(), 0) != 0) {
        push_error(func, H5E_FILE, H5E_CANTOPENFILE, std::string(name) + ": cannot truncate: " + errno_text(errno));
        return nullptr;
      }
    }
    if (::fstat(fd.get(), &held) != 0) {
      push_error(func, H5E_FILE, H5E_BADFILE, std::string(name) + ": cannot stat: " + errno_text(errno));
      return nullptr;
    }
    auto state = std::make_unique<DriverState>();
    state->device = held.st_dev;
    state->inode = held.st_ino;
    state->eof = static_cast<haddr_t>(held.st_size);
    state->config = *config;
    state->journal = std::move(journal);
#if H5_VERSION_GE(1, 10, 7) && !(H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 12 && H5_VERS_RELEASE == 0)
    hbool_t use_locks = true;
    hbool_t ignore_disabled = false;
    if (H5Pget_file_locking(fapl, &use_locks, &ignore_disabled) >= 0) state->ignore_disabled_locks = ignore_disabled;
#endif
    auto file = std::make_unique<DriverFile>();
    std::memset(&file->pub, 0, sizeof file->pub);
    state->fd = fd.release();  // closed by driver_close
    file->state = state.release();
    return &file.release()->pub;
  } catch (const std::exception& e) {
    push_error(func, H5E_VFL, H5E_CANTOPENFILE, std::string("journaling driver: ") + e.what());
    return nullptr;
  }
}

herr_t driver_close(H5FD_t* file) noexcept {
  auto* f = reinterpret_cast<DriverFile*>(file);
  const std::string problem = write_pending(*f->state);
  const int rc = ::close(f->state->fd);
  const int e = errno;
  delete f->state;
  delete f;
  if (!problem.empty()) {
    push_error("khsweep_journal_close", H5E_IO, H5E_WRITEERROR, problem);
    return -1;
  }
  if (rc != 0) {
    push_error("khsweep_journal_close", H5E_IO, H5E_CANTCLOSEFILE, "journaling driver: close failed: " + errno_text(e));
    return -1;
  }
  return 0;
}

int driver_cmp(const H5FD_t* a, const H5FD_t* b) noexcept {
  const DriverState& x = state_of(a);
  const DriverState& y = state_of(b);
  if (x.device != y.device) return x.device < y.device ? -1 : 1;
  if (x.inode != y.inode) return x.inode < y.inode ? -1 : 1;
  return 0;
}

herr_t driver_query(const H5FD_t*, unsigned long* flags) noexcept {
  if (flags != nullptr) {
    // What sec2 allows, minus SWMR and the POSIX-compatible handle (nothing may write around the
    // journal). Aggregation, the metadata accumulator and sieving only batch writes differently.
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
  }
  return 0;
}

haddr_t driver_get_eoa(const H5FD_t* file, H5FD_mem_t) noexcept { return state_of(file).eoa; }

herr_t driver_set_eoa(H5FD_t* file, H5FD_mem_t, haddr_t addr) noexcept {
  if (addr > kMaxAddr) {
    push_error("khsweep_journal_set_eoa", H5E_ARGS, H5E_OVERFLOW, "journaling driver: address overflow");
    return -1;
  }
  state_of(file).eoa = addr;
  return 0;
}

haddr_t driver_get_eof(const H5FD_t* file, H5FD_mem_t) noexcept { return state_of(file).eof; }

herr_t driver_get_handle(H5FD_t* file, hid_t, void** handle) noexcept {
  if (handle == nullptr) {
    push_error("khsweep_journal_get_handle", H5E_ARGS, H5E_BADVALUE, "journaling driver: no handle pointer");
    return -1;
  }
  *handle = &state_of(file).fd;
  return 0;
}

herr_t driver_read(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, void* buffer) noexcept {
  DriverState& s = state_of(file);
  if (region_invalid(addr, size, s.eoa)) {
    push_error("khsweep_journal_read", H5E_ARGS, H5E_OVERFLOW, "journaling driver: read beyond the end of allocation");
    return -1;
  }
  auto* out = static_cast<unsigned char*>(buffer);
  const ssize_t n = read_fully(s.fd, out, size, addr);
  if (n < 0) {
    push_error("khsweep_journal_read", H5E_IO, H5E_READERROR,
               "journaling driver: read failed: " + errno_text(static_cast<int>(-n)));
    return -1;
  }
  // Allocated but never written: zeros, as sec2 gives.
  std::memset(out + n, 0, size - static_cast<std::size_t>(n));
  s.pending.overlay(addr, out, size);
  return 0;
}

herr_t driver_write(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, const void* buffer) noexcept {
  static const char* const func = "khsweep_journal_write";
  DriverState& s = state_of(file);
  if (region_invalid(addr, size, s.eoa)) {
    push_error(func, H5E_ARGS, H5E_OVERFLOW, "journaling driver: write beyond the end of allocation");
    return -1;
  }
  if (s.journal->discard_writes) return 0;
  try {
    const auto* data = static_cast<const unsigned char*>(buffer);
    // Below the original length: held back until a flush, so one journal sync covers many writes.
    // At or beyond it: written now; a rollback cuts it off.
    const std::uint64_t original = s.journal->header.original_length;
    const std::size_t held =
        addr < original ? static_cast<std::size_t>(std::min<std::uint64_t>(size, original - addr)) : 0;
    s.pending.add(addr, data, held);
    if (const int e = write_fully(s.fd, data + held, size - held, addr + held)) {
      push_error(func, H5E_IO, H5E_WRITEERROR, "journaling driver: write failed: " + errno_text(e));
      return -1;
    }
  } catch (const std::exception& e) {
    push_error(func, H5E_IO, H5E_WRITEERROR, std::string("journaling driver: ") + e.what());
    return -1;
  }
  s.eof = std::max<haddr_t>(s.eof, addr + size);
  if (s.pending.bytes() > kMaxPendingBytes) {
    const std::string problem = write_pending(s);
    if (!problem.empty()) {
      push_error(func, H5E_IO, H5E_WRITEERROR, problem);
      return -1;
    }
  }
  return 0;
}

herr_t driver_flush(H5FD_t* file, hid_t, hbool_t) noexcept {
  const std::string problem = write_pending(state_of(file));
  if (problem.empty()) return 0;
  push_error("khsweep_journal_flush", H5E_IO, H5E_WRITEERROR, problem);
  return -1;
}

herr_t driver_truncate(H5FD_t* file, hid_t, hbool_t) noexcept {
  static const char* const func = "khsweep_journal_truncate";
  DriverState& s = state_of(file);
  if (s.eoa == s.eof || s.journal->discard_writes) return 0;
  // Cutting below the original length destroys original bytes: save them first.
  std::string problem = write_pending(s);
  if (problem.empty()) problem = s.journal->save_original(s.fd, {{s.eoa, s.eof}});
  if (!problem.empty()) {
    push_error(func, H5E_IO, H5E_SEEKERROR, problem);
    return -1;
  }
  if (::ftruncate(s.fd, static_cast<off_t>(s.eoa)) != 0) {
    push_error(func, H5E_IO, H5E_SEEKERROR, "journaling driver: cannot truncate: " + errno_text(errno));
    return -1;
  }
  s.eof = s.eoa;
  return 0;
}

herr_t driver_lock(H5FD_t* file, hbool_t) noexcept {
  // Always exclusive: a journaled file is open for writing. The descriptor shares the
  // transaction's open file description, which already holds this lock.
  const DriverState& s = state_of(file);
  if (::flock(s.fd, LOCK_EX | LOCK_NB) == 0) return 0;
  const int e = errno;
  if (e == ENOSYS && s.ignore_disabled_locks) return 0;
  push_error("khsweep_journal_lock", H5E_FILE, H5E_CANTLOCKFILE,
             "journaling driver: unable to lock the file: " + errno_text(e));
  return -1;
}

herr_t driver_unlock(H5FD_t*) noexcept {
  // The transaction releases the lock itself once its journal is gone: until then a rollback may
  // still write to the file, so no reader may open it.
  return 0;
}

H5FD_class_t make_driver_class() {
  H5FD_class_t c;
  std::memset(&c, 0, sizeof c);
  c.name = "khsweep_journal";
  c.maxaddr = kMaxAddr;
  c.fc_degree = H5F_CLOSE_WEAK;
  c.fapl_size = sizeof(DriverConfig);
  c.fapl_get = driver_fapl_get;
  c.fapl_copy = driver_fapl_copy;
  c.fapl_free = driver_fapl_free;
  c.open = driver_open;
  c.close = driver_close;
  c.cmp = driver_cmp;
  c.query = driver_query;
  c.get_eoa = driver_get_eoa;
  c.set_eoa = driver_set_eoa;
  c.get_eof = driver_get_eof;
  c.get_handle = driver_get_handle;
  c.read = driver_read;
  c.write = driver_write;
  c.flush = driver_flush;
  c.truncate = driver_truncate;
  c.lock = driver_lock;
  c.unlock = driver_unlock;
  const H5FD_mem_t map[] = H5FD_FLMAP_DICHOTOMY;
  std::copy(std::begin(map), std::end(map), c.fl_map);
  return c;
}

// The driver's id, registered on first use (and again if the library was closed meanwhile).
hid_t journal_driver() {
  static std::mutex mutex;
  static const H5FD_class_t driver_class = make_driver_class();
  static hid_t id = H5I_INVALID_HID;
  const std::lock_guard<std::mutex> lock(mutex);
  if (id < 0 || H5Iis_valid(id) <= 0) id = H5FDregister(&driver_class);
  return id;
}

std::uint64_t random_nonce() {
  std::random_device device;
  std::uint64_t n = 0;
  for (int i = 0; i < 2; ++i) n = (n << 32) ^ device();
  return n;
}

}  // namespace

// ---- Transaction ----

struct Transaction::State {
  std::shared_ptr<Journal> journal;
  std::uint64_t key = 0;
  std::optional<h5::File> file;

  // Unregisters and closes the journal and the file, which releases the lock.
  void finish() noexcept {
    unregister_journal(key);
    journal->active = false;
    journal->journal.reset();
    journal->store.reset();
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
  auto journal = std::make_shared<Journal>();
  journal->store_path = path;
  journal->journal_file = journal_path(path);
  for (int attempt = 0;; ++attempt) {
    journal->store = lock_store(path, true);
    if (!has_journal(path)) break;
    // A rollback may delete the file (when its transaction created it): lock afresh after it.
    roll_back(journal->store.get(), path);
    journal->store.reset();  // flock: a second descriptor of this process would conflict with ours
    if (attempt >= 3) throw error_at(where, "begin transaction: the journal keeps reappearing");
  }
  struct stat st {};
  if (::fstat(journal->store.get(), &st) != 0) fail(path, "begin transaction: cannot stat the file", errno);
  // An empty file holds no HDF5 data: it counts as absent, and a rollback removes it.
  journal->header.store_existed = st.st_size > 0;
  journal->header.original_length = static_cast<std::uint64_t>(st.st_size);
  journal->header.nonce = random_nonce();

  // The header is written and synced under a temporary name and renamed into place, so a journal
  // under its real name always has a whole, valid header: an invalid one is damage (roll_back).
  fs::path header_file = journal->journal_file;
  header_file += ".tmp";
  journal->journal = Fd(::open(header_file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!journal->journal.valid()) {
    const int e = errno;
    if (!journal->header.store_existed) (void)::unlink(path.c_str());  // the empty file we created
    throw error_at(where, "begin transaction: cannot create the journal " + journal->journal_file.string() + ": " +
                              errno_text(e) + " (is the directory writable?)");
  }
  const auto header = encode_header(journal->header);
  int header_error = write_fully(journal->journal.get(), header.data(), header.size(), 0);
  if (header_error == 0) header_error = sync_file(journal->journal.get());
  if (header_error == 0 && ::rename(header_file.c_str(), journal->journal_file.c_str()) != 0) header_error = errno;
  if (header_error != 0) {
    (void)::unlink(header_file.c_str());
    if (!journal->header.store_existed) (void)::unlink(path.c_str());
    fail(journal->journal_file, "begin transaction: cannot write the journal", header_error);
  }
  auto state = std::make_unique<State>();
  state->journal = journal;
  state->key = register_journal(journal);
  Transaction t(std::move(state));  // from here on, a failure rolls back in t's destructor
  if (const int e = sync_directory(dir)) fail(dir, "begin transaction: cannot sync the directory", e);

  const hid_t driver = journal_driver();
  if (driver < 0) throw error_at(where, "begin transaction: cannot register the journaling HDF5 file driver");
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) throw error_at(where, "begin transaction: cannot create a file access property list");
  const DriverConfig config{t.state_->key};
  bool ok = H5Pset_driver(fapl, driver, &config) >= 0 && H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0;
#if H5_VERSION_GE(1, 10, 7) && !(H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 12 && H5_VERS_RELEASE == 0)
  ok = ok && H5Pset_file_locking(fapl, true, true) >= 0;
#endif
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
  if (const int e = sync_file(s.journal->store.get())) fail(path, "commit: cannot sync the file", e);
  // The commit point: once the journal's removal is durable, the new state is.
  if (::unlink(s.journal->journal_file.c_str()) != 0)
    fail(s.journal->journal_file, "commit: cannot remove the journal", errno);
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
  const Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return false;
  struct stat held {};
  struct stat named {};
  if (::fstat(fd.get(), &held) != 0 || held.st_size != 0 || ::stat(path.c_str(), &named) != 0 ||
      named.st_dev != held.st_dev || named.st_ino != held.st_ino || has_journal(path))
    return false;
  remove_store(path);
  return true;
}

}  // namespace

bool recover(const fs::path& path) {
  check_no_damaged_journal(path);
  if (!has_journal(path)) return remove_abandoned_empty_file(path);
  const Fd store = lock_store(path, false);
  if (!store.valid()) {
    // The file is gone (deleted by hand): there is nothing to roll back.
    remove_journal(path);
    return true;
  }
  if (!has_journal(path)) return false;  // its writer finished while we waited for the lock
  roll_back(store.get(), path);
  return true;
}

bool has_journal(const fs::path& path) {
  std::error_code ec;
  return fs::exists(journal_path(path), ec);
}

fs::path beside_store(const fs::path& store, const char* suffix) {
  // Link by link rather than fs::canonical, which fails on a link to a store not created yet.
  fs::path p = store;
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    p = (target.is_absolute() ? target : p.parent_path() / target).lexically_normal();
  }
  p += suffix;
  return p;
}

fs::path journal_path(const fs::path& path) { return beside_store(path, ".journal"); }

fs::path damaged_journal_path(const fs::path& path) { return beside_store(path, ".journal.bad"); }

void check_no_damaged_journal(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(damaged_journal_path(path), ec)) return;
  throw error_at(path.string(), "refusing the store: the journal of an interrupted commit was damaged and is kept as " +
                                    damaged_journal_path(path).string() + ". " + damaged_advice(path));
}

}  // namespace khsweep::store
