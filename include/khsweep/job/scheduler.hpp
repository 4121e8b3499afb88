#pragma once
// The decisions of a sweep job, serial and free of MPI: which run goes to which rank next, what
// happens to each report (commit it, put the run back, retire the rank, stop the job), when the
// waiting results are committed and how a failing commit is split, and how the job ends. The MPI
// coordinator (runner/sweep_job.cpp) only moves messages and trains between them; the unit tests
// drive this class with scripted reports, commit failures and a clock of their own.
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "khsweep/store/sweep_store.hpp"
#include "khsweep/sweep/sweep_file.hpp"
#include "khsweep/train/result.hpp"

namespace khsweep::job {

using Clock = std::chrono::steady_clock;

// A run of the sweep, with what the coordinator learnt about it before handing it out.
struct QueuedRun {
  sweep::PlannedRun planned;
  std::string id;
  std::string train_checksum, validation_checksum;
  std::size_t train_samples = 0, validation_samples = 0;
  double estimated_seconds = 0;
};

// What became of a run handed to a rank.
struct Report {
  enum Kind : std::uint8_t {
    finished = 0,     // trained to the end (diverged included): `result`
    failed = 1,       // the run itself threw (e.g. its model cannot be built): final, `failure` says why
    interrupted = 2,  // stopped on a signal after checkpointing
    fault = 3,        // the machine, not the run: a checkpoint or data file could not be written or
                      // read, memory ran out; `failure` says why, the run may succeed on another try
  };
  Kind kind = finished;
  std::string id;
  train::RunResult result;  // kind == finished
  std::string failure;      // kind == failed or fault
  bool resumed = false;     // continued from a checkpoint
  std::string host;
  int rank = 0;
};

// Where results go: the sweep store, or a scripted stand-in in tests. All or nothing per call.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // Throws khsweep::Error when the runs could not be committed (then none of them is).
  virtual void commit(const std::vector<store::CommittedRun>& runs) = 0;
};

struct Policy {
  int ranks = 1;                          // ranks that train (rank 0 included)
  double commit_every_seconds = 5;        // how long a result may wait to share a commit
  std::size_t max_waiting_results = 64;   // no more runs are handed out while this many wait to commit
  int max_faults_per_run = 3;             // a run that hits a fault this often stops the job
  int max_faults_in_row = 3;              // reports in a row that are all faults stop the job
  int max_faults_per_rank = 2;            // a rank whose runs hit this many faults in a row is retired
  double store_patience_seconds = 300;    // commits failing this long, none landing: stop the job
  double retry_pause_seconds = 2;         // between attempts at a failing commit
};

// A job's counts, for its progress lines and summary. Failed and diverged count the sweep's runs
// in the store, those of earlier jobs included.
struct Tally {
  std::size_t total = 0, done = 0, failed = 0, diverged = 0, running = 0, waiting_commit = 0;
  std::size_t interrupted = 0;  // runs checkpointed by a stop, to resume next time
  double remaining_estimate = 0;        // cost-model seconds of the runs not yet finished
  double finished_estimate = 0, finished_actual = 0;  // of the runs finished in this job
};

// How the job ended: the exit code (khsweep::ExitCode), the text for /jobs/<n>/outcome and the final line.
struct Outcome {
  int exit_code = 0;
  std::string text;
};

class Scheduler {
 public:
  // `runs` are the sweep's distinct runs; `committed` the ids the store holds, whose failed and
  // diverged members are in `failed`/`diverged`; `retried` the failed ids to train again.
  Scheduler(std::string sweep_name, std::vector<QueuedRun> runs, const std::set<std::string>& committed, const std::set<std::string>& failed,
            const std::set<std::string>& diverged, const std::set<std::string>& retried, ResultSink& sink,
            Policy policy);

  // The index of the run `rank` trains next, or nothing: the queue is empty, the job is stopping,
  // the rank is retired, or too many results wait for a commit (ask again after one lands).
  [[nodiscard]] std::optional<std::size_t> next_for(int rank);
  [[nodiscard]] const QueuedRun& run(std::size_t index) const { return runs_[index]; }
  [[nodiscard]] std::size_t queued() const { return queue_.size(); }
  [[nodiscard]] std::size_t already_done() const { return already_done_; }
  [[nodiscard]] bool is_busy(int rank) const { return busy_.count(rank) > 0; }

  // A rank's report on the run it was given. Returns a line for the job log when the report
  // changed the plan (a run put back, a rank retired, the job stopping), else "".
  std::string on_report(const Report& report, Clock::time_point now);

  // Stop handing out runs; returns the busy ranks, which should checkpoint and report. `reason`
  // becomes the outcome ("interrupted by SIGTERM"); `exit_code` the job's code.
  std::vector<int> stop(const std::string& reason, int exit_code);
  [[nodiscard]] bool stopping() const { return stop_.has_value(); }

  // Commits the waiting results when the oldest has waited commit_every_seconds (always when
  // `force`). A failing batch is split: runs that commit alone land, and one whose result cannot
  // be stored while others can is recorded as failed with the reason. Returns whether nothing is
  // left waiting; `log` gets a line per event worth a user's attention.
  bool commit_due(Clock::time_point now, bool force, std::vector<std::string>& log);

  // Every rank idle and nothing left to hand out (or the job stopping).
  [[nodiscard]] bool finished() const { return busy_.empty() && (queue_.empty() || stopping()); }
  [[nodiscard]] Tally tally() const;
  // The job's end, once finished() and the last commit was attempted.
  [[nodiscard]] Outcome outcome() const;

 private:
  void enqueue_result(store::CommittedRun run, Clock::time_point now);
  store::CommittedRun committed_run(const QueuedRun& queued, const Report& report) const;
  bool try_commit(const std::vector<store::CommittedRun>& runs, std::string* problem);
  void landed(const store::CommittedRun& run);

  std::string sweep_name_;
  std::vector<QueuedRun> runs_;
  ResultSink& sink_;
  Policy policy_;
  std::deque<std::size_t> queue_;
  std::map<int, std::size_t> busy_;  // rank -> run index
  std::set<int> retired_;            // ranks that stopped on a signal of their own, or keep hitting faults
  std::set<std::string> failed_, diverged_;  // the sweep's, in the store
  std::vector<store::CommittedRun> waiting_;
  std::map<std::string, int> faults_;  // run id -> faults so far
  std::map<int, int> rank_faults_;     // rank -> faults in a row on that rank
  int faults_in_row_ = 0;
  std::size_t already_done_ = 0, committed_ = 0, interrupted_ = 0;
  double remaining_estimate_ = 0, finished_estimate_ = 0, finished_actual_ = 0;
  Clock::time_point oldest_waiting_{}, last_commit_failure_{}, failing_since_{};
  bool commit_failing_ = false;
  std::string last_problem_;  // why the last commit failed
  struct Stop {
    std::string reason;
    int exit_code;
  };
  std::optional<Stop> stop_;
};

}  // namespace khsweep::job
