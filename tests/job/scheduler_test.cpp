// The job's decisions, driven by scripted reports, a store that fails on demand and a clock of the
// test's own: hand-out order, requeue on a rank's own signal, faults retried and bounded, commits
// batched, bounded and split around a result the store refuses, and an outcome that never says
// "completed" with runs missing.
#include <boost/test/unit_test.hpp>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "khsweep/core/error.hpp"
#include "khsweep/core/exit_codes.hpp"
#include "khsweep/job/scheduler.hpp"

namespace {

using namespace khsweep;
using job::Report;
using job::Scheduler;
using Seconds = std::chrono::duration<double>;

// A store stand-in: records what lands, refuses what `refuse` says (everything while `down`).
struct ScriptedStore : job::ResultSink {
  std::vector<store::CommittedRun> landed;
  std::function<bool(const store::CommittedRun&)> refuse = [](const store::CommittedRun&) { return false; };
  bool down = false;
  int attempts = 0;

  void commit(const std::vector<store::CommittedRun>& runs) override {
    ++attempts;
    if (down) throw Error("disk full");
    for (const auto& run : runs)
      if (refuse(run)) throw Error("result of " + run.id + " cannot be written");
    landed.insert(landed.end(), runs.begin(), runs.end());
  }
  [[nodiscard]] std::set<std::string> ids() const {
    std::set<std::string> out;
    for (const auto& run : landed) out.insert(run.id);
    return out;
  }
  [[nodiscard]] const store::CommittedRun& get(const std::string& id) const {
    for (const auto& run : landed)
      if (run.id == id) return run;
    throw Error("not landed: " + id);
  }
};

// Runs "r0".."r<n-1>", run i estimated at i+1 seconds (so the queue order is r<n-1> first).
std::vector<job::QueuedRun> runs(int n) {
  std::vector<job::QueuedRun> out;
  for (int i = 0; i < n; ++i) {
    job::QueuedRun run;
    run.id = "r" + std::to_string(i);
    run.estimated_seconds = i + 1;
    out.push_back(run);
  }
  return out;
}

job::Policy policy(int ranks) {
  job::Policy p;
  p.ranks = ranks;
  p.commit_every_seconds = 0;
  p.retry_pause_seconds = 0;
  p.max_faults_in_row = ranks + 2;
  return p;
}

Report report(Report::Kind kind, const std::string& id, int rank, const std::string& failure = "") {
  Report r;
  r.kind = kind;
  r.id = id;
  r.rank = rank;
  r.host = "node" + std::to_string(rank);
  r.failure = failure;
  return r;
}

// The scheduler with a clock the test moves.
struct Job {
  ScriptedStore store;
  job::Clock::time_point now = job::Clock::time_point{} + std::chrono::hours(1);
  Scheduler scheduler;
  std::vector<std::string> log;

  Job(int n, job::Policy p, const std::set<std::string>& committed = {}, const std::set<std::string>& failed = {},
      const std::set<std::string>& diverged = {}, const std::set<std::string>& retried = {})
      : scheduler("unit", runs(n), committed, failed, diverged, retried, store, p) {}

