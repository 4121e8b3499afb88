#include "khsweep/store/sweep_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <optional>
#include <system_error>
#include <thread>

#include "khsweep/core/clock.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/file_descriptor.hpp"
#include "khsweep/core/host.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/store/consistency.hpp"
#include "khsweep/store/file_locks.hpp"
#include "khsweep/store/job_progress.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/index.hpp"
#include "khsweep/store/run_layout.hpp"
#include "khsweep/store/transaction.hpp"
#include "khsweep/train/run_params.hpp"
#include "khsweep/train/summary.hpp"

namespace khsweep::store {

namespace fs = std::filesystem;

namespace {


// Free text is cut to its column; identifiers must fit (set_fixed_string throws).
template <std::size_t N>
void put_text(char (&field)[N], const std::string& value) {
  h5::set_fixed_string(field, N, value.size() <= N ? value : value.substr(0, N - 3) + "...");
}

IndexRow make_row(const CommittedRun& run, int job) {
  IndexRow row{};
  h5::set_fixed_string(row.id, sizeof row.id, run.id);
  const char* status = !run.failure.empty() ? kFailed
                       : run.result.status == train::RunStatus::diverged ? kDiverged
                                                                         : kCompleted;
  h5::set_fixed_string(row.status, sizeof row.status, status);
  put_text(row.sweep, run.sweep);
  put_text(row.arm, run.arm);
  set_parameters(row, run.params);
  h5::set_fixed_string(row.train_checksum, sizeof row.train_checksum, run.train_checksum);
  h5::set_fixed_string(row.validation_checksum, sizeof row.validation_checksum, run.validation_checksum);
  row.train_samples = run.train_samples;
  row.validation_samples = run.validation_samples;

  const train::RunSummary s = train::summarize(run.result);
  row.epochs_trained = s.epochs_trained;
  row.final_val_mse = s.final_val_mse;
  row.min_val_mse = s.min_val_mse;
  row.final_val_cross_entropy = s.final_val_cross_entropy;
  row.min_val_cross_entropy = s.min_val_cross_entropy;
  row.final_val_pll = s.final_val_pll;
  row.final_val_accuracy = s.final_val_accuracy;
  row.max_val_accuracy = s.max_val_accuracy;
  row.max_val_accuracy_epoch = s.max_val_accuracy_epoch;
  row.final_train_mse = s.final_train_mse;
  row.final_train_accuracy = s.final_train_accuracy;
  row.receptive_field_overlap = s.receptive_field_overlap;
  row.train_seconds_per_epoch = s.train_seconds_per_epoch;
  row.metric_seconds_per_evaluation = s.metric_seconds_per_evaluation;
  row.total_seconds = s.total_seconds;

  put_text(row.reason, run.failure.empty() ? run.result.reason : run.failure);
  put_text(row.host, run.host);
  row.rank = run.rank;
  row.resumed = run.resumed ? 1 : 0;
  row.job = job;
  h5::set_fixed_string(row.committed_at, sizeof row.committed_at, utc_now());
  return row;
}

fs::path lock_path(const fs::path& store) { return beside_store(store, ".lock"); }

// Without a lock to take, a fresh progress file written by another process is the only sign that a
// job runs on the store (job_progress.hpp): refuse rather than commit beside it.
void refuse_if_job_seems_live(const fs::path& store) {
  const JobProgress progress = read_progress_file(store);
  double age = -1;
  if (!progress_looks_live(progress, age)) return;
  if (progress.get("pid") == std::to_string(::getpid()) && progress.get("host") == host_name()) return;  // this process
  throw error_at(store.string(), "the store seems in use by another khsweep run (pid " + progress.get("pid") +
                                     " on host " + progress.get("host") + " wrote its progress " +
                                     std::to_string(static_cast<long>(age)) +
                                     " s ago, and without file locks that is the only sign); if that job is dead, "
                                     "wait until its progress file is a minute old or remove " +
                                     progress_file(store).string());
}

// The coordinator lock: an open-file-description write lock (F_OFD_SETLK) on "<store>.lock". The
// kernel drops it when the process dies, so a killed job never leaves a stale lock; unlike a
// classic fcntl lock it belongs to this descriptor, so opening and closing the lock file elsewhere
// in the process (lock_holder) cannot release it, and a second store object in the same process
// is refused like a second process. Where the file system gives no locks, or HDF5_USE_FILE_LOCKING
// turns them off, the job goes on without it (file_locks.hpp).
class CoordinatorLock {
 public:
  // fd_ owns the descriptor from the moment it is opened, so every throw below closes it.
  explicit CoordinatorLock(const fs::path& store) : path_(lock_path(store)), fd_(open_lock_file(store, path_)) {
    if (skip_locking(store)) {
      refuse_if_job_seems_live(store);
      return;
    }
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd_.get(), F_OFD_SETLK, &lock) != 0) {
      const int e = errno;
      if (go_on_unlocked(store, e)) {
        refuse_if_job_seems_live(store);
        return;
      }
      if (!lock_held_elsewhere(e)) throw error_at(path_.string(), "cannot lock the lock file: " + errno_text(e));
      const std::string holder = lock_holder(store);
      throw error_at(store.string(), "the store is in use by another khsweep run (" +
                                         (holder.empty() ? std::string("holder unknown") : holder) +
                                         "); two coordinators must not share a store");
    }
    const std::string who = "pid " + std::to_string(::getpid()) + " on host " + host_name() + " since " + utc_now() + "\n";
    if (::ftruncate(fd_.get(), 0) != 0 || ::pwrite(fd_.get(), who.data(), who.size(), 0) != static_cast<ssize_t>(who.size()))
      throw error_at(path_.string(), "cannot write lock file: " + errno_text(errno));
  }
  // Closing the descriptor (FileDescriptor's destructor) drops the lock.
  CoordinatorLock(const CoordinatorLock&) = delete;
  CoordinatorLock& operator=(const CoordinatorLock&) = delete;

