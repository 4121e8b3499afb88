#include "journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "khsweep/core/error.hpp"
#include "khsweep/store/transaction.hpp"

namespace khsweep::store {

namespace fs = std::filesystem;

fs::path directory_of(const fs::path& path) {
  const fs::path dir = path.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

void fail_with_errno(const fs::path& path, const std::string& what, int code) {
  throw error_at(path.string(), what + ": " + errno_text(code));
}

namespace {

// ---- the format: docs/store-journal.md, "Journal format" ----

constexpr std::array<char, 8> kHeaderMagic = {'K', 'H', 'S', 'J', 'O', 'U', 'R', '1'};
constexpr std::array<char, 4> kRecordMagic = {'K', 'H', 'S', 'R'};
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

std::array<unsigned char, kJournalHeaderSize> encode_header(const JournalHeader& h) {
  std::array<unsigned char, kJournalHeaderSize> b{};
  std::memcpy(b.data(), kHeaderMagic.data(), kHeaderMagic.size());
  put_u32(b.data() + 8, h.store_existed ? kStoreExisted : 0);
  put_u64(b.data() + 16, h.original_length);
  put_u64(b.data() + 24, h.nonce);
  put_u32(b.data() + 32, crc32_of(b.data(), 32));
  return b;
}

std::optional<JournalHeader> decode_header(const unsigned char* b) {
  if (std::memcmp(b, kHeaderMagic.data(), kHeaderMagic.size()) != 0) return std::nullopt;
  if (get_u32(b + 32) != crc32_of(b, 32)) return std::nullopt;
  JournalHeader h;
  h.store_existed = (get_u32(b + 8) & kStoreExisted) != 0;
  h.original_length = get_u64(b + 16);
  h.nonce = get_u64(b + 24);
  return h;
}

std::uint64_t random_nonce() {
  std::random_device device;
  std::uint64_t n = 0;
  for (int i = 0; i < 2; ++i) n = (n << 32) ^ device();
  return n;
}

// ---- damaged journals ----

std::string damaged_advice(const fs::path& path) {
  const fs::path bad = damaged_journal_path(path);
  return "The store may hold part of that commit. Restore it from a copy; or, to keep it as it is, delete " +
         bad.string() + " and look at it with `khsweep status` before going on.";
}

// Keeps a journal that cannot be trusted as "<path>.journal.bad" and refuses the store.
[[noreturn]] void keep_damaged_journal(const fs::path& path, const std::string& what) {
  const fs::path journal = journal_path(path), bad = damaged_journal_path(path);
  if (::rename(journal.c_str(), bad.c_str()) != 0)
    fail_with_errno(journal, "cannot keep the damaged journal as " + bad.string(), errno);
  (void)sync_directory(directory_of(path));
  throw error_at(path.string(), "an interrupted commit cannot be rolled back: its journal is damaged (" + what +
                                    "); it is kept as " + bad.string() + ". " + damaged_advice(path));
}

// Whether a record of this journal (magic and nonce) starts anywhere in [from, end).
bool record_follows(int journal_fd, std::uint64_t from, std::uint64_t nonce) {
  struct stat st {};
  if (::fstat(journal_fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) <= from) return false;
  std::vector<unsigned char> rest(static_cast<std::size_t>(static_cast<std::uint64_t>(st.st_size) - from));
  const ssize_t got = pread_fully(journal_fd, rest.data(), rest.size(), from);
  if (got <= 0) return false;
  rest.resize(static_cast<std::size_t>(got));
  for (std::size_t at = 0; at + 16 <= rest.size(); ++at)
    if (std::memcmp(rest.data() + at, kRecordMagic.data(), kRecordMagic.size()) == 0 && get_u64(rest.data() + at + 8) == nonce)
      return true;
  return false;
}

}  // namespace

// ---- writing: the journal of an open transaction ----

std::vector<std::pair<std::uint64_t, std::uint64_t>> IntervalSet::missing(std::uint64_t begin,
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

void IntervalSet::insert(std::uint64_t begin, std::uint64_t end) {
  auto it = spans_.upper_bound(begin);
  if (it != spans_.begin() && std::prev(it)->second >= begin) --it;
  while (it != spans_.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    it = spans_.erase(it);
  }
  spans_.emplace(begin, end);
}

void OpenJournal::start(bool store_existed, std::uint64_t original_length) {
  header.store_existed = store_existed;
  header.original_length = original_length;
  header.nonce = random_nonce();
  fs::path header_file = journal_file;
  header_file += ".tmp";
  journal = FileDescriptor(::open(header_file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!journal.valid()) {
    const int e = errno;
    throw error_at(store_path.string(), "begin transaction: cannot create the journal " + journal_file.string() + ": " +
                                            errno_text(e) + " (is the directory writable?)");
  }
  const auto encoded = encode_header(header);
  int header_error = pwrite_fully(journal.get(), encoded.data(), encoded.size(), 0);
  if (header_error == 0) header_error = sync_file(journal.get());
  if (header_error == 0 && ::rename(header_file.c_str(), journal_file.c_str()) != 0) header_error = errno;
  if (header_error != 0) {
    (void)::unlink(header_file.c_str());
    fail_with_errno(journal_file, "begin transaction: cannot write the journal", header_error);
  }
}

std::string OpenJournal::save_original(int fd,
                                       const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges) noexcept {
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
      if (const int e = pwrite_fully(journal.get(), batch.data(), batch.size(), at)) return e;
      at += batch.size();
      batch.clear();
      return 0;
    };
    for (const auto& [gap_begin, gap_end] : gaps) {
      for (std::uint64_t piece = gap_begin; piece < gap_end;) {
        const std::uint64_t length = std::min(gap_end - piece, kMaxRecordData);
        const std::size_t record_start = batch.size();
        batch.resize(record_start + kRecordHeaderSize + static_cast<std::size_t>(length));
        unsigned char* rec = batch.data() + record_start;
        std::memcpy(rec, kRecordMagic.data(), kRecordMagic.size());
        put_u64(rec + 8, header.nonce);
        put_u64(rec + 16, piece);
        put_u64(rec + 24, length);
        const ssize_t n = pread_fully(fd, rec + kRecordHeaderSize, static_cast<std::size_t>(length), piece);
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
    if (const int e = sync_file_data(journal.get()))
      return "cannot sync the journal " + journal_file.string() + ": " + errno_text(e);
    end = at;
    for (const auto& [gap_begin, gap_end] : gaps) saved.insert(gap_begin, gap_end);
    return {};
  } catch (const std::exception& e) {
    return std::string("cannot save the file's old bytes: ") + e.what();
  }
}

// ---- rollback ----

namespace {

// Makes the creation or removal of a file beside `path` durable.
void sync_directory_of(const fs::path& path) {
  const fs::path dir = directory_of(path);
  if (const int e = sync_directory(dir)) fail_with_errno(dir, "cannot sync the directory", e);
}

}  // namespace

void remove_journal(const fs::path& path) {
  const fs::path journal = journal_path(path);
  if (::unlink(journal.c_str()) != 0 && errno != ENOENT) fail_with_errno(journal, "cannot remove the journal", errno);
  sync_directory_of(path);
}

void remove_store_file(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail_with_errno(path, "rollback: cannot remove the file", errno);
  sync_directory_of(path);
}

void roll_back(int store_fd, const fs::path& path) {
  const fs::path journal_file = journal_path(path);
  const FileDescriptor journal(::open(journal_file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!journal.valid()) {
    if (errno == ENOENT) return;
    fail_with_errno(journal_file, "rollback: cannot open the journal", errno);
  }
  std::array<unsigned char, kJournalHeaderSize> raw{};
  const ssize_t got = pread_fully(journal.get(), raw.data(), raw.size(), 0);
  if (got < 0) fail_with_errno(journal_file, "rollback: cannot read the journal", static_cast<int>(-got));
  const std::optional<JournalHeader> header =
      static_cast<std::size_t>(got) == raw.size() ? decode_header(raw.data()) : std::nullopt;
  if (!header) {
    // begin() writes the header under a temporary name and renames it into place, so a journal
    // under its real name always had a valid header: this one was damaged afterwards.
    keep_damaged_journal(path, got < static_cast<ssize_t>(raw.size()) ? "its header is cut short"
                                                                      : "its header fails its checksum");
  }
  if (!header->store_existed) {
    // Truncate before unlinking the journal: if we die in between, an empty file counts as absent.
    if (::ftruncate(store_fd, 0) != 0) fail_with_errno(path, "rollback: cannot truncate the file", errno);
    if (const int e = sync_file(store_fd)) fail_with_errno(path, "rollback: cannot sync the file", e);
    remove_journal(path);
    remove_store_file(path);
    return;
  }
  // First read every record and check the journal as a whole: nothing of the file is touched if
  // it is damaged. Only the last record can be torn by a crash (records are appended and synced in
  // order), so an invalid record with valid ones after it is damage, and rolling back is unsafe.
  struct Span {
    std::uint64_t at, offset, length;
  };
  std::vector<Span> records;
  std::uint64_t at = kJournalHeaderSize;
  std::vector<unsigned char> data;
  while (true) {
    std::array<unsigned char, kRecordHeaderSize> rec{};
    const ssize_t n = pread_fully(journal.get(), rec.data(), rec.size(), at);
    if (n < 0) fail_with_errno(journal_file, "rollback: cannot read the journal", static_cast<int>(-n));
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
    const ssize_t d = pread_fully(journal.get(), data.data(), data.size(), at + kRecordHeaderSize);
    if (d < 0) fail_with_errno(journal_file, "rollback: cannot read the journal", static_cast<int>(-d));
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
    fail_with_errno(path, "rollback: cannot truncate the file", errno);
  for (const Span& r : records) {
    data.resize(static_cast<std::size_t>(r.length));
    const ssize_t d = pread_fully(journal.get(), data.data(), data.size(), r.at + kRecordHeaderSize);
    if (d < 0 || static_cast<std::size_t>(d) < data.size())
      fail_with_errno(journal_file, "rollback: cannot read the journal", d < 0 ? static_cast<int>(-d) : EIO);
    if (const int e = pwrite_fully(store_fd, data.data(), data.size(), r.offset))
      fail_with_errno(path, "rollback: cannot restore the file's old bytes", e);
  }
  if (const int e = sync_file(store_fd)) fail_with_errno(path, "rollback: cannot sync the file", e);
  remove_journal(path);
}

// ---- where journals live (public, transaction.hpp) ----

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
