#pragma once
// The undo journal of a store transaction (docs/store-journal.md): its on-disk format, appending
// the old bytes of a file to it while a transaction is open, and rolling the file back from it.
// Private to the store; the public entry points are in khsweep/store/transaction.hpp.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "khsweep/core/file_descriptor.hpp"

namespace khsweep::store {

constexpr std::size_t kJournalHeaderSize = 40;

// What the journal's header records.
struct JournalHeader {
  bool store_existed = false;
  std::uint64_t original_length = 0;
  std::uint64_t nonce = 0;
};

// Byte ranges [begin, end) already saved to the journal, merged.
class IntervalSet {
 public:
  // The parts of [begin, end) not in the set, in order.
  [[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> missing(std::uint64_t begin,
                                                                             std::uint64_t end) const;
  void insert(std::uint64_t begin, std::uint64_t end);

 private:
  std::map<std::uint64_t, std::uint64_t> spans_;  // begin -> end
};

// State shared by a Transaction and the driver's open files of it.
struct OpenJournal {
  std::filesystem::path store_path;
  std::filesystem::path journal_file;
  FileDescriptor store;    // the file, locked; driver files use dups of it so they share the lock
  FileDescriptor journal;  // the journal, open for appending records
  JournalHeader header;
  std::uint64_t end = kJournalHeaderSize;  // where the next record goes
  IntervalSet saved;
  // Set while rolling back: HDF5's writes on close are pointless then, and are dropped.
  bool discard_writes = false;
  bool active = true;

  // Fills in the header for a file of `original_length` bytes (0 and !store_existed for a new
  // file), writes and syncs it under a temporary name and renames it to `journal_file`, so a
  // journal under its real name always has a whole, valid header. Leaves `journal` open for
  // appending records. Throws khsweep::Error.
  void start(bool store_existed, std::uint64_t original_length);

  // Saves the old bytes of the ranges [begin, end) that lie below the original length and are not
  // saved yet, reading them through `fd`, with one sync. Empty on success, else what went wrong.
  std::string save_original(int fd, const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges) noexcept;
};

// The directory holding `path` ("." for a bare name).
std::filesystem::path directory_of(const std::filesystem::path& path);

// Throws khsweep::Error "<path>: <what>: <errno text of code>".
[[noreturn]] void fail_with_errno(const std::filesystem::path& path, const std::string& what, int code);

// Undoes the transaction recorded in the journal of `path`, whose file is `store_fd`, locked.
// Idempotent: a rollback interrupted by a crash is simply done again.
void roll_back(int store_fd, const std::filesystem::path& path);

// Deletes the journal of `path` (if any) and syncs the directory.
void remove_journal(const std::filesystem::path& path);

// Deletes the file at `path` (if any) and syncs the directory: a rollback of a transaction that
// created it.
void remove_store_file(const std::filesystem::path& path);

}  // namespace khsweep::store
