#pragma once
// The sweep store: ONE HDF5 file holding every run of one or more sweeps. Layout, schema
// "khsweep-store/2" (docs/store.md has it with h5py/pandas examples):
//   /            attributes schema, created_at, created_by (code version)
//   /runs        compound table, one row per committed run (IndexRow in index.hpp lists the
//                columns: id, status, every run parameter, data checksums, summary metrics,
//                timings, host/rank, job): pandas.DataFrame(f["runs"][:]) loads it
//   /run/<id>/   that run's config, summary, curves, params (run_layout.hpp)
//   /jobs/<n>/   one group per `khsweep run` invocation: its sweep file text, code and library
//                versions, ranks, hosts, data checksums, start and end times, outcome
//
// Crash safety: every change is one store::Transaction (an undo journal beside the file), so
// the file is always the state after some commit; a run counts as done only once its commit
// returned. One coordinator at a time: open_for_sweep takes an exclusive lock on "<store>.lock".
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "khsweep/store/h5.hpp"
#include "khsweep/train/run_params.hpp"
#include "khsweep/train/result.hpp"

namespace khsweep::store {

// The layout this code writes. Schema 1 named some /run/<id>/config attributes after RunConfig's
// fields (gibbs_steps, kh_eps0, ...) and the /runs column `data` "dataset"; it still reads, and the
// first sweep that writes into such a store renames them in one transaction.
inline constexpr const char* kStoreSchema = "khsweep-store/2";
inline constexpr const char* kStoreSchemaV1 = "khsweep-store/1";

// Throws khsweep::Error naming `path` unless `file` is a khsweep store this code reads.
void check_store_schema(const h5::File& file, const std::filesystem::path& path);
// The store's schema (kStoreSchema or kStoreSchemaV1), read-only; throws as check_store_schema.
[[nodiscard]] std::string store_schema(const std::filesystem::path& path);

// Everything the store records about one run the coordinator commits.
struct CommittedRun {
  std::string id;
  std::string sweep;   // the sweep file's name
  std::string arm;
  train::RunParams params;
  std::string train_checksum;
  std::string validation_checksum;
  std::size_t train_samples = 0;
  std::size_t validation_samples = 0;
  std::string failure;        // non-empty: training threw; `result` is then empty
  train::RunResult result;
  std::string host;
  int rank = 0;
  bool resumed = false;       // continued from a checkpoint
};

// Provenance of one `khsweep run` invocation, stored under /jobs/<n>.
struct JobInfo {
  std::string sweep_name;
  std::string sweep_path;
  std::string sweep_text;
  int ranks = 1;
  std::vector<std::string> hosts;
  std::string mpi_version;
  std::vector<std::pair<std::string, std::string>> datasets;  // (path, checksum) pairs
};

// Statuses in the index: training finished, or diverged (both final), or threw (final too; the
// reason is in the row).
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kDiverged = "diverged";
inline constexpr const char* kFailed = "failed";

// The store as its single writer, the coordinator, holds it for one job.
class SweepStore {
 public:
  // Takes the coordinator lock (throws khsweep::Error naming the holder if another coordinator has
  // it), rolls back an interrupted commit, creates the store if absent (else checks its schema and
  // that /runs and /run agree: consistency.hpp), reads the committed ids, and records the job
  // under /jobs/<n>.
  static SweepStore open_for_sweep(const std::filesystem::path& path, const JobInfo& job);
  ~SweepStore();
  SweepStore(SweepStore&&) noexcept;
  SweepStore& operator=(SweepStore&&) noexcept;

  [[nodiscard]] const std::set<std::string>& committed_ids() const;
  // The committed runs whose status is "failed", with their reasons.
  [[nodiscard]] const std::map<std::string, std::string>& failed_runs() const;
  // The committed runs whose status is "diverged".
  [[nodiscard]] const std::set<std::string>& diverged_ids() const;
  // Lets commit() replace these failed runs (`khsweep run --retry-failed`); the job record keeps
  // each replaced attempt's reason (/jobs/<n>/retried).
  void allow_retry(const std::set<std::string>& failed_ids);
  // Appends runs to /runs and /run/<id> in one transaction: all of them are committed when it
  // returns, none if it throws. Ids already committed are refused, except failed ones allowed to
  // be retried, whose /runs row the new one replaces.
  void commit(const std::vector<CommittedRun>& runs);
  // Records the job's end (time and outcome, e.g. "completed", "interrupted by SIGTERM").
  void finish_job(const std::string& outcome);

