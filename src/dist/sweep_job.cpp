#include "khsweep/dist/sweep_job.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "execute.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/exit_codes.hpp"
#include "khsweep/dist/signals.hpp"
#include "khsweep/store/run_file.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "khsweep/sweep/cost.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/sweep/run_id.hpp"
#include "khsweep/sweep/sweep_file.hpp"
#include "khsweep/train/checkpoint.hpp"

namespace khsweep::dist {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kCoordinator = 0;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string duration_text(double seconds) {
  if (!(seconds >= 0)) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  return text;
}

// Every line of a (possibly multi-line) error, each prefixed so it reads on its own in a job log.
void report_error(const std::exception& e) {
  std::istringstream lines(e.what());
  for (std::string line; std::getline(lines, line);) std::cerr << "khsweep run: " << line << "\n";
}

// The selection with its dataset as the directory this coordinator resolved and verified, not a
// name each rank would resolve through its own environment (ranks still compare checksums).
sweep::DataSelection resolved(sweep::DataSelection selection) {
  selection.dataset = sweep::resolve_data(selection.dataset).directory.string();
  return selection;
}

// A run of the sweep, with what the coordinator learnt about it before handing it out.
struct Job {
  sweep::PlannedRun planned;
  std::string id;
  std::string train_checksum, validation_checksum;
  std::size_t train_samples = 0, validation_samples = 0;
  double estimated_seconds = 0;
};

// The coordinator's state and its one loop; shared by multi-rank and single-rank jobs.
class Coordinator {
 public:
  Coordinator(const mpi::Communicator& comm, const JobOptions& options, mpi::NodeMemory& node)
      : comm_(comm), node_(node), options_(options) {}

