#pragma once
// Whether a store's index /runs and its run groups /run/<id> agree. Every committed run has one
// /runs row; a completed or diverged run also has its /run/<id> group, a failed run has none.
// Damage done outside khsweep (an edit by hand, a tool that copied part of the file) can break
// that; a sweep on such a store would retrain runs it cannot commit. Two depths:
//   ids_out_of_step:  cheap, on every open (the ids and statuses of /runs against the names
//                     under /run; no group is read)
//   inspect:          `khsweep check`: every group read, every row checked, and what
//                     `khsweep check --repair` does about each problem (sweep_store.hpp)
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "khsweep/store/h5.hpp"
#include "khsweep/store/index.hpp"
#include "khsweep/store/run_layout.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::store {

// The ids, sorted, whose /runs rows and /run groups disagree: a completed or diverged run's row
// without its group, a failed run's row with a group, a group without a row, an id in several rows.
[[nodiscard]] std::vector<std::string> ids_out_of_step(const h5::File& file);
// The same, for /runs rows the caller has read already (their id and status columns at least).
[[nodiscard]] std::vector<std::string> ids_out_of_step(const h5::File& file, const std::vector<IndexRow>& rows);

// Throws khsweep::Error if ids_out_of_step finds any: one line naming the store, how many ids,
// the first few, and the fix (`khsweep check --repair`).
void check_index_matches_groups(const h5::File& file, const std::filesystem::path& path);
void check_index_matches_groups(const h5::File& file, const std::filesystem::path& path,
                                const std::vector<IndexRow>& rows);

// What `khsweep check` finds in a store, and what a repair leaves: the groups are the results and
// the index follows them. A group that reads whole (read_run) keeps one row that agrees with it,
// or gets one rebuilt from it; a group that does not read is removed; a row that needs a group
// and has no usable one is removed (the next `khsweep run` retrains its run); a failed run keeps
// one row; a row naming a job not under /jobs is given the repair's job.
struct Inspection {
  std::vector<StoreProblem> problems;          // in id order; store-wide ones (id "") first
  std::vector<IndexRow> kept_rows;             // the /runs rows that stay, in table order
  std::map<std::string, RunRecord> rebuilt;    // id -> its group, whose row is rebuilt from it
  std::vector<std::string> removed_groups;     // ids of the /run/<id> groups to unlink
};
[[nodiscard]] Inspection inspect(const h5::File& file);

}  // namespace khsweep::store
