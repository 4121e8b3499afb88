#include "khsweep/runner/sweep_job.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "execute.hpp"
#include "khsweep/core/atomic_file.hpp"
#include "khsweep/core/clock.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/exit_codes.hpp"
#include "khsweep/core/host.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/runner/signals.hpp"
#include "khsweep/store/run_file.hpp"
#include "khsweep/store/job_progress.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "khsweep/sweep/cost.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/sweep/run_id.hpp"
#include "khsweep/sweep/sweep_file.hpp"
#include "khsweep/train/checkpoint.hpp"

namespace khsweep::runner {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// The most seconds between two writes of the progress file while the job runs.
constexpr double kProgressHeartbeatSeconds = 10;

constexpr int kCoordinator = 0;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Every line of a (possibly multi-line) text, each prefixed so it reads on its own in a job log.
void log(std::ostream& out, const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out << "khsweep run: " << line << "\n";
}

void report_error(const std::exception& e) { log(std::cerr, e.what()); }

// The selection with its dataset as the directory this coordinator resolved and verified, not a
// name each rank would resolve through its own environment (ranks still compare checksums).
train::DataSelection resolved(train::DataSelection selection) {
  selection.dataset = sweep::resolve_data(selection.dataset).directory.string();
  return selection;
}

// The sweep store as the scheduler's sink for results: a run's checkpoint goes once it is committed.
class StoreSink : public job::ResultSink {
 public:
  explicit StoreSink(store::SweepStore& store) : store_(store) {}
  void commit(const std::vector<store::CommittedRun>& runs) override {
    store_.commit(runs);
    for (const store::CommittedRun& run : runs) train::remove_checkpoint(store::checkpoint_file(store_.path(), run.id));
  }

 private:
  store::SweepStore& store_;
};

// The coordinator: prepares the job, then moves messages between the scheduler, which decides,
// and the ranks, which train; rank 0 trains runs too, answering the others between minibatches.
// Without MPI (`comm` null: a single process not started by mpirun) it trains every run itself.
class Coordinator {
 public:
  Coordinator(const mpi::Communicator* comm, mpi::NodeMemory* node, const JobOptions& options)
      : comm_(comm), node_(node), ranks_(comm ? comm->size() : 1), options_(options) {}

  int run() {
    const int prepared = prepare();
    if (prepared != kExitOk) return stop_workers(prepared);
    if (ranks_ > 1) share_data();
    if (ranks_ == 1)
      train_here();
    else
      hand_out();
    return stop_workers(finish());
  }

