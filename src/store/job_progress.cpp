#include "khsweep/store/job_progress.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "khsweep/core/clock.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text_file.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::store {

std::string JobProgress::get(const std::string& key) const {
  const auto it = values.find(key);
  return it == values.end() ? "?" : it->second;
}

double JobProgress::number(const std::string& key) const {
  const auto it = values.find(key);
  if (it == values.end()) return -1;
  char* end = nullptr;
  const double value = std::strtod(it->second.c_str(), &end);
  return end != it->second.c_str() ? value : -1;
}

std::string format_progress(const JobProgress& progress) {
  std::ostringstream out;
  for (const auto& [key, value] : progress.values) out << key << " " << value << "\n";
  out.precision(6);
  for (const RunInFlight& run : progress.runs)
    out << "run " << run.id << " " << run.rank << " " << (run.host.empty() ? "?" : run.host) << " " << run.epoch
        << " " << run.total_epochs << " " << (run.metric.empty() ? "-" : run.metric) << " " << run.value << "\n";
  return out.str();
}

JobProgress parse_progress(const std::string& text) {
  JobProgress progress;
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

JobProgress read_progress_file(const std::filesystem::path& store) {
  try {
    return parse_progress(read_text_file(progress_file(store), "progress file"));
  } catch (const Error&) {  // no job has written one, or not one that can be read: nothing to show
    return {};
  }
}

bool progress_looks_live(const JobProgress& progress, double& age_seconds) {
  age_seconds = -1;
  const double written = progress.number("written_at");
  if (written < 0) return false;
  age_seconds = std::max(0.0, unix_seconds_now() - written);
  if (progress.get("state") != "running") return false;
  const double patience = std::max(60.0, 3 * progress.number("refresh_seconds"));
  return age_seconds <= patience;
}

JobSight look_for_job(const std::filesystem::path& store) {
  JobSight sight;
  const LockSight lock = look_at_lock(store);
  sight.progress = read_progress_file(store);
  const bool seems_live = progress_looks_live(sight.progress, sight.progress_age_seconds);
  if (lock.state == LockSight::State::held) {
    sight.live = true;
    sight.who = lock.holder;
  } else if (lock.state == LockSight::State::unknown) {
    sight.certain = false;
    sight.live = seems_live;
    if (seems_live) sight.who = "pid " + sight.progress.get("pid") + " on host " + sight.progress.get("host");
  }
  return sight;
}

}  // namespace khsweep::store
