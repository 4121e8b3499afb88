#pragma once
// "<store>.progress": what a running sweep tells `khsweep status` (and `recover`) about itself.
// The coordinator rewrites it atomically every second or so while runs report epochs, and at least
// every `refresh_seconds`; it is of no use after a crash (replaced atomically, never synced).
// Where the file system gives no file locks, it is also the only sign that a job is alive: then a
// second coordinator, `check --repair` and `aggregate` refuse a store whose progress file looks live.
//
// Format: one "key value" line per fact (sweep, total, done, failed, diverged, running,
// waiting_commit, ranks, elapsed_seconds, eta_seconds, pid, host, state running|ended,
// written_at (seconds since the Unix epoch), refresh_seconds: the most seconds between two writes), then one line per run in training:
// "run ID RANK HOST EPOCH TOTAL METRIC VALUE", METRIC "-" before the first evaluation.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace khsweep::store {

// One run in training, as the live job lists it.
struct RunInFlight {
  std::string id, host, metric;
  int rank = 0, epoch = 0, total_epochs = 0;
  double value = 0;
};

struct JobProgress {
  std::map<std::string, std::string> values;  // the facts, key -> value
  std::vector<RunInFlight> runs;

  [[nodiscard]] bool empty() const { return values.empty(); }
  // The value of `key`, or "?" when the file does not say.
  [[nodiscard]] std::string get(const std::string& key) const;
  // The value of `key` as a number, or -1 when the file does not say.
  [[nodiscard]] double number(const std::string& key) const;
};

[[nodiscard]] std::string format_progress(const JobProgress& progress);
[[nodiscard]] JobProgress parse_progress(const std::string& text);

// The store's progress file, or an empty JobProgress when there is none (or none readable).
[[nodiscard]] JobProgress read_progress_file(const std::filesystem::path& store);

// Whether the job that wrote `progress` still seems alive, for stores whose lock cannot be seen:
// it has not said it ended, and it wrote the file within the last 3 x refresh_seconds (at least
// a minute), by this machine's clock. `age_seconds` gets how long ago it wrote (-1: unknown).
[[nodiscard]] bool progress_looks_live(const JobProgress& progress, double& age_seconds);

// Whether a sweep runs on `store`: its coordinator lock is held or, where locks cannot tell
// (look_at_lock), its progress file looks live.
struct JobSight {
  bool live = false;
  bool certain = true;  // false: judged from the progress file, without a lock to tell
  std::string who;      // "pid 123 on host x since T", or from the progress file
  double progress_age_seconds = -1;
  JobProgress progress;
};
[[nodiscard]] JobSight look_for_job(const std::filesystem::path& store);

}  // namespace khsweep::store