 private:
  // Validation, data and store, in that order: a bad sweep touches no data, bad data no store.
  int prepare() {
    try {
      sweep_ = sweep::load_sweep(options_.sweep);
    } catch (const Error& e) {
      report_error(e);
      return kExitUsage;
    }
    if (options_.store.empty()) options_.store = fs::path("results") / (sweep_.name + ".h5");
    std::vector<job::QueuedRun> runs;
    std::size_t duplicates = 0;
    std::set<std::string> retried;  // failed runs of this sweep trained again (--retry-failed)
    try {
      std::set<std::string> ids;
      std::map<std::string, std::pair<std::string, std::string>> checksums;
      // Every rank of the busiest node may hold a run at once (besides the node's one copy of the data).
      std::map<std::string, int> ranks_on;
      int busiest = 1;
      for (const std::string& host : hosts_) busiest = std::max(busiest, ++ranks_on[host]);
      for (const sweep::PlannedRun& planned : sweep_.runs) {
        const data::DataSplit& d = data_.get(planned.params.data);
        sweep::check_fits_in_memory(sweep_, planned, sweep::shape_of(data::facts_of(d)), busiest);  // before any run trains
        job::QueuedRun run;
        run.planned = planned;
        run.train_checksum = d.train.checksum;
        run.validation_checksum = d.validation.checksum;
        run.train_samples = d.train.count;
        run.validation_samples = d.validation.count;
        run.id = sweep::run_id(planned.params, run.train_checksum, run.validation_checksum);
        run.estimated_seconds = sweep::estimate_seconds(planned.params, d.train.count, d.validation.count);
        if (!ids.insert(run.id).second) {
          ++duplicates;  // two grid points that are the same run (e.g. S = 0 and S = epochs)
          continue;
        }
        runs.push_back(std::move(run));
        const std::string key = sweep::selection_key(planned.params.data);
        if (!checksums.count(key)) {  // a selection not seen before: one more to share per node
          data_selections_.push_back(resolved(planned.params.data));
        }
        checksums[key] = {planned.params.data.dataset, d.train.checksum};
      }
      for (const auto& [key, where] : checksums) job_info_.datasets.push_back(where);
      if (!fs::exists(options_.store)) store::check_writable(options_.store);
      job_info_.sweep_name = sweep_.name;
      job_info_.sweep_path = sweep_.path;
      job_info_.sweep_text = sweep_.text;
      job_info_.ranks = ranks_;
      job_info_.hosts = hosts_;
      job_info_.mpi_version = comm_ ? mpi::Environment::library_version() : "none (one process, without mpirun)";
      store_ = std::make_unique<store::SweepStore>(store::SweepStore::open_for_sweep(options_.store, job_info_));
      if (options_.retry_failed)
        for (const job::QueuedRun& run : runs)
          if (store_->failed_runs().count(run.id)) retried.insert(run.id);
      store_->allow_retry(retried);
      fs::create_directories(store::checkpoint_directory(options_.store));
      // Orphans, as no rank writes yet: half-written checkpoints of killed saves ("<id>.ckpt.tmp.<pid>"),
      // and checkpoints of runs the store already holds (a kill between a commit and its cleanup).
      for (const auto& entry : fs::directory_iterator(store::checkpoint_directory(options_.store))) {
        const std::string id = entry.path().stem().string();
        const bool committed = entry.path().extension() == ".ckpt" && store_->committed_ids().count(id) > 0 &&
                               retried.count(id) == 0;
        if (entry.path().filename().string().find(".tmp.") != std::string::npos || committed) fs::remove(entry.path());
      }
    } catch (const Error& e) {
      report_error(e);
      return kExitInput;
    } catch (const fs::filesystem_error& e) {
      report_error(e);
      return kExitInput;
    }
    std::set<std::string> failed;
    for (const auto& entry : store_->failed_runs()) failed.insert(entry.first);
    job::Policy policy;
    policy.ranks = ranks_;
    policy.commit_every_seconds = sweep_.service.commit_every_seconds;
    // A few results per rank may wait for a slow commit; beyond that the ranks wait for the store.
    policy.max_waiting_results = std::max<std::size_t>(64, 4 * static_cast<std::size_t>(ranks_));
    policy.max_faults_in_row = ranks_ + 2;
    sink_ = std::make_unique<StoreSink>(*store_);
    scheduler_ = std::make_unique<job::Scheduler>(sweep_.name, std::move(runs), store_->committed_ids(), failed,
                                                   store_->diverged_ids(), retried, *sink_, policy);
    const job::Tally t = scheduler_->tally();
    std::cout << "sweep " << sweep_.name << ": " << t.total << " runs";
    if (duplicates > 0) std::cout << " (" << duplicates << " duplicate grid points merged)";
    std::cout << ", " << scheduler_->already_done() << " already in " << options_.store.string();
    if (t.failed + t.diverged > 0)
      std::cout << " (" << t.failed << " failed, " << t.diverged << " diverged"
                << (t.failed > 0 && !options_.retry_failed ? ": --retry-failed trains the failed ones again" : "")
                << ")";
    std::cout << "; " << ranks_
              << (ranks_ == 1 ? " rank training alone" : " ranks training (rank 0 also coordinates)")
              << std::endl;
    if (!retried.empty())
      std::cout << retried.size() << " failed run" << (retried.size() == 1 ? "" : "s")
                << " of this sweep trained again (--retry-failed); their old reasons stay in /jobs/"
                << "<this job>/retried" << std::endl;
    started_ = Clock::now();
    last_progress_ = started_;
    return kExitOk;
  }

  // Every rank learns the sweep's data selections and each node puts them in shared memory once.
  void share_data() {
    train::ByteWriter out;
    out.u64(data_selections_.size());
    for (const auto& selection : data_selections_) encode(out, train::RunParams{{}, selection});
    const std::vector<std::uint8_t> payload = out.take();
    for (int rank = 1; rank < ranks_; ++rank) comm_->send(rank, kShare, payload);
    data_.share_on_node(data_selections_, *node_);
  }