  int run() {
    const int prepared = prepare();
    if (prepared != kExitOk) return stop_workers(prepared);
    if (comm_.size() > 1) share_data();
    const int outcome = comm_.size() == 1 ? train_here() : hand_out();
    return stop_workers(finish(outcome));
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
    std::set<std::string> retried;  // failed runs of this sweep trained again (--retry-failed)
    try {
      std::map<std::string, std::pair<std::string, std::string>> checksums;
      for (const sweep::PlannedRun& planned : sweep_.runs) {
        const data::DataSplit& d = data_.get(planned.params.data);
        sweep::check_fits_in_memory(sweep_, planned, sweep::shape_of(d));  // before any run trains
        Job job;
        job.planned = planned;
        job.train_checksum = d.train.checksum;
        job.validation_checksum = d.validation.checksum;
        job.train_samples = d.train.count;
        job.validation_samples = d.validation.count;
        job.id = sweep::run_id(planned.params, job.train_checksum, job.validation_checksum);
        job.estimated_seconds = sweep::estimate_seconds(planned.params, d.train.count, d.validation.count);
        if (!ids_.insert(job.id).second) {
          ++duplicates_;  // two grid points that are the same run (e.g. S = 0 and S = epochs)
          continue;
        }
        jobs_.push_back(std::move(job));
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
      job_info_.ranks = comm_.size();
      job_info_.hosts = hosts_;
      job_info_.mpi_version = mpi::Environment::library_version();
      store_ = std::make_unique<store::SweepStore>(store::SweepStore::open_for_sweep(options_.store, job_info_));
      if (options_.retry_failed)
        for (const Job& job : jobs_)
          if (store_->failed_runs().count(job.id)) retried.insert(job.id);
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
    for (std::size_t i = 0; i < jobs_.size(); ++i)
      if (!store_->committed_ids().count(jobs_[i].id) || retried.count(jobs_[i].id)) queue_.push_back(i);
    // Costliest first, so the longest runs do not start last and leave the other ranks idle.
    std::stable_sort(queue_.begin(), queue_.end(),
                     [&](std::size_t x, std::size_t y) { return jobs_[x].estimated_seconds > jobs_[y].estimated_seconds; });
    for (std::size_t i : queue_) remaining_estimate_ += jobs_[i].estimated_seconds;
    already_done_ = jobs_.size() - queue_.size();
    workers_ = comm_.size() - 1;  // ranks other than this one, which trains too
    std::cout << "sweep " << sweep_.name << ": " << jobs_.size() << " runs";
    if (duplicates_ > 0) std::cout << " (" << duplicates_ << " duplicate grid points merged)";
    std::cout << ", " << already_done_ << " already in " << options_.store.string() << "; " << comm_.size()
              << (comm_.size() == 1 ? " rank training alone"
                                    : " ranks training (rank 0 also coordinates)")
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
    for (const auto& selection : data_selections_) encode(out, selection);
    const std::vector<std::uint8_t> payload = out.take();
    for (int rank = 1; rank < comm_.size(); ++rank) comm_.send(rank, kShare, payload);
    data_.share_on_node(data_selections_, node_);
  }

  Assignment assignment_for(const Job& job) const {
    Assignment a;
    a.id = job.id;
    a.params = job.planned.params;
    a.params.data = resolved(job.planned.params.data);
    a.train_checksum = job.train_checksum;
    a.validation_checksum = job.validation_checksum;
    a.checkpoint = store::checkpoint_file(options_.store, job.id).string();
    a.checkpoint_every = sweep_.service.checkpoint_every;
    return a;
  }

  // Multi-rank: answer workers until every run is done (or a stop was asked and the runs in flight
  // have checkpointed), committing as results arrive. The coordinator trains runs too, and answers
  // between its own minibatches (every 20 ms): so P ranks on P cores keep P cores training, and a
  // worker waits a few tens of milliseconds for its next run.
  int hand_out() {
    for (;;) {
      notice_stop();
      if (stopping_ && stop_requests() >= 2) {
        std::cout << "second stop signal: committing and exiting without waiting for the runs in flight" << std::endl;
        abandon_workers_ = true;
        break;
      }
      serve_waiting();
      if (!stopping_ && !queue_.empty()) {
        train_one_here();
        continue;
      }
      if (auto message = comm_.receive(-1, -1, std::chrono::milliseconds(200))) serve(*message);
      housekeeping();
      if (busy_.empty() && static_cast<int>(parked_.size()) == workers_ && (queue_.empty() || stopping_)) break;
    }
    return stopping_ ? kExitInterrupted : kExitOk;
  }

  // One message from a worker: take its report, then give it the next run or park it.
  void serve(const mpi::Message& message) {
    notice_stop();  // before the report: a worker stopped by the same signal counts as running
    const int rank = message.source;
    if (message.tag == kReport) {
      handle(unpack<Report>(message.bytes, "report from rank " + std::to_string(rank)));
      busy_.erase(rank);
    } else if (message.tag != kReady) {
      throw Error("unexpected message tag " + std::to_string(message.tag) + " from rank " + std::to_string(rank));
    }
    notice_stop();  // a signal that arrived while handling the report must not start another run
    if (!stopping_ && !queue_.empty() && retired_.count(rank) == 0) {
      const std::size_t next = queue_.front();
      queue_.pop_front();
      busy_[rank] = next;
      sends_.push_back(comm_.post(rank, kAssign, pack(assignment_for(jobs_[next]))));
    } else {
      parked_.insert(rank);
    }
  }

  // Every message that has already arrived, without waiting, then commits and progress when due.
  void serve_waiting() {
    while (auto message = comm_.try_receive()) serve(*message);
    housekeeping();
  }

  void housekeeping() {
    sends_.erase(std::remove_if(sends_.begin(), sends_.end(), [](mpi::PendingSend& s) { return s.done(); }),
                 sends_.end());
    commit_if_due(false);
    progress_if_due();
  }

  // The next run, trained on this rank with the executor a worker uses; between minibatches (every
  // 20 ms) the workers are served, and between epochs a stop is noticed (the run then checkpoints
  // like a worker's).
  void train_one_here() {
    const std::string host = hosts_.empty() ? "?" : hosts_[0];
    const std::size_t next = queue_.front();
    queue_.pop_front();
    busy_[kCoordinator] = next;
    const auto between_epochs = [this] {
      serve_waiting();
      notice_stop();
      return stopping_;
    };
    const auto meanwhile = [this] { serve_waiting(); };
    handle(execute(assignment_for(jobs_[next]), data_, between_epochs, host, kCoordinator, meanwhile));
    busy_.erase(kCoordinator);
    housekeeping();
  }

  // On the first stop signal: hand out nothing more, and ask every busy worker to checkpoint now.
  void notice_stop() {
    if (stop_signal() == 0 || stopping_) return;
    stopping_ = true;
    std::cout << "stopping on " << signal_name(stop_signal()) << ": no new runs; " << busy_.size()
              << " running runs checkpoint and stop" << std::endl;
    for (const auto& [rank, index] : busy_)
    if (rank != kCoordinator) sends_.push_back(comm_.post(rank, kInterrupt, {}));
  }

  // Single rank: the coordinator trains each run itself.
  int train_here() {
    for (notice_stop(); !queue_.empty() && !stopping_; notice_stop()) train_one_here();
    return stopping_ ? kExitInterrupted : kExitOk;
  }

  void handle(const Report& report) {
    const auto it = std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& j) { return j.id == report.id; });
    if (it == jobs_.end()) throw Error("report for unknown run " + report.id + " from rank " + std::to_string(report.rank));
    const Job& job = *it;
    if (report.kind == Report::interrupted) {
      if (!stopping_) {
        // The job was not asked to stop: a signal reached that rank alone (a node-level signal, an
        // OOM killer's warning). Its run goes back to the queue, to resume from its checkpoint on
        // another rank; the rank gets no more runs, since it would stop each one at once.
        queue_.push_front(static_cast<std::size_t>(it - jobs_.begin()));
        retired_.insert(report.rank);
        std::cout << "rank " << report.rank << " stopped on a signal of its own: run " << report.id
                  << " goes back to the queue; rank " << report.rank << " gets no more runs" << std::endl;
        return;
      }
      interrupted_.push_back(report.id);
      return;
    }
    store::CommittedRun run;
    run.id = job.id;
    run.sweep = sweep_.name;
    run.arm = job.planned.arm;
    run.params = job.planned.params;
    run.train_checksum = job.train_checksum;
    run.validation_checksum = job.validation_checksum;
    run.train_samples = job.train_samples;
    run.validation_samples = job.validation_samples;
    run.failure = report.failure;
    run.result = report.result;
    run.host = report.host;
    run.rank = report.rank;
    run.resumed = report.resumed;
    if (report.kind == Report::failed)
      std::cerr << "khsweep run: run " << job.id << " failed on rank " << report.rank << ": " << report.failure << "\n";
    remaining_estimate_ -= job.estimated_seconds;
    finished_estimate_ += job.estimated_seconds;
    finished_actual_ += report.result.total_seconds;
    if (to_commit_.empty()) oldest_uncommitted_ = Clock::now();
    to_commit_.push_back(std::move(run));
  }

