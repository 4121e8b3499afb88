// `khsweep status STORE [--watch [SECONDS]]`: a read-only look at a store, safe beside a running
// sweep: what it holds and, while a sweep runs on it, that job's progress run by run.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/runner/signals.hpp"
#include "khsweep/store/job_progress.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::cli {

namespace {

const char* kStatusUsage =
    "usage: khsweep status STORE.h5 [--watch [SECONDS]]\n"
    "  What a store holds (runs by status and by sweep/arm, failed runs with their reasons) and, while a\n"
    "  sweep runs on it, that job's progress: planned, committed, in flight (each run's epoch and latest\n"
    "  validation metric), waiting to commit, failed, diverged, and the ETA. Read-only: safe beside a\n"
    "  running sweep.\n"
    "  --watch [SECONDS]  show it again every SECONDS (default 2), in place on a terminal, until the\n"
    "                     sweep ends or Ctrl-C\n";

// The whole report, as text, so --watch can redraw it at once. Throws khsweep::Error for a store
// that cannot be read.
std::string status_text(const std::string& path, bool& live) {
  const store::StoreOverview overview = store::read_overview(path);
  std::map<std::string, int> by_status;
  std::map<std::string, int> by_arm;
  double seconds = 0;
  for (const auto& run : overview.runs) {
    ++by_status[run.status];
    // A row rebuilt by `khsweep check --repair` knows no sweep: its group does not hold one.
    ++by_arm[(run.sweep.empty() ? "(sweep unknown)" : run.sweep) + (run.arm.empty() ? "" : "/" + run.arm)];
    seconds += run.total_seconds;
  }
  std::ostringstream out;
  out << "store " << path << " (created " << overview.created_at << ", " << overview.jobs << " job"
      << (overview.jobs == 1 ? "" : "s") << ")\n";
  out << "  " << overview.runs.size() << " runs committed:";
  for (const char* status : {store::kCompleted, store::kDiverged, store::kFailed})
    out << " " << by_status[status] << " " << status << (status == store::kFailed ? "" : ",");
  char hours[32];
  std::snprintf(hours, sizeof hours, "%.2f", seconds / 3600.0);
  out << "; " << hours << " core-hours of training\n";
  for (const auto& [arm, count] : by_arm) out << "    " << arm << ": " << count << "\n";
  for (const auto& run : overview.runs)
    if (run.status == store::kFailed) out << "  failed " << run.id << ": " << run.reason << "\n";

  const store::JobSight job = store::look_for_job(path);
  const store::JobProgress& progress = job.progress;
  const double age = job.progress_age_seconds;
  live = job.live;
  if (!live) {
    out << "  no sweep is running on it";
    if (!job.certain)
      out << " (as far as can be told without file locks: "
          << (age < 0 ? std::string("no job has left a progress file")
                      : "its last job wrote its progress " + hms(age) + " ago" +
                            (progress.get("state") == "ended" ? " and ended" : ", and nothing since"))
          << ")";
    out << "\n";
    return out.str();
  }
  if (job.certain)
    out << "  running: khsweep run (" << job.who << ")\n";
  else
    out << "  running, as far as can be told without file locks: khsweep run (" << job.who
        << ", progress written " << hms(age) << " ago)\n";
  if (progress.empty()) return out.str();
  const double total = progress.number("total"), done = progress.number("done");
  const double waiting = progress.number("waiting_commit");
  out << "  sweep " << progress.get("sweep") << " on " << progress.get("ranks") << " ranks: planned "
      << progress.get("total") << ", committed " << progress.get("done") << " (" << progress.get("failed")
      << " failed, " << progress.get("diverged") << " diverged), in flight " << progress.runs.size()
      << ", waiting to commit " << progress.get("waiting_commit") << ", not started "
      << (total >= 0 && done >= 0 && waiting >= 0
              ? std::to_string(static_cast<long>(total - done - waiting) - static_cast<long>(progress.runs.size()))
              : "?")
      << "\n";
  const double eta = progress.number("eta_seconds");
  out << "  elapsed " << hms(progress.number("elapsed_seconds")) << ", ETA "
      << (eta >= 0 ? hms(eta) : "not yet known (no run has finished)") << "\n";
  if (!progress.runs.empty()) {
    std::vector<std::vector<std::string>> rows = {{"in flight", "rank", "host", "epoch", "latest validation"}};
    for (const store::RunInFlight& run : progress.runs) {
      char value[64] = "-";
      if (run.metric != "-")
        std::snprintf(value, sizeof value, run.metric == "val_accuracy" ? "%s %.2f%%" : "%s %.5f", run.metric.c_str(),
                      run.metric == "val_accuracy" ? 100.0 * run.value : run.value);
      rows.push_back({run.id, std::to_string(run.rank), run.host,
                      std::to_string(run.epoch) + "/" + std::to_string(run.total_epochs), value});
    }
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& row : rows)
      for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    for (const auto& row : rows) {
      std::string line = "   ";
      for (std::size_t i = 0; i < row.size(); ++i)
        line += " " + row[i] + (i + 1 < row.size() ? std::string(width[i] - row[i].size(), ' ') : "");
      out << line << "\n";
    }
  }
  return out.str();
}

}  // namespace

int status_command(const std::vector<std::string>& args) {
  std::string path;
  double watch_seconds = 0;  // 0: once
  ArgReader in(args, "status");
  while (in.next()) {
    if (in.help()) {
      std::cout << kStatusUsage;
      return kExitOk;
    }
    if (in.positional()) {
      in.take_store(path);
    } else if (in.option() == "--watch") {
      watch_seconds = 2;
      if (const auto value = in.value_if_given()) {
        if (const auto seconds = in.positive_number(*value, "a number of seconds > 0")) watch_seconds = *seconds;
      }
    } else {
      in.unknown_option();
    }
  }
  if (path.empty()) in.problem("no STORE given");
  if (!in.problems().empty()) {
    print_problems("status", in.problems());
    std::cerr << kStatusUsage;
    return kExitUsage;
  }

  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  if (watch_seconds > 0) runner::install_stop_handlers();  // Ctrl-C ends the watch, not mid-line
  for (bool first = true;; first = false) {
    bool live = false;
    std::string text;
    try {
      text = status_text(path, live);
    } catch (const Error& e) {
      print_problem("status", e.what());
      return kExitInput;
    }
    if (watch_seconds > 0 && terminal) std::cout << "\033[H\033[2J";  // home, clear: redraw in place
    else if (!first) std::cout << "\n";
    std::cout << text << std::flush;
    if (watch_seconds <= 0 || !live) return kExitOk;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(watch_seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (runner::stop_signal() != 0) return kExitOk;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace khsweep::cli