 private:
  // The lock file is found by the store's name (symlinks resolved), so a file with a second name
  // could be written by two jobs at once, each holding the lock of its own name.
  static void refuse_second_names(const fs::path& store) {
    struct stat info {};
    if (::stat(store.c_str(), &info) != 0 || info.st_nlink <= 1) return;
    throw error_at(store.string(), "refusing the store: the file has " + std::to_string(info.st_nlink) +
                                       " hard links, and the coordinator lock of one name does not keep a job "
                                       "out through another; remove the other names (find -samefile lists them)");
  }

  // Refuses a store with a second name, then opens (creating) its lock file.
  static int open_lock_file(const fs::path& store, const fs::path& path) {
    refuse_second_names(store);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw error_at(store.string(), "cannot create lock file '" + path.string() +
                                         "': " + errno_text(errno));
    return fd;
  }

  fs::path path_;
  FileDescriptor fd_;
};

// How long the coordinator waits for readers (khsweep status, h5py) to let go of the store.
constexpr double kReaderPatienceSeconds = 60.0;

// Transaction::begin, waiting while another process holds the file (a reader between its open and
// close); any other failure, or a store still busy after `patience` seconds, is thrown.
Transaction begin_patiently(const fs::path& path, double patience) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(patience);
  for (auto pause = std::chrono::milliseconds(10);; pause = std::min(pause * 2, std::chrono::milliseconds(500))) {
    try {
      return Transaction::begin(path);
    } catch (const StoreBusy&) {
      if (std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(pause);
  }
}

// Schema 1 -> 2 inside the caller's transaction: every /run/<id>/config attribute under its
// parameter's one name, /runs with the current columns, and the schema attribute.
void upgrade_to_current_schema(h5::File& file) {
  const h5::Group all_runs = file.open_group("run");
  for (const std::string& id : all_runs.child_names()) {
    h5::Group config = all_runs.open_group(id).open_group("config");
    for (const train::ParamSpec& spec : train::run_parameters())
      for (const std::string& former : spec.former_names)
        if (config.has_attribute(former) && !config.has_attribute(spec.name)) config.rename_attribute(former, spec.name);
  }
  rewrite_index(file, read_index_rows(file));
  file.write_attribute("schema", kStoreSchema);
}

// Records `job` as the next /jobs/<n>, "running (or killed)" until record_job_end (inside the
// caller's transaction); returns n.
int record_job(h5::File& file, const JobInfo& job) {
  h5::Group jobs = file.open_group("jobs");
  int n = 1;
  while (jobs.exists(std::to_string(n))) ++n;
  h5::Group g = jobs.create_group(std::to_string(n));
  g.write_attribute("sweep_name", job.sweep_name);
  g.write_attribute("sweep_path", job.sweep_path);
  g.write_attribute("sweep_yaml", job.sweep_text);
  g.write_attribute("code_version", code_version());
  g.write_attribute("hdf5_version", h5::library_version());
  g.write_attribute("mpi_version", job.mpi_version);
  g.write_attribute("ranks", job.ranks);
  g.write_attribute("hosts", join(job.hosts, ","));
  std::vector<std::string> datasets;
  for (const auto& [where, checksum] : job.datasets) datasets.push_back(where + " " + checksum);
  g.write_attribute("datasets", join(datasets, "\n"));
  g.write_attribute("started_at", utc_now());
  g.write_attribute("finished_at", std::string());
  g.write_attribute("outcome", std::string("running (or killed)"));
  return n;
}

void record_job_end(h5::File& file, int job, const std::string& outcome) {
  h5::Group g = file.open_group("jobs/" + std::to_string(job));
  g.write_attribute("finished_at", utc_now());
  g.write_attribute("outcome", outcome);
}

// A /runs row rebuilt from what /run/<id> holds: the run's parameters, status and results. The
// group does not hold the sweep, arm, data selection, checksums, host or rank: those columns are
// left empty or 0 rather than guessed.
IndexRow row_from_group(const std::string& id, const RunRecord& group, int job) {
  CommittedRun run;
  run.id = id;
  run.params.config = group.config;
  run.result = group.result;
  IndexRow row = make_row(run, job);
  for (const train::ParamSpec& spec : train::run_parameters())
    if (spec.selects_data) set_parameter_cell(row, spec, train::blank_value(spec));
  return row;
}

}  // namespace

