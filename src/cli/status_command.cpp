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
#include "khsweep/core/text_file.hpp"
#include "khsweep/runner/signals.hpp"
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

// One run in training, as the live job's progress file lists it.
struct RunInFlight {
  std::string id, host, metric;
  int rank = 0, epoch = 0, total_epochs = 0;
  double value = 0;
};

// The live job's "<store>.progress": its counts as key -> value, and its runs in flight.
struct Progress {
  std::map<std::string, std::string> values;
  std::vector<RunInFlight> runs;
  [[nodiscard]] bool empty() const { return values.empty(); }
  [[nodiscard]] std::string get(const std::string& key) const {
    const auto it = values.find(key);
    return it == values.end() ? "?" : it->second;
  }
};

Progress read_progress(const std::string& store) {
  Progress progress;
  std::string text;
  try {
    text = read_text_file(store::progress_file(store), "progress file");
  } catch (const Error&) {  // no live job, or not one that left a file to read: nothing to show
    return progress;
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream in(line);
    std::string key;
    if (!(in >> key)) continue;
    if (key == "run") {
      RunInFlight run;
      if (in >> run.id >> run.rank >> run.host >> run.epoch >> run.total_epochs >> run.metric >> run.value)
        progress.runs.push_back(run);
      continue;
    }
    std::string value;
    std::getline(in >> std::ws, value);
    progress.values[key] = value;
  }
  return progress;
}

double number(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  return end != text.c_str() ? value : -1;
}

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

  const std::string holder = store::lock_holder(path);
  live = !holder.empty();
  if (!live) {
    out << "  no sweep is running on it\n";
    return out.str();
  }
  const Progress progress = read_progress(path);
  out << "  running: khsweep run (" << holder << ")\n";
  if (progress.empty()) return out.str();
  const double total = number(progress.get("total")), done = number(progress.get("done"));
  const double waiting = number(progress.get("waiting_commit"));
  out << "  sweep " << progress.get("sweep") << " on " << progress.get("ranks") << " ranks: planned "
      << progress.get("total") << ", committed " << progress.get("done") << " (" << progress.get("failed")
      << " failed, " << progress.get("diverged") << " diverged), in flight " << progress.runs.size()
      << ", waiting to commit " << progress.get("waiting_commit") << ", not started "
      << (total >= 0 && done >= 0 && waiting >= 0
              ? std::to_string(static_cast<long>(total - done - waiting) - static_cast<long>(progress.runs.size()))
              : "?")
      << "\n";
  const double eta = number(progress.get("eta_seconds"));
  out << "  elapsed " << hms(number(progress.get("elapsed_seconds"))) << ", ETA "
      << (eta >= 0 ? hms(eta) : "not yet known (no run has finished)") << "\n";
  if (!progress.runs.empty()) {
    std::vector<std::vector<std::string>> rows = {{"in flight", "rank", "host", "epoch", "latest validation"}};
    for (const RunInFlight& run : progress.runs) {
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