  Assignment assignment_for(const job::QueuedRun& run) const {
    Assignment a;
    a.id = run.id;
    a.params = run.planned.params;
    a.params.data = resolved(run.planned.params.data);
    a.train_checksum = run.train_checksum;
    a.validation_checksum = run.validation_checksum;
    a.checkpoint = store::checkpoint_file(options_.store, run.id).string();
    a.checkpoint_every = sweep_.service.checkpoint_every;
    return a;
  }

  // Multi-rank: answer workers until the scheduler has nothing left (or a stop was asked and the
  // runs in flight have checkpointed), committing as results arrive. The coordinator trains runs
  // too, and answers between its own minibatches (every 20 ms): so P ranks on P cores keep P cores
  // training, and a worker waits a few tens of milliseconds for its next run.
  void hand_out() {
    for (;;) {
      notice_stop();
      if (scheduler_->stopping() && stop_requests() >= 2) {
        std::cout << "second stop signal: committing and exiting without waiting for the runs in flight" << std::endl;
        abandon_workers_ = true;
        return;
      }
      serve_waiting();
      if (auto next = scheduler_->next_for(kCoordinator)) {
        train_here(*next);
        continue;
      }
      if (auto message = comm_->receive(-1, -1, std::chrono::milliseconds(200))) serve(*message);
      housekeeping();
      // Done once every worker has been heard from (an unanswered "ready" must not outlive the job).
      if (scheduler_->finished() && static_cast<int>(parked_.size()) == ranks_ - 1) return;
    }
  }

  // One message from a worker: give its report to the scheduler, then give it its next run or park it.
  void serve(const mpi::Message& message) {
    const int rank = message.source;
    if (message.tag == kProgress) {  // unasked and never answered: the worker trains on
      note_progress(rank, unpack<EpochProgress>(message.bytes, "progress from rank " + std::to_string(rank)));
      return;
    }
    notice_stop();  // before the report: a worker stopped by the same signal counts as running
    if (message.tag == kReport) {
      take(unpack<Report>(message.bytes, "report from rank " + std::to_string(rank)));
    } else if (message.tag != kReady) {
      throw Error("unexpected message tag " + std::to_string(message.tag) + " from rank " + std::to_string(rank));
    }
    notice_stop();  // a signal that arrived while handling the report must not start another run
    parked_.insert(rank);
    assign_parked();
  }

  // Parked workers get runs again once there are runs to give (e.g. after a commit cleared the backlog).
  void assign_parked() {
    for (auto it = parked_.begin(); it != parked_.end();) {
      const auto next = scheduler_->next_for(*it);
      if (!next) {
        ++it;
        continue;
      }
      const Assignment assignment = assignment_for(scheduler_->run(*next));
      begin_in_flight(*it, *next);
      sends_.push_back(comm_->post(*it, kAssign, pack(assignment)));
      it = parked_.erase(it);
    }
  }

  // Every message that has already arrived, without waiting, then commits and progress when due.
  void serve_waiting() {
    if (comm_)
      while (auto message = comm_->try_receive()) serve(*message);
    housekeeping();
  }

  void housekeeping() {
    sends_.erase(std::remove_if(sends_.begin(), sends_.end(), [](mpi::PendingSend& s) { return s.done(); }),
                 sends_.end());
    commit(false);
    assign_parked();
    if (seconds_since(last_progress_) >= options_.progress_every_seconds) print_progress();
    // A heartbeat: where the file system gives no locks, a fresh progress file is the only sign
    // that this job is alive (store/job_progress.hpp).
    if (seconds_since(last_progress_file_) >= kProgressHeartbeatSeconds) write_progress_file(scheduler_->tally(), eta_);
  }

  // Trains run `index` on this rank with the executor a worker uses; between minibatches (every
  // 20 ms) the workers are served and a stop is noticed (the run then checkpoints there, like a
  // worker's), and again between epochs.
  void train_here(std::size_t index) {
    const std::string host = hosts_.empty() ? "?" : hosts_[0];
    const auto stop_now = [this] {
      serve_waiting();
      notice_stop();
      return scheduler_->stopping();
    };
    const auto meanwhile = [this] { serve_waiting(); };
    const auto on_epoch = [this](const EpochProgress& progress) { note_progress(kCoordinator, progress); };
    begin_in_flight(kCoordinator, index);
    take(execute(assignment_for(scheduler_->run(index)), data_, stop_now, host, kCoordinator, meanwhile, on_epoch));
    housekeeping();
  }