  // `rank` takes its next run and reports it with `kind`; returns the run's id ("" if none given).
  std::string train(int rank, Report::Kind kind = Report::finished, const std::string& failure = "") {
    const auto next = scheduler.next_for(rank);
    if (!next) return "";
    const std::string id = scheduler.run(*next).id;
    (void)scheduler.on_report(report(kind, id, rank, failure), now);
    return id;
  }
  bool commit(bool force = false) { return scheduler.commit_due(now, force, log); }
  void wait(double seconds) { now += std::chrono::duration_cast<job::Clock::duration>(Seconds(seconds)); }
  // Every rank trains until nothing is handed out; commits as it goes.
  void train_all(int ranks) {
    for (bool any = true; any;) {
      any = false;
      for (int rank = 0; rank < ranks; ++rank) any = !train(rank).empty() || any;
      commit();
    }
    commit(true);
  }
};

BOOST_AUTO_TEST_CASE(runs_go_out_costliest_first_each_once_and_the_job_completes) {
  Job job(4, policy(2));
  std::vector<std::string> order;
  for (int rank = 0; rank < 4; ++rank) order.push_back(job.train(rank % 2));
  BOOST_TEST(order == (std::vector<std::string>{"r3", "r2", "r1", "r0"}), boost::test_tools::per_element());
  BOOST_TEST(job.train(0).empty());
  BOOST_TEST(job.commit(true));
  BOOST_TEST(job.scheduler.finished());
  BOOST_TEST(job.store.landed.size() == 4u);
  const job::Outcome outcome = job.scheduler.outcome();
  BOOST_TEST(outcome.exit_code == kExitOk);
  BOOST_TEST(outcome.text == "completed");
}

BOOST_AUTO_TEST_CASE(a_resumed_job_skips_committed_runs_and_counts_their_failures_and_divergences) {
  Job job(4, policy(1), {"r0", "r1", "r2"}, {"r1"}, {"r2"});
  BOOST_TEST(job.scheduler.already_done() == 3u);
  const job::Tally before = job.scheduler.tally();
  BOOST_TEST(before.failed == 1u);
  BOOST_TEST(before.diverged == 1u);
  BOOST_TEST(job.train(0) == "r3");
  BOOST_TEST(job.train(0).empty());
  BOOST_TEST(job.commit(true));
  BOOST_TEST(job.scheduler.tally().done == 4u);
  // The sweep holds a failed run, so the user did not get everything: not exit 0.
  BOOST_TEST(job.scheduler.outcome().exit_code == kExitRunsFailed);
}

BOOST_AUTO_TEST_CASE(retried_failed_runs_are_queued_again) {
  Job job(3, policy(1), {"r0", "r1", "r2"}, {"r1"}, {}, {"r1"});
  BOOST_TEST(job.scheduler.tally().failed == 0u);
  BOOST_TEST(job.train(0) == "r1");
  BOOST_TEST(job.train(0).empty());
  BOOST_TEST(job.commit(true));
  BOOST_TEST(job.scheduler.outcome().exit_code == kExitOk);
}

BOOST_AUTO_TEST_CASE(a_rank_stopped_by_its_own_signal_is_retired_and_its_run_goes_to_another) {
  Job job(3, policy(2));
  BOOST_TEST(job.train(1, Report::interrupted) == "r2");
  BOOST_TEST(!job.scheduler.next_for(1).has_value());  // retired
  BOOST_TEST(!job.scheduler.stopping());
  BOOST_TEST(job.train(0) == "r2");  // first again, resumed elsewhere
  job.train_all(2);
  BOOST_TEST(job.store.ids() == (std::set<std::string>{"r0", "r1", "r2"}));
  BOOST_TEST(job.scheduler.outcome().exit_code == kExitOk);
}

BOOST_AUTO_TEST_CASE(a_stop_hands_out_nothing_more_and_the_job_says_interrupted) {
  Job job(4, policy(2));
  BOOST_TEST(job.train(0) == "r3");
  const auto busy_run = job.scheduler.next_for(1);
  BOOST_TEST_REQUIRE(busy_run.has_value());
  const auto busy = job.scheduler.stop("interrupted by SIGTERM", kExitInterrupted);
  BOOST_TEST(busy == std::vector<int>{1}, boost::test_tools::per_element());
  BOOST_TEST(!job.scheduler.next_for(0).has_value());
  BOOST_TEST(!job.scheduler.finished());  // rank 1 still has to checkpoint
  (void)job.scheduler.on_report(report(Report::interrupted, job.scheduler.run(*busy_run).id, 1), job.now);
  BOOST_TEST(job.scheduler.finished());
  BOOST_TEST(job.commit(true));
  const job::Outcome outcome = job.scheduler.outcome();
  BOOST_TEST(outcome.exit_code == kExitInterrupted);
  BOOST_TEST(outcome.text == "interrupted by SIGTERM");
  BOOST_TEST(job.scheduler.tally().interrupted == 1u);
  BOOST_TEST(job.store.ids() == std::set<std::string>{"r3"});
}

BOOST_AUTO_TEST_CASE(a_fault_puts_the_run_back_and_never_records_it_as_failed) {
  Job job(2, policy(2));
  BOOST_TEST(job.train(0, Report::fault, "checkpoint: No space left on device") == "r1");
  BOOST_TEST(!job.scheduler.stopping());
  BOOST_TEST(job.train(1) == "r1");  // the same run, on the next try
  job.train_all(2);
  BOOST_TEST(job.store.ids() == (std::set<std::string>{"r0", "r1"}));
  BOOST_TEST(job.store.get("r1").failure.empty());
  BOOST_TEST(job.scheduler.outcome().exit_code == kExitOk);
}

BOOST_AUTO_TEST_CASE(a_run_that_keeps_hitting_faults_stops_the_job_with_exit_3_and_stays_untrained) {
  job::Policy p = policy(4);
  p.max_faults_per_rank = 10;  // isolate the per-run bound
  Job job(3, p);
  for (int attempt = 0; attempt < 3; ++attempt)
    BOOST_TEST(job.train(attempt, Report::fault, "cannot write checkpoint: Input/output error") == "r2");
  BOOST_TEST(job.scheduler.stopping());
  BOOST_TEST(job.scheduler.finished());
  BOOST_TEST(job.commit(true));
  const job::Outcome outcome = job.scheduler.outcome();
  BOOST_TEST(outcome.exit_code == kExitInput);
  BOOST_TEST(outcome.text.find("run r2 hit 3 faults") != std::string::npos, outcome.text);
  BOOST_TEST(outcome.text.find("Input/output error") != std::string::npos, outcome.text);
  BOOST_TEST(outcome.text.find("3 of 3 runs missing") != std::string::npos, outcome.text);
  BOOST_TEST(job.store.landed.empty());  // nothing became a final "failed"
}

BOOST_AUTO_TEST_CASE(a_rank_whose_runs_keep_hitting_faults_is_retired_and_the_others_finish) {
  Job job(4, policy(2));
  BOOST_TEST(job.train(1, Report::fault, "data unreadable on node1") == "r3");
  BOOST_TEST(job.train(0) == "r3");
  BOOST_TEST(job.train(1, Report::fault, "data unreadable on node1") == "r2");
  BOOST_TEST(!job.scheduler.next_for(1).has_value());  // retired after 2 faults in a row
  BOOST_TEST(!job.scheduler.stopping());
  job.train_all(2);
  BOOST_TEST(job.store.ids().size() == 4u);
  BOOST_TEST(job.scheduler.outcome().exit_code == kExitOk);
}

BOOST_AUTO_TEST_CASE(a_job_whose_only_rank_keeps_hitting_faults_stops) {
  Job job(6, policy(1));
  BOOST_TEST(job.train(0, Report::fault, "disk full") == "r5");
  BOOST_TEST(!job.scheduler.stopping());
  BOOST_TEST(job.train(0, Report::fault, "disk full") == "r5");  // retired after 2: no rank left
  BOOST_TEST(job.scheduler.stopping());
  BOOST_TEST(job.scheduler.outcome().exit_code == kExitInput);
  BOOST_TEST(job.scheduler.outcome().text.find("no rank is left") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failed_run_is_committed_as_failed_and_the_job_exits_5) {
  Job job(2, policy(1));
  BOOST_TEST(job.train(0, Report::failed, "hidden units do not fit") == "r1");
  job.train_all(1);
  BOOST_TEST(job.store.get("r1").failure == "hidden units do not fit");
  BOOST_TEST(job.scheduler.tally().failed == 1u);
  BOOST_TEST(job.scheduler.outcome().exit_code == kExitRunsFailed);
}

BOOST_AUTO_TEST_CASE(results_wait_for_a_shared_commit_until_they_are_due) {
  job::Policy p = policy(1);
  p.commit_every_seconds = 5;
  Job job(3, p);
  job.train(0);
  job.wait(2);
  job.train(0);
  BOOST_TEST(!job.commit());
  BOOST_TEST(job.store.attempts == 0);
  job.wait(3);
  BOOST_TEST(job.commit());
  BOOST_TEST(job.store.attempts == 1);  // one transaction for both
  BOOST_TEST(job.store.landed.size() == 2u);
}

BOOST_AUTO_TEST_CASE(no_runs_are_handed_out_while_too_many_results_wait_for_the_store) {
  job::Policy p = policy(1);
  p.max_waiting_results = 2;
  Job job(4, p);
  job.store.down = true;
  job.train(0);
  job.commit();
  job.train(0);
  BOOST_TEST(!job.commit());
  BOOST_TEST(!job.scheduler.next_for(0).has_value());  // two wait: the rank waits for the store
  BOOST_TEST(!job.scheduler.finished());
  job.store.down = false;
  BOOST_TEST(job.commit());
  BOOST_TEST(job.store.landed.size() == 2u);
  job.train_all(1);
  BOOST_TEST(job.store.ids().size() == 4u);
  BOOST_TEST(job.scheduler.outcome().exit_code == kExitOk);
}

BOOST_AUTO_TEST_CASE(a_result_the_store_refuses_does_not_block_the_others_and_is_recorded_failed) {
  Job job(3, policy(1));
  job.store.refuse = [](const store::CommittedRun& run) { return run.id == "r1" && run.failure.empty(); };
  for (int i = 0; i < 3; ++i) job.train(0);
  BOOST_TEST(job.commit(true));
  BOOST_TEST(job.store.ids() == (std::set<std::string>{"r0", "r1", "r2"}));
  BOOST_TEST(job.store.get("r1").failure.find("could not be stored: result of r1 cannot be written") !=
             std::string::npos);
  BOOST_TEST(job.store.get("r0").failure.empty());
  BOOST_TEST(job.log.size() == 1u);
  BOOST_TEST(job.scheduler.outcome().exit_code == kExitRunsFailed);
}

BOOST_AUTO_TEST_CASE(a_store_that_stays_unwritable_stops_the_job_and_the_results_are_not_reported_done) {
  job::Policy p = policy(2);
  p.store_patience_seconds = 60;
  Job job(4, p);
  job.store.down = true;
  job.train(0);
  job.train(1);
  BOOST_TEST(!job.commit());
  job.wait(30);
  BOOST_TEST(!job.commit());
  BOOST_TEST(!job.scheduler.stopping());
  job.wait(31);
  BOOST_TEST(!job.commit());
  BOOST_TEST(job.scheduler.stopping());
  BOOST_TEST(job.scheduler.tally().done == 0u);
  BOOST_TEST(job.scheduler.tally().waiting_commit == 2u);
  const job::Outcome outcome = job.scheduler.outcome();
  BOOST_TEST(outcome.exit_code == kExitInput);
  BOOST_TEST(outcome.text.find("2 finished runs could not be committed (disk full)") != std::string::npos,
             outcome.text);
  BOOST_TEST(outcome.text.find("4 of 4 runs missing") != std::string::npos, outcome.text);
}

BOOST_AUTO_TEST_CASE(a_report_on_a_run_the_rank_was_not_given_is_refused) {
  Job job(2, policy(2));
  BOOST_TEST_REQUIRE(job.scheduler.next_for(0).has_value());
  BOOST_CHECK_THROW((void)job.scheduler.on_report(report(Report::finished, "r0", 1), job.now), Error);
}

}  // namespace