void check_store_schema(const h5::File& file, const fs::path& path) {
  const std::string where = path.string();
  if (!file.has_attribute("schema"))
    throw error_at(where, std::string("not a khsweep store (no 'schema' attribute, expected '") + kStoreSchema + "')");
  const auto schema = file.attribute<std::string>("schema");
  if (schema != kStoreSchema && schema != kStoreSchemaV1)
    throw error_at(where, "not a khsweep store (schema '" + schema + "', expected '" + kStoreSchema + "')");
}

std::string store_schema(const fs::path& path) {
  const h5::File file = h5::File::open_read(path);
  check_store_schema(file, path);
  return file.attribute<std::string>("schema");
}

struct SweepStore::Impl {
  fs::path path;
  CoordinatorLock lock;
  std::set<std::string> committed;
  std::map<std::string, std::string> failed;  // id -> reason, of committed failed runs
  std::set<std::string> diverged;             // committed diverged runs
  std::set<std::string> retrying;             // failed ids that commit() may replace
  int job = 0;

  explicit Impl(const fs::path& p) : path(p), lock(p) {}
};

SweepStore::SweepStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SweepStore::~SweepStore() = default;
SweepStore::SweepStore(SweepStore&&) noexcept = default;
SweepStore& SweepStore::operator=(SweepStore&&) noexcept = default;