  // Single rank: the coordinator trains each run itself.
  void train_here() {
    for (notice_stop(); !scheduler_->stopping(); notice_stop()) {
      const auto next = scheduler_->next_for(kCoordinator);
      if (next) {
        train_here(*next);
      } else if (scheduler_->finished()) {
        return;
      } else {  // results wait for a store that is behind: wait for it, not for more runs
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        housekeeping();
      }
    }
  }

  void begin_in_flight(int rank, std::size_t index) {
    const job::QueuedRun& queued = scheduler_->run(index);
    InFlight& run = in_flight_[queued.id];
    run = InFlight{};
    run.rank = rank;
    run.total_epochs = queued.planned.params.config.total_epochs();
    run.started = Clock::now();
    run.estimated_seconds = queued.estimated_seconds;
  }

  // A run's latest epoch, for the progress file; the file is rewritten at most once a second.
  void note_progress(int rank, const EpochProgress& progress) {
    InFlight& run = in_flight_[progress.id];
    run.rank = rank;
    if (!run.reported) {  // its first report says where it starts: past 0 when resumed from a checkpoint
      run.first_epoch = progress.epoch;
      run.reported = true;
    }
    run.epoch = progress.epoch;
    run.total_epochs = progress.total_epochs;
    if (!progress.metric.empty()) {
      run.metric = progress.metric;
      run.value = progress.value;
    }
    if (seconds_since(last_progress_file_) >= 1.0) write_progress_file(scheduler_->tally(), eta_);
  }

  void take(const Report& report) {
    in_flight_.erase(report.id);
    const std::string line = scheduler_->on_report(report, Clock::now());
    if (!line.empty()) log(report.kind == Report::failed || report.kind == Report::fault ? std::cerr : std::cout, line);
    interrupt_if_stopping();
  }

  // On the first stop signal: the scheduler hands out nothing more, and every busy worker is asked
  // to checkpoint now.
  void notice_stop() {
    if (stop_signal() == 0 || scheduler_->stopping()) return;
    const auto busy = scheduler_->stop(std::string("interrupted by ") + signal_name(stop_signal()), kExitInterrupted);
    std::cout << "stopping on " << signal_name(stop_signal()) << ": no new runs; " << busy.size()
              << " running runs checkpoint and stop" << std::endl;
    interrupt_if_stopping();
  }

  // Once the scheduler stops (a signal, faults, a store that cannot be written), every busy worker
  // checkpoints and reports; each is asked once.
  void interrupt_if_stopping() {
    if (!scheduler_->stopping() || interrupted_workers_) return;
    interrupted_workers_ = true;
    for (int rank = 1; rank < ranks_; ++rank)
      if (scheduler_->is_busy(rank)) sends_.push_back(comm_->post(rank, kInterrupt, {}));
  }

  // Commits what is due; a commit that lands prints progress (each line counts committed runs).
  bool commit(bool force) {
    const std::size_t before = scheduler_->tally().waiting_commit;
    std::vector<std::string> events;
    const bool clear = scheduler_->commit_due(Clock::now(), force, events);
    for (const std::string& event : events) log(std::cerr, event);
    interrupt_if_stopping();  // the store may have run out of patience
    if (scheduler_->tally().waiting_commit < before) print_progress();
    return clear;
  }

  void print_progress() {
    last_progress_ = Clock::now();
    const job::Tally t = scheduler_->tally();
    const double elapsed = seconds_since(started_);
    // Scale the cost model by how this job's runs actually go: the finished ones, and the epochs the
    // runs in flight have done since they started here.
    double estimate = t.finished_estimate, actual = t.finished_actual;
    double remaining = t.remaining_estimate;  // less what the runs in flight have done
    for (const auto& [id, run] : in_flight_)
      if (run.total_epochs > 0) {
        remaining -= run.estimated_seconds * run.epoch / run.total_epochs;
        if (run.epoch > run.first_epoch) {
          estimate += run.estimated_seconds * (run.epoch - run.first_epoch) / run.total_epochs;
          actual += seconds_since(run.started);
        }
      }
    const double speed = estimate > 0 && actual > 0 ? actual / estimate : 1.0;
    const double eta = std::max(0.0, remaining) * speed / ranks_;  // every rank trains
    eta_ = eta;
    if (!options_.quiet) {
      char line[256];
      std::snprintf(line, sizeof line, "[%zu/%zu] %zu failed, %zu diverged; %zu running; elapsed %s, ETA %s", t.done,
                    t.total, t.failed, t.diverged, t.running, hms(elapsed).c_str(),
                    hms(eta).c_str());
      std::cout << line << std::endl;
    }
    write_progress_file(t, eta);
  }

