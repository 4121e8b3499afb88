#pragma once
// Grouping runs by configuration: "every parameter except the seed".
#include <cstddef>
#include <string>
#include <vector>

#include "khsweep/store/index.hpp"

namespace khsweep::results {

// The /runs columns that define a configuration: every run parameter and data column except the
// seed (and except per-run outcomes, timings and provenance). Two runs with equal values in all of
// them differ only by seed.
[[nodiscard]] const std::vector<std::string>& configuration_columns();

// The KH rule's settings (eps0, delta, S, l, p, R): NaN or 0 for a baseline (kh = none), which
// does not read them. The parameter table's kh_only rows.
[[nodiscard]] const std::vector<std::string>& kh_setting_columns();

// The KH settings the paper's grid search tunes (eps0, delta, S): what `best` picks per setting.
[[nodiscard]] const std::vector<std::string>& kh_tuned_columns();

// Of those, the ones whose value differs between the given rows: what tells groups apart.
[[nodiscard]] std::vector<std::string> varying_columns(const store::IndexTable& table,
                                                       const std::vector<std::size_t>& rows);

struct Group {
  std::string key;                 // "hidden=100 init=lecun kh=top_down ..." over the varying columns
  std::vector<std::size_t> rows;   // index rows of the group's runs, in table order
};

// The groups among `rows` (all rows when empty is not meant: pass them), ordered by first
// appearance in the table. `label_columns` chooses what the key shows (normally varying_columns).
[[nodiscard]] std::vector<Group> group_runs(const store::IndexTable& table, const std::vector<std::size_t>& rows,
                                            const std::vector<std::string>& label_columns);

// The completed rows among `rows`, and the diverged ones too when `include_diverged`: failed runs
// have no results, and a diverged run's numbers (its last values before NaN) are no result either
// unless the user asks for them.
[[nodiscard]] std::vector<std::size_t> summarised_rows(const store::IndexTable& table,
                                                       const std::vector<std::size_t>& rows, bool include_diverged);

// One cell as text: text columns as stored, numbers in the shortest form that round-trips
// ("0.01", "100", "nan").
[[nodiscard]] std::string cell_text(const store::IndexTable& table, const std::string& column, std::size_t row);

// Whether the run of `row` does not read the column's parameter: its cell is NaN or empty, or a KH
// setting of an RBM baseline (kh = none), which /runs holds as 0 for S and l. Tables show "-".
[[nodiscard]] bool unread_cell(const store::IndexTable& table, const std::string& column, std::size_t row);

// Of `columns`, those whose value differs between `rows` where it is read, in order; each other one
// goes to `same` as "name=value" (eps0 in a sweep of one eps0 against baselines). kh and model
// always count as differing when they are among `columns` and do.
[[nodiscard]] std::vector<std::string> distinguishing_columns(const store::IndexTable& table,
                                                              const std::vector<std::string>& columns,
                                                              const std::vector<std::size_t>& rows,
                                                              std::vector<std::string>& same);

}  // namespace khsweep::results
