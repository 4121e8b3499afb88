#pragma once
// Seed aggregates of a store: per configuration group (every configuration column but the seed),
// n / mean / sd / se of the run summaries and per-epoch mean / se of the learning curves; their
// write-back as /aggregates (docs/store.md, "Aggregates"); Table I pivots; the best KH
// hyperparameters per setting.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "khsweep/results/groups.hpp"
#include "khsweep/results/stats.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/index.hpp"

namespace khsweep::results {

// The summary metrics aggregated per group, in table order: /runs columns, and one derived from
// them, kAccuracyGap.
[[nodiscard]] const std::vector<std::string>& summary_metrics();
// Overfitting, per run: final training accuracy minus final validation accuracy (the training
// accuracy on the train_metric_samples images it was measured on).
inline constexpr const char* kAccuracyGap = "final_accuracy_gap";
// A run's value of a summary metric (NaN where not measured).
[[nodiscard]] double summary_value(const store::IndexTable& table, const std::string& metric, std::size_t row);
// The /run/<id>/curves columns aggregated per group and epoch, in table order.
[[nodiscard]] const std::vector<std::string>& aggregated_curve_metrics();

// How a metric is shown: value * scale with `decimals` decimals and its unit ("%" for accuracies).
struct MetricDisplay {
  double scale = 1.0;
  int decimals = 4;
  std::string unit;
};
[[nodiscard]] MetricDisplay metric_display(const std::string& metric);
// True for metrics where smaller is better (mse, cross entropy, overlap, seconds); false for
// accuracy and pseudo-log-likelihood.
[[nodiscard]] bool lower_is_better(const std::string& metric);
// mean(se) in the paper's notation for the metric: "96.5(1)" for an accuracy of 0.9654 +- 0.0012.
[[nodiscard]] std::string format_stats(const std::string& metric, const Stats& stats);

// One epoch of a group's curves: `n` runs reached it; per curve metric (aggregated_curve_metrics() order)
// the statistics over those runs' non-NaN values.
struct CurvePoint {
  int epoch = 0;
  int n = 0;
  std::vector<Stats> metrics;
};

struct GroupAggregate {
  std::string key;                       // "hidden=100 kh=top_down ..." over the label columns
  // The group's value of each of Aggregate::setting_columns: text for text columns, else the number.
  std::vector<std::string> setting_text;
  std::vector<double> setting_number;
  std::vector<std::size_t> rows;         // index rows, in table order
  std::vector<std::string> ids;          // their run ids
  std::vector<Stats> summary;            // summary_metrics() order
  std::vector<CurvePoint> curves;        // ascending epochs; empty when curves were not read
  int diverged = 0;                      // diverged runs of the configuration: left out of `rows`, or
                                         // in it when diverged runs were included
};

struct Aggregate {
  std::vector<std::string> label_columns;   // varying_columns of the summarised rows
  // Every configuration column (configuration_columns()), each a column of /aggregates/groups so
  // that pandas selects groups by their parameters; setting_is_text[i] says which are text.
  std::vector<std::string> setting_columns;
  std::vector<bool> setting_is_text;
  std::vector<GroupAggregate> groups;       // in order of first appearance in /runs
  std::size_t store_runs = 0;               // rows of /runs when it was read
  std::size_t summarised_runs = 0;
  std::string ids_hash;                     // sha256 of the summarised ids, sorted, one per line
  bool include_diverged = false;            // diverged runs are in the statistics (else left out)
  int diverged_left_out = 0;                // diverged runs not summarised, in all groups
  int configurations_all_diverged = 0;      // configurations with no other run: not in `groups`
  [[nodiscard]] const GroupAggregate* find(const std::string& key) const;
};

// Groups `rows` and computes the summary statistics over their completed runs (and diverged ones
// when `include_diverged`; otherwise those are counted per group and in total, never summarised);
// with `store`, also the per-epoch curve statistics from /run/<id>/curves.
[[nodiscard]] Aggregate aggregate_runs(const store::IndexTable& table, const std::vector<std::size_t>& rows,
                                       const h5::File* store, bool include_diverged = false);

// "2 diverged runs left out (...); --include-diverged counts them", or "" when none were.
[[nodiscard]] std::string diverged_note(const Aggregate& aggregate);

// Replaces /aggregates of `root` with `aggregate`: deterministic, so writing the same aggregate
// twice leaves identical objects. `where` (the filter used, "" for all runs) is recorded.
void write_aggregates(h5::Location& root, const Aggregate& aggregate, const std::string& where);

// The compound layouts of /aggregates/groups and /aggregates/curves/<i> as written for `aggregate`:
// its text columns (the key and the text settings) as wide as their longest value, at least 16 bytes.
struct TableLayout {
  std::vector<h5::Field> fields;
  std::size_t row_size = 0;
};
[[nodiscard]] TableLayout groups_layout(const Aggregate& aggregate);
[[nodiscard]] TableLayout curves_layout();

// Writes `aggregate` into the store in one store::Transaction, waiting while the file is busy.
void store_aggregates(const std::filesystem::path& path, const Aggregate& aggregate, const std::string& where,
                      double patience_seconds);


// ---- Table I pivots ----

struct Pivot {
  std::vector<std::string> row_columns, column_columns;
  std::vector<std::vector<std::string>> row_values, column_values;  // sorted combinations
  // cells[r][c]: the group shown, or -1 where no group has runs with a measured value.
  std::vector<std::vector<int>> cells;
  int crowded_cells = 0;                   // cells where several groups fell: the best is shown
  std::vector<std::string> other_columns;  // varying columns neither rows nor columns name
};

// Lays the groups out by the values of `rows` x `columns` (canonical /runs column names). Where a
// cell holds several groups, the one with the best mean of `metric` is shown.
[[nodiscard]] Pivot pivot(const store::IndexTable& table, const Aggregate& aggregate,
                          const std::vector<std::string>& rows, const std::vector<std::string>& columns,
                          const std::string& metric);

// ---- best KH hyperparameters ----

struct BestChoice {
  std::vector<std::string> setting;   // values of the --by columns, in their order
  int best = -1;                      // group index of the best KH group
  int baseline = -1;                  // the kh=none group of the same setting, or -1
  int candidates = 0;                 // KH groups compared
};

// kh and the KH settings a baseline leaves unset (kh_setting_columns): what a KH group and its
// baseline may differ in.
[[nodiscard]] const std::vector<std::string>& kh_parameter_columns();
// kh and the tuned KH settings (kh, eps0, delta, S): what `best` reports for each setting.
[[nodiscard]] const std::vector<std::string>& kh_choice_columns();
// Default --by: configuration_columns() without the tuned KH settings (kh_tuned_columns).
[[nodiscard]] std::vector<std::string> default_best_by();

// For each combination of the `by` columns among KH groups (kh != none), the group with the best
// mean `metric` (lower_is_better decides; ties: first in table order; groups with n = 0 skipped),
// with the baseline group that agrees on every `by` column except KH ones. Settings in order of
// first appearance.
[[nodiscard]] std::vector<BestChoice> best_choices(const store::IndexTable& table, const Aggregate& aggregate,
                                                   const std::vector<std::string>& by, const std::string& metric);

}  // namespace khsweep::results