SweepStore SweepStore::open_for_sweep(const fs::path& path, const JobInfo& job) {
  auto impl = std::make_unique<Impl>(path);  // the lock first: nothing below may race another coordinator
  Transaction t = begin_patiently(path, kReaderPatienceSeconds);  // also rolls back a dead writer's commit
  h5::File& file = t.file();
  if (!file.has_attribute("schema")) {
    // Only a new, empty file becomes a store: another program's HDF5 file is not ours to fill.
    if (!file.child_names().empty() || !file.attribute_names().empty())
      throw error_at(path.string(), std::string("not a khsweep store: an HDF5 file with other content (no 'schema' "
                                                "attribute, expected '") +
                                        kStoreSchema + "'); choose another --store");
    file.write_attribute("schema", kStoreSchema);
    file.write_attribute("created_at", utc_now());
    file.write_attribute("created_by", code_version());
    rewrite_index(file, {});
    file.create_group("run");
    file.create_group("jobs");
  } else {
    check_store_schema(file, path);
    if (file.attribute<std::string>("schema") != kStoreSchema || !index_is_current(file)) {
      // An older store: brought to the current layout inside this transaction, so every later
      // append and reader sees one table layout and one name per parameter.
      upgrade_to_current_schema(file);
    }
    // Only the columns the coordinator needs: the whole rows are ~1 KB each.
    std::vector<h5::Field> fields;
    for (const h5::Field& f : index_fields())
      if (f.name == "id" || f.name == "status" || f.name == "reason") fields.push_back(f);
    const std::vector<IndexRow> rows = file.read_table<IndexRow>("runs", fields);
    check_index_matches_groups(file, path, rows);  // else runs would be retrained and fail to commit
    for (const IndexRow& row : rows) {
      const std::string id = h5::get_fixed_string(row.id, sizeof row.id);
      impl->committed.insert(id);
      const std::string status = h5::get_fixed_string(row.status, sizeof row.status);
      if (status == kFailed) impl->failed[id] = h5::get_fixed_string(row.reason, sizeof row.reason);
      if (status == kDiverged) impl->diverged.insert(id);
    }
  }
  impl->job = record_job(file, job);
  t.commit();
  return SweepStore(std::move(impl));
}

const std::set<std::string>& SweepStore::committed_ids() const { return impl_->committed; }
const std::set<std::string>& SweepStore::diverged_ids() const { return impl_->diverged; }

const std::map<std::string, std::string>& SweepStore::failed_runs() const { return impl_->failed; }

void SweepStore::allow_retry(const std::set<std::string>& failed_ids) {
  for (const std::string& id : failed_ids) {
    if (!impl_->failed.count(id)) throw Error("run " + id + " is not a failed run of " + impl_->path.string());
    impl_->retrying.insert(id);
  }
}

const fs::path& SweepStore::path() const { return impl_->path; }

void SweepStore::commit(const std::vector<CommittedRun>& runs) {
  if (runs.empty()) return;
  std::vector<IndexRow> rows;
  std::set<std::string> replaced;  // failed runs this commit retries
  for (const CommittedRun& run : runs) {
    if (impl_->retrying.count(run.id)) {
      replaced.insert(run.id);
    } else if (impl_->committed.count(run.id)) {
      throw error_at(impl_->path.string(), "run " + run.id + " is already committed; refusing a duplicate");
    }
    const std::string problem = run.failure.empty() ? shape_problem(run.result.params) : std::string();
    if (!problem.empty()) throw error_at(impl_->path.string(), "run " + run.id + ": " + problem);
    rows.push_back(make_row(run, impl_->job));
  }
  // Short patience: the coordinator retries a busy commit itself, and must keep serving workers.
  Transaction t = begin_patiently(impl_->path, 1.0);
  h5::File& file = t.file();
  h5::Group all_runs = file.open_group("run");
  for (const CommittedRun& run : runs) {
    if (!run.failure.empty()) continue;  // a failed run has only its index row
    h5::Group g = all_runs.create_group(run.id);
    write_run(g, run.params.config, run.result, run.params.config.weights_precision());
  }
  if (!replaced.empty()) {
    // A retried run's new row replaces its failed one; /jobs/<n>/retried keeps the old reason.
    std::vector<IndexRow> kept;
    for (const IndexRow& row : read_index_rows(file))
      if (!replaced.count(h5::get_fixed_string(row.id, sizeof row.id))) kept.push_back(row);
    rewrite_index(file, kept);
    h5::Group job = file.open_group("jobs/" + std::to_string(impl_->job));
    std::string retried = job.has_attribute("retried") ? job.attribute<std::string>("retried") : std::string();
    for (const std::string& id : replaced) retried += id + ": " + impl_->failed.at(id) + "\n";
    job.write_attribute("retried", retried);
  }
  file.append_rows("runs", index_fields(), sizeof(IndexRow), rows.data(), rows.size());
  t.commit();
  for (const CommittedRun& run : runs) {
    impl_->committed.insert(run.id);
    if (replaced.count(run.id)) {
      impl_->retrying.erase(run.id);
      impl_->failed.erase(run.id);
    }
    if (!run.failure.empty()) impl_->failed[run.id] = run.failure;
    if (run.failure.empty() && run.result.status == train::RunStatus::diverged) impl_->diverged.insert(run.id);
  }
}