  // The progress file (store/job_progress.hpp): rewritten every second or so while runs report
  // epochs, with every progress line, and at least every kProgressHeartbeatSeconds.
  void write_progress_file(const job::Tally& t, double eta) {
    last_progress_file_ = Clock::now();
    store::JobProgress progress;
    const auto put = [&progress](const char* key, auto value) {
      std::ostringstream text;
      text.precision(15);
      text << value;
      progress.values[key] = text.str();
    };
    put("sweep", sweep_.name);
    put("total", t.total);
    put("done", t.done);
    put("failed", t.failed);
    put("diverged", t.diverged);
    put("running", t.running);
    put("waiting_commit", t.waiting_commit);
    put("ranks", ranks_);
    put("elapsed_seconds", seconds_since(started_));
    put("eta_seconds", eta);
    put("pid", ::getpid());
    put("host", hosts_.empty() || hosts_[0].empty() ? std::string("?") : hosts_[0]);
    put("state", ended_ ? "ended" : "running");
    put("written_at", unix_seconds_now());
    put("refresh_seconds", std::min(options_.progress_every_seconds, kProgressHeartbeatSeconds));
    for (const auto& [id, run] : in_flight_) {
      const std::string host = static_cast<std::size_t>(run.rank) < hosts_.size() ? hosts_[run.rank] : "?";
      progress.runs.push_back({id, host, run.metric, run.rank, run.epoch, run.total_epochs, run.value});
    }
    try {
      write_file_atomically(store::progress_file(options_.store), "progress file", store::format_progress(progress),
                            Sync::atomic_only);
    } catch (const Error&) {
      // Only `khsweep status` reads it; a full disk must not stop the job for it.
    }
  }

  int finish() {
    // The last results must land before anyone exits; retry a failing commit for a minute.
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!commit(true) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const job::Outcome outcome = scheduler_->outcome();
    const job::Tally t = scheduler_->tally();
    try {
      store_->finish_job(outcome.text);
    } catch (const Error& e) {
      report_error(e);  // the runs are committed; only the job's end time is missing
    }
    ended_ = true;
    write_progress_file(t, 0);
    const bool complete = outcome.exit_code == kExitOk || outcome.exit_code == kExitRunsFailed;
    // Why the job stopped short, on stderr; a stop the user asked for needs no error line.
    if (!complete && outcome.text.rfind("interrupted by ", 0) != 0) std::cerr << "khsweep run: " << outcome.text << "\n";
    std::cout << (complete ? "done: " : outcome.exit_code == kExitInterrupted ? "interrupted: " : "stopped: ")
              << t.done << "/" << t.total << " runs in " << options_.store.string() << " (" << t.failed
              << " failed, " << t.diverged << " diverged) in " << hms(seconds_since(started_));
    if (t.waiting_commit > 0)
      std::cout << "; " << t.waiting_commit
                << " finished runs could not be committed; their checkpoints are kept, so running the same command "
                   "again commits them without retraining";
    else if (outcome.exit_code == kExitInterrupted)
      std::cout << "; " << t.interrupted << " runs checkpointed; run the same command to resume";
    else if (!complete)
      std::cout << "; once the cause above is fixed, run the same command to continue";
    else if (t.failed > 0)
      std::cout << "; run with --retry-failed to train the failed runs again";
    std::cout << std::endl;
    return outcome.exit_code;
  }

  int stop_workers(int code) {
    if (ranks_ == 1) return code;
    // Workers still training cannot be reached: end the job; their last checkpoints remain.
    if (abandon_workers_) mpi::Environment::abort(code);
    sends_.clear();  // completes every pending send first
    std::vector<std::uint8_t> payload(sizeof(std::int32_t));
    const std::int32_t code32 = code;
    std::memcpy(payload.data(), &code32, sizeof code32);
    for (int rank = 1; rank < ranks_; ++rank) comm_->send(rank, kStop, payload);
    return code;
  }

