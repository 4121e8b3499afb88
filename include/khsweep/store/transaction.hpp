#pragma once
// All-or-nothing updates of one HDF5 file, safe against kill -9, node crashes and time limits.
//
// HDF5 1.10 has no journal: a writer killed while the file is open can leave it unreadable. A
// Transaction writes through a journaling file driver instead: before any byte the file had when
// the transaction began is overwritten, its old value is appended to "<file>.journal" and synced.
// If the writer dies, recover() (and the next begin()) puts those bytes back and cuts the file to
// its old length, so the file is always the state after some commit. docs/store-journal.md has
// the protocol and the journal format.
//
// The transaction holds HDF5's exclusive file lock from begin() until it committed or rolled
// back: readers (h5::File::open_read) and other writers fail with "locked" meanwhile.

#include <filesystem>
#include <memory>

#include "khsweep/core/error.hpp"
#include "khsweep/store/h5.hpp"

namespace khsweep::store {

// Thrown by Transaction::begin and recover when another process holds the file open (a reader, or
// a writer): worth waiting for, unlike other errors.
class StoreBusy : public Error {
 public:
  using Error::Error;
};

// An HDF5 file opened for an all-or-nothing update.
class Transaction {
 public:
  // Rolls back an interrupted transaction of `path`, then opens it read-write (creating it if absent
  // or empty); throws khsweep::Error naming the path and the reason (e.g. locked by another process).
  [[nodiscard]] static Transaction begin(const std::filesystem::path& path);

  // The file; valid until commit() or destruction.
  [[nodiscard]] h5::File& file();
  [[nodiscard]] const std::filesystem::path& path() const;

  // Closes the file (and any of its objects still open) and makes every change durable; the
  // transaction is committed once this returns. If it throws, the changes are rolled back.
  void commit();

  // Without a commit: closes the file and rolls every change back. Never throws; if the rollback
  // itself fails, the journal stays for recover().
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  // Rolls back this transaction first if it is still open.
  Transaction& operator=(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

 private:
  struct State;
  explicit Transaction(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// If `path` has a journal from an interrupted transaction, rolls it back; true if it did. Also
// removes an empty file a writer killed inside begin() left behind (an empty file counts as absent).
// Throws khsweep::Error if another process has the file open (a live transaction's journal is left alone).
bool recover(const std::filesystem::path& path);

// Whether "<path>.journal" exists: a transaction is open or was interrupted.
[[nodiscard]] bool has_journal(const std::filesystem::path& path);

// "<store><suffix>" beside the file the store's name leads to: a store reached through a symlink
// keeps its journal, lock and checkpoints beside the real file, so every spelling of its path
// finds the same ones. (A symlinked directory needs nothing: the sibling is the same file.)
[[nodiscard]] std::filesystem::path beside_store(const std::filesystem::path& store, const char* suffix);

// "<path>.journal".
[[nodiscard]] std::filesystem::path journal_path(const std::filesystem::path& path);

// "<path>.journal.bad": where a journal that cannot be trusted is kept (an invalid header, or an
// invalid record followed by valid ones). While it exists, the store is refused: it may hold part
// of the interrupted commit, and only its owner can decide what to do.
[[nodiscard]] std::filesystem::path damaged_journal_path(const std::filesystem::path& path);
// Throws khsweep::Error, saying what happened and what to do, if `path` has a damaged journal.
void check_no_damaged_journal(const std::filesystem::path& path);

}  // namespace khsweep::store