void SweepStore::finish_job(const std::string& outcome) {
  Transaction t = begin_patiently(impl_->path, kReaderPatienceSeconds);
  record_job_end(t.file(), impl_->job, outcome);
  t.commit();
}

fs::path checkpoint_directory(const fs::path& store) { return beside_store(store, ".checkpoints"); }

fs::path progress_file(const fs::path& store) { return beside_store(store, ".progress"); }

fs::path checkpoint_file(const fs::path& store, const std::string& run_id) {
  return checkpoint_directory(store) / (run_id + ".ckpt");
}

void check_no_pending_commit(const fs::path& path) {
  // A live job's journal is its commit in progress (seen from its lock, or where no lock can tell,
  // from its progress file), not a dead writer's.
  if (!has_journal(path) || look_for_job(path).live) return;
  throw error_at(path.string(), "an interrupted commit is pending (its writer died mid-commit and left " +
                                    journal_path(path).string() + "): run `khsweep recover " + path.string() +
                                    "` to roll it back, or `khsweep run` on its sweep, which rolls it back and resumes");
}

namespace {

// What a reader compares before and after a read to know the file did not change under it: its
// size, modification and change times, and whether a commit's journal was beside it.
struct FileStamp {
  long long size = -1, mtime_ns = -1, ctime_ns = -1;
  bool journal = false;
  bool operator==(const FileStamp& o) const {
    return size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns && journal == o.journal;
  }
};

FileStamp stamp_of(const fs::path& path) {
  FileStamp stamp;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    stamp.size = static_cast<long long>(st.st_size);
    stamp.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    stamp.ctime_ns = static_cast<long long>(st.st_ctim.tv_sec) * 1000000000LL + st.st_ctim.tv_nsec;
  }
  stamp.journal = has_journal(path);
  return stamp;
}

}  // namespace

void read_store(const fs::path& path, double patience_seconds, const std::function<void(const h5::File&)>& read) {
  if (!fs::exists(path)) throw error_at(path.string(), "no such store");
  check_no_damaged_journal(path);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(patience_seconds);
  const auto out_of_time = [&] { return std::chrono::steady_clock::now() >= deadline; };
  for (auto pause = std::chrono::milliseconds(5);; pause = std::min(pause * 2, std::chrono::milliseconds(200))) {
    std::optional<FileStamp> before;  // set once the read begins
    // A commit was under way when the read began, or the file changed before it ended.
    const auto changed_under_read = [&] { return before && (before->journal || !(*before == stamp_of(path))); };
    try {
      check_no_pending_commit(path);
      before = stamp_of(path);
      const h5::File file = h5::File::open_read(path);
      check_store_schema(file, path);
      check_index_matches_groups(file, path);
      read(file);
    } catch (const Error&) {
      // A read the file changed under is tried again even if its writer has just ended (its last
      // commit can overlap the read); otherwise only a live coordinator's commit is worth waiting for.
      if (out_of_time() || !(changed_under_read() || look_for_job(path).live)) throw;
      std::this_thread::sleep_for(pause);
      continue;
    }
    if (!changed_under_read()) return;
    if (out_of_time()) throw Error(path.string() + ": the store changed while it was read (a commit was under way)");
    std::this_thread::sleep_for(pause);
  }
}