  // Commits what is waiting once the oldest result has waited commit_every_seconds (always when
  // forced). A failed commit leaves the results waiting: nothing is reported done until it lands.
  bool commit_if_due(bool force) {
    if (to_commit_.empty()) return true;
    if (!force && seconds_since(oldest_uncommitted_) < sweep_.service.commit_every_seconds) return true;
    if (!force && seconds_since(last_commit_failure_) < 2.0) return false;
    try {
      store_->commit(to_commit_);
    } catch (const Error& e) {
      last_commit_failure_ = Clock::now();
      std::cerr << "khsweep run: commit of " << to_commit_.size() << " runs failed, will retry: " << e.what() << "\n";
      return false;
    }
    for (const store::CommittedRun& run : to_commit_) {
      ++committed_;
      if (!run.failure.empty()) ++failed_;
      if (run.failure.empty() && run.result.status == train::RunStatus::diverged) ++diverged_;
      train::remove_checkpoint(store::checkpoint_file(options_.store, run.id));
    }
    to_commit_.clear();
    print_progress();
    return true;
  }

  void progress_if_due() {
    if (seconds_since(last_progress_) >= options_.progress_every_seconds) print_progress();
  }

  void print_progress() {
    last_progress_ = Clock::now();
    const double elapsed = seconds_since(started_);
    // Scale the cost model by how this job's finished runs actually went.
    const double speed = finished_estimate_ > 0 && finished_actual_ > 0 ? finished_actual_ / finished_estimate_ : 1.0;
    const double eta = std::max(0.0, remaining_estimate_) * speed / comm_.size();  // every rank trains
    const std::size_t done = already_done_ + committed_;
    if (!options_.quiet) {
      char line[256];
      std::snprintf(line, sizeof line, "[%zu/%zu] %zu failed, %zu diverged; %zu running; elapsed %s, ETA %s", done,
                    jobs_.size(), failed_, diverged_, busy_.size(), duration_text(elapsed).c_str(),
                    duration_text(eta).c_str());
      std::cout << line << std::endl;
    }
    write_progress_file(done, eta);
  }

  // "<store>.progress": what `khsweep status` shows of a live job, replaced atomically.
  void write_progress_file(std::size_t done, double eta) const {
    fs::path file = options_.store;
    file += ".progress";
    fs::path tmp = file;
    tmp += ".tmp";
    {
      std::ofstream out(tmp);
      out << "sweep " << sweep_.name << "\ntotal " << jobs_.size() << "\ndone " << done << "\nfailed " << failed_
          << "\ndiverged " << diverged_ << "\nrunning " << busy_.size() << "\nwaiting_commit " << to_commit_.size()
          << "\nranks " << comm_.size() << "\nelapsed_seconds " << seconds_since(started_) << "\neta_seconds " << eta
          << "\npid " << ::getpid() << "\n";
    }
    std::error_code ignored;
    fs::rename(tmp, file, ignored);
  }

