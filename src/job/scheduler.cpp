#include "khsweep/job/scheduler.hpp"

#include <algorithm>

#include "khsweep/core/error.hpp"
#include "khsweep/core/exit_codes.hpp"

namespace khsweep::job {

namespace {

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

Scheduler::Scheduler(std::string sweep_name, std::vector<QueuedRun> runs, const std::set<std::string>& committed,
                     const std::set<std::string>& failed, const std::set<std::string>& diverged,
                     const std::set<std::string>& retried, ResultSink& sink, Policy policy)
    : sweep_name_(std::move(sweep_name)), runs_(std::move(runs)), sink_(sink), policy_(policy) {
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    const std::string& id = runs_[i].id;
    if (committed.count(id) && !retried.count(id)) {
      ++already_done_;
      if (failed.count(id)) failed_.insert(id);
      if (diverged.count(id)) diverged_.insert(id);
    } else {
      queue_.push_back(i);
      remaining_estimate_ += runs_[i].estimated_seconds;
    }
  }
  // Costliest first, so the longest runs do not start last and leave the other ranks idle.
  std::stable_sort(queue_.begin(), queue_.end(), [&](std::size_t x, std::size_t y) {
    return runs_[x].estimated_seconds > runs_[y].estimated_seconds;
  });
}

std::optional<std::size_t> Scheduler::next_for(int rank) {
  if (stopping() || queue_.empty() || retired_.count(rank) || busy_.count(rank)) return std::nullopt;
  if (waiting_.size() >= policy_.max_waiting_results) return std::nullopt;  // the store is behind
  const std::size_t next = queue_.front();
  queue_.pop_front();
  busy_[rank] = next;
  return next;
}

std::string Scheduler::on_report(const Report& report, Clock::time_point now) {
  const auto it = busy_.find(report.rank);
  if (it == busy_.end() || runs_[it->second].id != report.id)
    throw Error("report from rank " + std::to_string(report.rank) + " on run " + report.id +
                ", which that rank was not training");
  const std::size_t index = it->second;
  busy_.erase(it);
  const QueuedRun& queued = runs_[index];

  if (report.kind == Report::interrupted) {
    if (stopping()) {
      ++interrupted_;
      return "";
    }
    // The job was not asked to stop: a signal reached that rank alone (a node-level signal, an OOM
    // killer's warning). The run goes back to the queue, to resume from its checkpoint elsewhere;
    // the rank gets no more runs, since it would stop each one at once.
    queue_.push_front(index);
    retired_.insert(report.rank);
    if (static_cast<int>(retired_.size()) >= policy_.ranks) stop("stopped: no rank is left to train", kExitInterrupted);
    return "rank " + std::to_string(report.rank) + " stopped on a signal of its own: run " + report.id +
           " goes back to the queue; rank " + std::to_string(report.rank) + " gets no more runs";
  }

  if (report.kind == Report::fault) {
    const int faults = ++faults_[report.id];
    ++faults_in_row_;
    std::string line = "run " + report.id + " hit a fault on rank " + std::to_string(report.rank) + " (" +
                       report.host + "): " + report.failure;
    if (stopping()) {
      ++interrupted_;  // left to the next attempt, from its last good checkpoint
      return line;
    }
    queue_.push_front(index);
    line += "; the run goes back to the queue (fault " + std::to_string(faults) + " of at most " +
            std::to_string(policy_.max_faults_per_run) + ")";
    // A rank whose every run hits a fault (its node's disk, its copy of the data) trains no more.
    if (++rank_faults_[report.rank] >= policy_.max_faults_per_rank && retired_.insert(report.rank).second)
      line += "\nrank " + std::to_string(report.rank) + " (" + report.host + ") hit " +
              plural(static_cast<std::size_t>(rank_faults_[report.rank]), "fault") + " in a row and gets no more runs";
    std::string why;
    if (faults >= policy_.max_faults_per_run)
      why = "run " + report.id + " hit " + plural(static_cast<std::size_t>(faults), "fault");
    else if (faults_in_row_ >= policy_.max_faults_in_row)
      why = plural(static_cast<std::size_t>(faults_in_row_), "fault") + " in a row";
    else if (static_cast<int>(retired_.size()) >= policy_.ranks)
      why = "no rank is left to train";
    if (!why.empty()) {
      stop("stopped: " + why + " (last: " + report.failure + ")", kExitInput);
      return line + "\nstopping the job: " + why + "; the runs not trained are left for the next attempt";
    }
    return line;
  }

  faults_in_row_ = 0;
  rank_faults_[report.rank] = 0;
  remaining_estimate_ -= queued.estimated_seconds;
  finished_estimate_ += queued.estimated_seconds;
  finished_actual_ += report.result.total_seconds;
  enqueue_result(committed_run(queued, report), now);
  return report.kind == Report::failed
             ? "run " + report.id + " failed on rank " + std::to_string(report.rank) + ": " + report.failure
             : "";
}

store::CommittedRun Scheduler::committed_run(const QueuedRun& queued, const Report& report) const {
  store::CommittedRun run;
  run.id = queued.id;
  run.sweep = sweep_name_;
  run.arm = queued.planned.arm;
  run.params = queued.planned.params;
  run.train_checksum = queued.train_checksum;
  run.validation_checksum = queued.validation_checksum;
  run.train_samples = queued.train_samples;
  run.validation_samples = queued.validation_samples;
  if (report.kind == Report::failed) run.failure = report.failure.empty() ? "failed" : report.failure;
  run.result = report.result;
  run.host = report.host;
  run.rank = report.rank;
  run.resumed = report.resumed;
  return run;
}

void Scheduler::enqueue_result(store::CommittedRun run, Clock::time_point now) {
  if (waiting_.empty()) oldest_waiting_ = now;
  waiting_.push_back(std::move(run));
}

std::vector<int> Scheduler::stop(const std::string& reason, int exit_code) {
  if (!stop_) stop_ = Stop{reason, exit_code};
  std::vector<int> busy;
  for (const auto& entry : busy_) busy.push_back(entry.first);
  return busy;
}

bool Scheduler::try_commit(const std::vector<store::CommittedRun>& runs, std::string* problem) {
  try {
    sink_.commit(runs);
  } catch (const Error& e) {
    *problem = e.what();
    return false;
  }
  for (const store::CommittedRun& run : runs) landed(run);
  return true;
}

void Scheduler::landed(const store::CommittedRun& run) {
  ++committed_;
  if (!run.failure.empty()) failed_.insert(run.id);
  if (run.failure.empty() && run.result.status == train::RunStatus::diverged) diverged_.insert(run.id);
}

bool Scheduler::commit_due(Clock::time_point now, bool force, std::vector<std::string>& log) {
  if (waiting_.empty()) return true;
  if (!force && seconds_between(oldest_waiting_, now) < policy_.commit_every_seconds) return false;
  if (commit_failing_ && seconds_between(last_commit_failure_, now) < policy_.retry_pause_seconds) return false;

  std::string problem;
  if (try_commit(waiting_, &problem)) {
    waiting_.clear();
    commit_failing_ = false;
    return true;
  }
  // Split the batch: if some runs land alone, the store is fine and the others' results are what it
  // cannot take; they are recorded as failed, so one bad result never blocks the rest.
  std::vector<store::CommittedRun> refused;
  std::string refusal;
  if (waiting_.size() > 1) {
    for (store::CommittedRun& run : waiting_) {
      std::string alone;
      if (!try_commit({run}, &alone)) {
        refused.push_back(std::move(run));
        refusal = alone;
      }
    }
  } else {
    refused = std::move(waiting_);
    refusal = problem;
  }
  const bool some_landed = refused.size() < waiting_.size();
  waiting_.clear();
  if (some_landed) {
    for (store::CommittedRun& run : refused) {
      std::string reason;
      store::CommittedRun as_failed = run;
      as_failed.failure = "its result could not be stored: " + refusal;
      as_failed.result = {};
      if (try_commit({as_failed}, &reason)) {
        log.push_back("run " + run.id + ": the store refused its result, so it is recorded as failed: " + refusal);
      } else {
        waiting_.push_back(std::move(run));  // not even as failed: keep it, and keep trying
      }
    }
  } else {
    waiting_ = std::move(refused);
  }
  if (waiting_.empty()) {
    commit_failing_ = false;
    return true;
  }
  if (!commit_failing_) failing_since_ = now;
  commit_failing_ = true;
  last_commit_failure_ = now;
  log.push_back("commit of " + plural(waiting_.size(), "finished run") + " failed, will retry: " + refusal);
  if (!stopping() && seconds_between(failing_since_, now) >= policy_.store_patience_seconds)
    stop("stopped: the store could not be written for " + std::to_string(static_cast<long>(policy_.store_patience_seconds)) +
             " s (" + refusal + ")",
         kExitInput);
  last_problem_ = refusal;
  return false;
}

Tally Scheduler::tally() const {
  Tally t;
  t.total = runs_.size();
  t.done = already_done_ + committed_;
  t.failed = failed_.size();
  t.diverged = diverged_.size();
  t.running = busy_.size();
  t.waiting_commit = waiting_.size();
  t.interrupted = interrupted_;
  t.remaining_estimate = std::max(0.0, remaining_estimate_);
  t.finished_estimate = finished_estimate_;
  t.finished_actual = finished_actual_;
  return t;
}

Outcome Scheduler::outcome() const {
  const Tally t = tally();
  const std::string missing = t.done < t.total ? "; " + std::to_string(t.total - t.done) + " of " +
                                                     std::to_string(t.total) + " runs missing"
                                               : "";
  if (!waiting_.empty())
    return {kExitInput, "stopped: " + plural(waiting_.size(), "finished run") + " could not be committed (" +
                            last_problem_ + ")" + missing};
  if (stop_) return {stop_->exit_code, stop_->reason + (stop_->exit_code == kExitInterrupted ? "" : missing)};
  // Never "completed" while runs of the sweep are missing, whatever the reason.
  if (t.done < t.total) return {kExitInterrupted, "incomplete:" + missing.substr(1)};
  return {t.failed > 0 ? kExitRunsFailed : kExitOk, "completed"};
}

}  // namespace khsweep::job
