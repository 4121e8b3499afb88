// `khsweep status STORE`: a read-only look at a store, safe beside a running sweep.
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text_file.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::cli {

namespace {

// The live job's "<store>.progress" lines as key -> value.
std::map<std::string, std::string> read_progress(const std::string& store) {
  std::map<std::string, std::string> values;
  std::string text;
  try {
    text = read_text_file(store::progress_file(store), "progress file");
  } catch (const Error&) {  // no live job, or not one that left a file to read: nothing to show
    return values;
  }
  std::istringstream in(text);
  std::string key, value;
  while (in >> key && std::getline(in >> std::ws, value)) values[key] = value;
  return values;
}

const char* kStatusUsage =
    "usage: khsweep status STORE.h5\n"
    "  What a store holds (runs by status and by sweep/arm, failed runs with their reasons) and, while a\n"
    "  sweep runs on it, that job's progress. Read-only: safe beside a running sweep.\n";

}  // namespace

int status_command(const std::vector<std::string>& args) {
  std::string path;
  if (const auto stop = read_store_and_flags(args, "status", kStatusUsage, path)) return *stop;
  store::StoreOverview overview;
  try {
    overview = store::read_overview(path);
  } catch (const Error& e) {
    std::cerr << "khsweep status: " << e.what() << "\n";
    return kExitInput;
  }
  std::map<std::string, int> by_status;
  std::map<std::string, int> by_arm;
  double seconds = 0;
  for (const auto& run : overview.runs) {
    ++by_status[run.status];
    // A row rebuilt by `khsweep check --repair` knows no sweep: its group does not hold one.
    ++by_arm[(run.sweep.empty() ? "(sweep unknown)" : run.sweep) + (run.arm.empty() ? "" : "/" + run.arm)];
    seconds += run.total_seconds;
  }
  std::cout << "store " << path << " (created " << overview.created_at << ", " << overview.jobs << " job"
            << (overview.jobs == 1 ? "" : "s") << ")\n";
  std::cout << "  " << overview.runs.size() << " runs committed:";
  for (const char* status : {store::kCompleted, store::kDiverged, store::kFailed})
    std::cout << " " << by_status[status] << " " << status << (status == store::kFailed ? "" : ",");
  char hours[32];
  std::snprintf(hours, sizeof hours, "%.2f", seconds / 3600.0);
  std::cout << "; " << hours << " core-hours of training\n";
  for (const auto& [arm, count] : by_arm) std::cout << "    " << arm << ": " << count << "\n";
  for (const auto& run : overview.runs)
    if (run.status == store::kFailed) std::cout << "  failed " << run.id << ": " << run.reason << "\n";

  const std::string holder = store::lock_holder(path);
  if (holder.empty()) {
    std::cout << "  no sweep is running on it\n";
    return kExitOk;
  }
  auto progress = read_progress(path);
  std::cout << "  running: khsweep run (" << holder << ")";
  if (!progress.empty())
    std::cout << ": sweep " << progress["sweep"] << ", " << progress["done"] << "/" << progress["total"] << " done, "
              << progress["running"] << " running, " << progress["waiting_commit"] << " waiting to commit, ETA "
              << progress["eta_seconds"] << " s";
  std::cout << "\n";
  return kExitOk;
}

}  // namespace khsweep::cli