  [[nodiscard]] const std::filesystem::path& path() const;

 private:
  struct Impl;
  explicit SweepStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Where workers keep checkpoints of runs in progress: "<store>.checkpoints/".
[[nodiscard]] std::filesystem::path checkpoint_directory(const std::filesystem::path& store);
[[nodiscard]] std::filesystem::path checkpoint_file(const std::filesystem::path& store, const std::string& run_id);
// "<store>.progress": what the live job reports for `khsweep status`.
[[nodiscard]] std::filesystem::path progress_file(const std::filesystem::path& store);

// Read side, for `khsweep status` and queries. Never writes, so it can run beside a live sweep:
// HDF5's file lock keeps it out while a commit is being written, and it retries until `patience`.
struct IndexEntry {
  std::string id;
  std::string status;
  std::string sweep;
  std::string arm;
  std::string reason;
  double total_seconds = 0;
};
struct StoreOverview {
  std::vector<IndexEntry> runs;
  int jobs = 0;
  std::string created_at;
};
[[nodiscard]] StoreOverview read_overview(const std::filesystem::path& path, double patience_seconds = 10.0);

// The coordinator that holds the store's lock, as "pid 123 on host x since T", or "" when none.
[[nodiscard]] std::string lock_holder(const std::filesystem::path& path);

// What this process can see of the store's coordinator lock: held (by `holder`), free, or unknown
// where locks cannot be trusted to tell (the file system gives none, or HDF5_USE_FILE_LOCKING
// turns them off, so a job may run without holding one).
struct LockSight {
  enum class State { free, held, unknown } state = State::free;
  std::string holder;  // "pid 123 on host x since T" when held
};
[[nodiscard]] LockSight look_at_lock(const std::filesystem::path& path);

// For readers, which never write: throws khsweep::Error if a dead writer left a commit half done
// (a journal and no live coordinator), saying to run `khsweep recover` (or `khsweep run`, which
// rolls it back first). Reading then would show the half-written commit.
void check_no_pending_commit(const std::filesystem::path& path);

// Runs `read` on the store opened read-only, after the checks every reader makes: the store exists,
// has no damaged journal and no dead writer's pending commit, has the store schema, and its /runs
// matches its /run groups. While a sweep is live (its lock held or, without locks, its progress
// file fresh), a read that its commit held off, made fail, or overlapped (the store's size, times
// or journal changed between the read's start and end: only file systems without locks let a
// reader in during a commit) is tried again, for up to `patience_seconds`. Throws khsweep::Error
// otherwise, and keeps the file open only while `read` runs: the next commit waits for it.
void read_store(const std::filesystem::path& path, double patience_seconds,
                const std::function<void(const h5::File&)>& read);

// One problem `khsweep check` found with a store, and what `khsweep check --repair` does about it.
struct StoreProblem {
  std::string id;       // the run, or "" for the store as a whole
  std::string problem;  // e.g. "its /runs row (completed) has no /run/<id> group"
  std::string repair;   // e.g. "its row removed; the next `khsweep run` retrains the run"
};

// `khsweep check STORE`: read-only. Every problem of the store: a damaged journal or an interrupted
// commit (then nothing else is read), the schema, and every row and group (consistency.hpp,
// inspect). Empty when the store is sound; throws khsweep::Error only when it cannot be read.
[[nodiscard]] std::vector<StoreProblem> check_store(const std::filesystem::path& path);

struct RepairReport {
  bool rolled_back = false;             // an interrupted commit was rolled back first
  int job = 0;                          // the /jobs/<n> recording the repair; 0 when nothing was to do
  std::vector<StoreProblem> repaired;
  bool upgraded = false;                // a schema 1 store was brought to the current schema
};
// `khsweep check --repair STORE`: takes the coordinator lock (throws while a sweep holds it), rolls
// back an interrupted commit, and makes /runs and /run agree in one transaction (consistency.hpp
// says how), recorded as a job of its own whose `repaired` attribute has one line per problem.
// A schema 1 store also comes out in the current schema (one name per parameter), in the same
// commit. Writes nothing when there is nothing to repair or upgrade.
RepairReport repair_store(const std::filesystem::path& path);

}  // namespace khsweep::store
