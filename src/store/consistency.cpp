#include "khsweep/store/consistency.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "khsweep/core/error.hpp"

namespace khsweep::store {

namespace {

std::string id_of(const IndexRow& row) { return h5::get_fixed_string(row.id, sizeof row.id); }
std::string status_of(const IndexRow& row) { return h5::get_fixed_string(row.status, sizeof row.status); }

// The names under /run (none when /run itself is missing).
std::set<std::string> group_names(const h5::File& file) {
  if (!file.exists("run")) return {};
  const std::vector<std::string> names = file.open_group("run").child_names();
  return {names.begin(), names.end()};
}

// What one id has: its rows in /runs, and whether a group under /run.
struct IdState {
  std::vector<std::size_t> rows;  // positions in /runs
  bool has_group = false;
};

std::map<std::string, IdState> id_states(const std::vector<IndexRow>& rows, const std::set<std::string>& groups) {
  std::map<std::string, IdState> ids;
  for (std::size_t r = 0; r < rows.size(); ++r) ids[id_of(rows[r])].rows.push_back(r);
  for (const std::string& name : groups) ids[name].has_group = true;
  return ids;
}

std::string count_text(std::size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

std::vector<std::string> ids_out_of_step(const h5::File& file) {
  if (!file.exists("runs")) return {};  // not a store of ours: reported by whoever reads /runs
  std::vector<h5::Field> fields;  // only what decides whether a run needs its group
  for (const h5::Field& f : index_fields())
    if (f.name == "id" || f.name == "status") fields.push_back(f);
  return ids_out_of_step(file, file.read_table<IndexRow>("runs", fields));
}

std::vector<std::string> ids_out_of_step(const h5::File& file, const std::vector<IndexRow>& rows) {
  std::vector<std::string> out;
  for (const auto& [id, state] : id_states(rows, group_names(file))) {
    const bool needs_group = std::any_of(state.rows.begin(), state.rows.end(),
                                         [&](std::size_t r) { return status_of(rows[r]) != kFailed; });
    if (state.rows.size() != 1 || needs_group != state.has_group) out.push_back(id);
  }
  return out;
}

namespace {

void refuse_out_of_step(const std::vector<std::string>& ids, const std::filesystem::path& path) {
  if (ids.empty()) return;
  constexpr std::size_t kNamed = 3;
  std::string named;
  for (std::size_t i = 0; i < std::min(ids.size(), kNamed); ++i) named += (i == 0 ? "" : ", ") + ids[i];
  if (ids.size() > kNamed) named += " and " + std::to_string(ids.size() - kNamed) + " more";
  throw error_at(path.string(), "the index /runs and the run groups /run/<id> disagree on " +
                                    count_text(ids.size(), "run") + " (" + named +
                                    "), as an edit behind khsweep's back leaves them (`khsweep check " +
                                    path.string() + "` says how); run `khsweep check --repair " + path.string() + "`");
}

}  // namespace

void check_index_matches_groups(const h5::File& file, const std::filesystem::path& path) {
  refuse_out_of_step(ids_out_of_step(file), path);
}

void check_index_matches_groups(const h5::File& file, const std::filesystem::path& path,
                                const std::vector<IndexRow>& rows) {
  refuse_out_of_step(ids_out_of_step(file, rows), path);
}

Inspection inspect(const h5::File& file) {
  Inspection found;
  const auto problem = [&](const std::string& id, const std::string& what, const std::string& repair) {
    found.problems.push_back({id, what, repair});
  };
  std::vector<IndexRow> rows;
  try {
    rows = read_index_rows(file);
  } catch (const Error& e) {
    problem("", std::string("/runs is unreadable (") + e.what() + ")", "/runs rebuilt from the groups");
  }
  if (!file.exists("run")) problem("", "there is no /run group", "an empty /run created");
  const bool has_jobs = file.exists("jobs");
  std::set<std::size_t> kept;  // positions in /runs

  for (const auto& [id, state] : id_states(rows, group_names(file))) {
    const std::string group = "/run/" + id;
    std::optional<RunRecord> record;
    std::string unreadable;  // why the group does not read, if it does not
    if (state.has_group) {
      try {
        record = read_run(file.open_group("run/" + id));
      } catch (const Error& e) {
        unreadable = e.what();
      }
    }
    // The row to keep: the first that agrees with the group, or (without a usable group) the first
    // row of a failed run, which needs none.
    const std::string wanted = record ? train::to_string(record->result.status) : kFailed;
    const auto keep = std::find_if(state.rows.begin(), state.rows.end(),
                                   [&](std::size_t r) { return status_of(rows[r]) == wanted; });
    const std::string first_status = state.rows.empty() ? "" : status_of(rows[state.rows.front()]);

    if (record && state.rows.empty()) {
      problem(id, group + " has no /runs row", "its row rebuilt from the group");
    } else if (record && keep == state.rows.end()) {
      problem(id, "its /runs row says " + first_status + " but " + group + " holds a " + wanted + " run",
              "its row rebuilt from the group");
    } else if (!unreadable.empty()) {
      const bool retrain = std::any_of(state.rows.begin(), state.rows.end(),
                                       [&](std::size_t r) { return status_of(rows[r]) != kFailed; });
      problem(id, group + " is unreadable (" + unreadable + ")" + (state.rows.empty() ? " and has no /runs row" : ""),
              retrain ? "its row and group removed; the next `khsweep run` retrains the run" : "the group removed");
    } else if (!state.has_group && keep == state.rows.end()) {
      problem(id, "its /runs row (" + first_status + ") has no " + group + " group",
              "its row removed; the next `khsweep run` retrains the run");
    } else if (state.rows.size() > 1) {
      problem(id, "it is in " + std::to_string(state.rows.size()) + " rows of /runs", "all but one removed");
    } else if (has_jobs && !file.exists("jobs/" + std::to_string(rows[*keep].job))) {
      problem(id, "its /runs row names job " + std::to_string(rows[*keep].job) + ", which is not under /jobs",
              "the row given the repair's own job");
    }

    if (record && keep == state.rows.end()) found.rebuilt.emplace(id, std::move(*record));
    if (!unreadable.empty()) found.removed_groups.push_back(id);
    if (keep != state.rows.end()) kept.insert(*keep);
  }
  for (const std::size_t r : kept) found.kept_rows.push_back(rows[r]);  // in table order
  return found;
}

}  // namespace khsweep::store