 public:
  void set_hosts(std::vector<std::string> hosts) { hosts_ = std::move(hosts); }

 private:
  const mpi::Communicator* comm_;  // null without MPI
  mpi::NodeMemory* node_;
  const int ranks_;
  JobOptions options_;
  sweep::Sweep sweep_;
  DataCache data_;
  std::vector<train::DataSelection> data_selections_;  // each distinct one once, directory resolved
  store::JobInfo job_info_;
  std::vector<std::string> hosts_;
  std::unique_ptr<store::SweepStore> store_;
  std::unique_ptr<StoreSink> sink_;
  std::unique_ptr<job::Scheduler> scheduler_;
  std::vector<mpi::PendingSend> sends_;
  std::set<int> parked_;  // idle workers: they get runs when there are runs, exit after the final commit
  Clock::time_point started_{}, last_progress_{}, last_progress_file_{};
  bool ended_ = false;  // finish() has committed the last runs: the progress file says the job ended
  double eta_ = -1;  // the latest estimate; negative before the first
  // The runs in training, by id: for the progress file.
  struct InFlight {
    int rank = 0;
    int epoch = 0, total_epochs = 0;
    int first_epoch = 0;  // where it started in this job (a checkpoint's epochs are not this job's)
    bool reported = false;
    Clock::time_point started{};
    double estimated_seconds = 0;  // the cost model's, for the whole run
    std::string metric;
    double value = 0;
  };
  std::map<std::string, InFlight> in_flight_;
  bool interrupted_workers_ = false;
  bool abandon_workers_ = false;
};

// A worker: ask for a run, train it, report, until told to stop.
int work(const mpi::Communicator& comm, const std::string& host, mpi::NodeMemory& node) {
  DataCache data;
  comm.send(kCoordinator, kReady, {});
  for (;;) {
    const auto message = comm.receive(kCoordinator);
    if (message->tag == kStop) {
      std::int32_t code = kExitInternal;
      if (message->bytes.size() == sizeof code) std::memcpy(&code, message->bytes.data(), sizeof code);
      return code;
    }
    if (message->tag == kInterrupt) continue;  // arrived after its run had already finished
    if (message->tag == kShare) {
      train::ByteReader in(message->bytes, "data selections");
      std::vector<train::DataSelection> selections(in.u64());
      for (auto& selection : selections) {
        train::RunParams carrier;  // a selection travels as the data rows of a run's parameters
        decode(in, carrier);
        selection = carrier.data;
      }
      data.share_on_node(selections, node);
      continue;
    }
    if (message->tag != kAssign) throw Error("worker: unexpected message tag " + std::to_string(message->tag));
    const auto assignment = unpack<Assignment>(message->bytes, "assignment");
    const auto stop_now = [&comm] {
      return stop_signal() != 0 || comm.try_receive(kCoordinator, kInterrupt).has_value();
    };
    std::vector<mpi::PendingSend> progress_sent;  // small messages: they complete at once, never waited on
    const auto on_epoch = [&](const EpochProgress& progress) {
      progress_sent.erase(std::remove_if(progress_sent.begin(), progress_sent.end(),
                                         [](mpi::PendingSend& s) { return s.done(); }),
                          progress_sent.end());
      progress_sent.push_back(comm.post(kCoordinator, kProgress, pack(progress)));
    };
    comm.send(kCoordinator, kReport, pack(execute(assignment, data, stop_now, host, comm.rank(), {}, on_epoch)));
  }
}

}  // namespace

int run_sweep(const mpi::Communicator& comm, const JobOptions& options) {
  install_stop_handlers();
  const std::vector<std::string> hosts = comm.all_gather(comm.processor_name());
  mpi::NodeMemory node;  // outlives the data caches that read its shared memory
  if (comm.rank() != kCoordinator) return work(comm, hosts[static_cast<std::size_t>(comm.rank())], node);
  Coordinator coordinator(&comm, &node, options);
  coordinator.set_hosts(hosts);
  return coordinator.run();
}

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

int run_sweep_alone(const JobOptions& options) {
  install_stop_handlers();
  Coordinator coordinator(nullptr, nullptr, options);
  coordinator.set_hosts({host_name()});
  return coordinator.run();
}

}  // namespace khsweep::runner
