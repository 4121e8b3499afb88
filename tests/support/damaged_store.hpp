#pragma once
// Damage done to a sweep store behind khsweep's back (by hand, or by a tool that edits HDF5
// files): each leaves the index /runs and the run groups /run/<id> out of step. Straight through
// the h5 wrapper, not a store::Transaction, as such a tool would.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "khsweep/store/h5.hpp"
#include "khsweep/store/index.hpp"
#include "khsweep/store/run_layout.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::testing {

// Unlinks `object` ("run/<id>", "run/<id>/summary", ...) from the store.
inline void remove_from_store(const std::filesystem::path& store, const std::string& object) {
  h5::File file = h5::File::open_read_write(store);
  file.remove(object);
  file.close();
}

// Removes run `id`'s row from /runs, leaving its /run/<id> group behind.
inline void drop_index_row(const std::filesystem::path& store, const std::string& id) {
  h5::File file = h5::File::open_read_write(store);
  std::vector<store::IndexRow> rows = store::read_index_rows(file);
  rows.erase(std::remove_if(rows.begin(), rows.end(),
                            [&](const store::IndexRow& row) { return h5::get_fixed_string(row.id, sizeof row.id) == id; }),
             rows.end());
  store::rewrite_index(file, rows);
  file.close();
}

// Adds /run/<id> for `run` without a /runs row.
inline void add_group_without_row(const std::filesystem::path& store, const store::CommittedRun& run) {
  h5::File file = h5::File::open_read_write(store);
  {
    h5::Group g = file.create_group("run/" + run.id);
    store::write_run(g, run.params.config, run.result, run.params.config.weights_precision());
  }
  file.close();
}

}  // namespace khsweep::testing