StoreOverview read_overview(const fs::path& path, double patience_seconds) {
  StoreOverview o;
  read_store(path, patience_seconds, [&](const h5::File& file) {
    o = StoreOverview{};  // a read tried again starts afresh
    file.read_attribute("created_at", o.created_at);
    const IndexTable index = read_index(file);
    const auto text = [&](const char* name) -> const std::vector<std::string>& { return index.find(name)->text; };
    for (std::size_t r = 0; r < index.rows; ++r) {
      IndexEntry e;
      e.id = text("id")[r];
      e.status = text("status")[r];
      e.sweep = text("sweep")[r];
      e.arm = text("arm")[r];
      e.reason = text("reason")[r];
      e.total_seconds = index.find("total_seconds")->numbers[r];
      o.runs.push_back(std::move(e));
    }
    const h5::Group jobs = file.open_group("jobs");
    while (jobs.exists(std::to_string(o.jobs + 1))) ++o.jobs;
  });
  return o;
}

std::vector<StoreProblem> check_store(const fs::path& path) {
  if (!fs::exists(path)) throw error_at(path.string(), "no such store");
  // With either journal the file is not a committed state: nothing more is worth reading.
  try {
    check_no_damaged_journal(path);
  } catch (const Error& e) {
    return {{"", e.what(), "nothing: only the store's owner can decide, as the message says"}};
  }
  try {
    check_no_pending_commit(path);
  } catch (const Error& e) {
    return {{"", e.what(), "the interrupted commit rolled back first"}};
  }
  const h5::File file = h5::File::open_read(path);
  check_store_schema(file, path);
  return inspect(file).problems;
}

RepairReport repair_store(const fs::path& path) {
  if (!fs::exists(path)) throw error_at(path.string(), "no such store");
  CoordinatorLock lock(path);  // no sweep may commit meanwhile
  RepairReport report;
  report.rolled_back = has_journal(path);  // with the lock held, a journal is a dead writer's
  Transaction t = begin_patiently(path, kReaderPatienceSeconds);
  h5::File& file = t.file();
  check_store_schema(file, path);
  report.upgraded = file.attribute<std::string>("schema") != kStoreSchema;
  Inspection found = inspect(file);
  if (found.problems.empty()) {
    if (report.upgraded) {
      upgrade_to_current_schema(file);
      t.commit();
    }
    return report;  // else the transaction rolls back what was never written
  }

  JobInfo job;
  job.sweep_name = "khsweep check --repair";
  job.hosts = {host_name()};
  report.job = record_job(file, job);
  std::vector<IndexRow> rows = std::move(found.kept_rows);
  for (IndexRow& row : rows)
    if (!file.exists("jobs/" + std::to_string(row.job))) row.job = report.job;
  for (const auto& [id, group] : found.rebuilt) rows.push_back(row_from_group(id, group, report.job));
  if (!file.exists("run")) file.create_group("run");
  for (const std::string& id : found.removed_groups) file.remove("run/" + id);
  rewrite_index(file, rows);
  // rewrite_index wrote the current /runs layout, so a schema 1 store takes the rest of schema 2 too.
  if (report.upgraded) upgrade_to_current_schema(file);
  std::string repaired;
  for (const StoreProblem& p : found.problems) repaired += (p.id.empty() ? "store" : p.id) + ": " + p.problem + ": " + p.repair + "\n";
  file.open_group("jobs/" + std::to_string(report.job)).write_attribute("repaired", repaired);
  record_job_end(file, report.job, "repaired " + std::to_string(found.problems.size()) + " problems");
  t.commit();
  report.repaired = std::move(found.problems);
  return report;
}

LockSight look_at_lock(const fs::path& store) {
  LockSight sight;
  if (locking_disabled_by_environment()) sight.state = LockSight::State::unknown;
  const FileDescriptor fd(::open(lock_path(store).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return sight;  // no job has ever locked it
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  if (::fcntl(fd.get(), F_OFD_GETLK, &probe) != 0) {
    if (lock_unavailable(errno)) sight.state = LockSight::State::unknown;
    return sight;
  }
  if (probe.l_type == F_UNLCK) return sight;
  sight.state = LockSight::State::held;
  char text[512] = {};
  const ssize_t n = ::pread(fd.get(), text, sizeof text - 1, 0);
  sight.holder = n > 0 ? std::string(text, static_cast<std::size_t>(n)) : "holder unknown";
  while (!sight.holder.empty() && sight.holder.back() == '\n') sight.holder.pop_back();
  return sight;
}

std::string lock_holder(const fs::path& store) { return look_at_lock(store).holder; }

}  // namespace khsweep::store