  int finish(int outcome) {
    // The last results must land before anyone exits; retry a failing commit for a minute.
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!commit_if_due(true)) {
      if (Clock::now() > deadline) {
        std::cerr << "khsweep run: " << to_commit_.size()
                  << " finished runs could not be committed; their checkpoints are kept, so running the same "
                     "command again commits them without retraining\n";
        return kExitInput;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    const std::size_t done = already_done_ + committed_;
    std::string outcome_text = outcome == kExitInterrupted
                                   ? std::string("interrupted by ") + signal_name(stop_signal())
                                   : "completed";
    // Never "completed" while runs of the sweep are missing, whatever the reason.
    if (outcome == kExitOk && done < jobs_.size()) {
      outcome = kExitInterrupted;
      outcome_text = "incomplete: " + std::to_string(jobs_.size() - done) + " of " + std::to_string(jobs_.size()) +
                     " runs missing";
      std::cerr << "khsweep run: " << outcome_text << "; run the same command to train them\n";
    }
    try {
      store_->finish_job(outcome_text);
    } catch (const Error& e) {
      report_error(e);  // the runs are committed; only the job's end time is missing
    }
    write_progress_file(done, 0);
    std::cout << (outcome == kExitInterrupted ? "interrupted: " : "done: ") << done << "/" << jobs_.size()
              << " runs in " << options_.store.string() << " (" << failed_ << " failed, " << diverged_
              << " diverged) in " << duration_text(seconds_since(started_));
    if (outcome == kExitInterrupted)
      std::cout << "; " << interrupted_.size() << " runs checkpointed; run the same command to resume";
    std::cout << std::endl;
    if (outcome == kExitOk && failed_ > 0) return kExitRunsFailed;
    return outcome;
  }

  int stop_workers(int code) {
    // Workers still training cannot be reached: end the job; their last checkpoints remain.
    if (abandon_workers_) mpi::Environment::abort(code);
    sends_.clear();  // completes every pending send first
    std::vector<std::uint8_t> payload(sizeof(std::int32_t));
    const std::int32_t code32 = code;
    std::memcpy(payload.data(), &code32, sizeof code32);
    for (int rank = 1; rank < comm_.size(); ++rank) comm_.send(rank, kStop, payload);
    return code;
  }

 public:
  void set_hosts(std::vector<std::string> hosts) { hosts_ = std::move(hosts); }

 private:
  const mpi::Communicator& comm_;
  mpi::NodeMemory& node_;
  JobOptions options_;
  sweep::Sweep sweep_;
  DataCache data_;
  std::vector<sweep::DataSelection> data_selections_;  // each distinct one once, directory resolved
  std::vector<Job> jobs_;
  std::set<std::string> ids_;
  std::size_t duplicates_ = 0;
  store::JobInfo job_info_;
  std::vector<std::string> hosts_;
  std::unique_ptr<store::SweepStore> store_;
  std::deque<std::size_t> queue_;
  std::map<int, std::size_t> busy_;  // rank -> job index
  std::vector<mpi::PendingSend> sends_;
  std::vector<store::CommittedRun> to_commit_;
  std::vector<std::string> interrupted_;
  Clock::time_point oldest_uncommitted_{}, last_commit_failure_{}, started_{}, last_progress_{};
  std::size_t already_done_ = 0, committed_ = 0, failed_ = 0, diverged_ = 0;
  int workers_ = 0;  // ranks other than the coordinator
  std::set<int> parked_;  // workers told to wait: they exit only after the final commit
  std::set<int> retired_;  // workers that stopped on a signal of their own: no more runs for them
  bool stopping_ = false;
  bool abandon_workers_ = false;
  double remaining_estimate_ = 0, finished_estimate_ = 0, finished_actual_ = 0;
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
      std::vector<sweep::DataSelection> selections(in.u64());
      for (auto& selection : selections) decode(in, selection);
      data.share_on_node(selections, node);
      continue;
    }
    if (message->tag != kAssign) throw Error("worker: unexpected message tag " + std::to_string(message->tag));
    const auto assignment = unpack<Assignment>(message->bytes, "assignment");
    const auto stop_now = [&comm] {
      return stop_signal() != 0 || comm.try_receive(kCoordinator, kInterrupt).has_value();
    };
    comm.send(kCoordinator, kReport, pack(execute(assignment, data, stop_now, host, comm.rank())));
  }
}

}  // namespace

int run_sweep(const mpi::Communicator& comm, const JobOptions& options) {
  install_stop_handlers();
  const std::vector<std::string> hosts = comm.all_gather(comm.processor_name());
  mpi::NodeMemory node;  // outlives the data caches that read its shared memory
  if (comm.rank() != kCoordinator) return work(comm, hosts[static_cast<std::size_t>(comm.rank())], node);
  Coordinator coordinator(comm, options, node);
  coordinator.set_hosts(hosts);
  return coordinator.run();
}

}  // namespace khsweep::dist
