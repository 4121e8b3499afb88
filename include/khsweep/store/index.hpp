#pragma once
// The sweep store's index table /runs: one row per committed run. IndexRow is its exact on-disk
// row; read_index gives the whole table as named, typed columns for queries and aggregates.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "khsweep/store/h5.hpp"
#include "khsweep/train/run_params.hpp"

namespace khsweep::store {

// Room for the parameter columns of an IndexRow; index_fields() checks that the table fits.
inline constexpr std::size_t kParameterBytes = 1024;

// One row of /runs. Fixed-size fields so the table is a plain compound h5py and pandas read as-is;
// strings are NUL-padded bytes (decode in pandas with .str.decode("utf-8")).
struct IndexRow {
  char id[16];
  char status[10];
  char sweep[48];
  char arm[32];
  // The run parameters: one column per row of the parameter table (train/run_params.hpp), the
  // model's in table order, then the data selection's, holding train::column_value (S and R as used, not 0; NaN / 0 / "" where the run does not
  // read the parameter). index_fields() lays them out in these bytes; parameter_cell reads one.
  unsigned char parameters[kParameterBytes];
  char train_checksum[64];
  char validation_checksum[64];
  std::uint64_t train_samples;
  std::uint64_t validation_samples;
  // summary (train::RunSummary)
  std::int32_t epochs_trained;
  double final_val_mse;
  double min_val_mse;
  double final_val_cross_entropy;
  double min_val_cross_entropy;
  double final_val_pll;
  double final_val_accuracy;
  double max_val_accuracy;
  std::int32_t max_val_accuracy_epoch;
  double final_train_mse;
  double final_train_accuracy;
  double receptive_field_overlap;
  double train_seconds_per_epoch;
  double metric_seconds_per_evaluation;
  double total_seconds;
  // where and when
  char reason[160];
  char host[64];
  std::int32_t rank;
  std::int8_t resumed;
  std::int32_t job;
  char committed_at[20];
};

// The columns of /runs in file order (the order h5py and pandas show).
[[nodiscard]] const std::vector<h5::Field>& index_fields();

// Writes every parameter column of `row` from `params` (train::column_value of each table row).
void set_parameters(IndexRow& row, const train::RunParams& params);

// Writes one parameter column; a path longer than its column is cut, ending in "...".
void set_parameter_cell(IndexRow& row, const train::ParamSpec& spec, const train::StoredValue& value);

// One parameter column of `row`, by its table row.
[[nodiscard]] train::StoredValue parameter_cell(const IndexRow& row, const train::ParamSpec& spec);

// Every row of /runs. A store written before a parameter existed lacks its column: its rows come
// back with what a default RBM run stores there ("rbm" for `model`, NaN / 0 for other kinds' settings).
[[nodiscard]] std::vector<IndexRow> read_index_rows(const h5::File& file);

// Whether /runs has every column of index_fields(); if not, the next sweep rewrites it (sweep_store.cpp).
[[nodiscard]] bool index_is_current(const h5::File& file);

// Replaces /runs (or creates it) by `rows`, in the current layout. Stores call it inside a
// store::Transaction: a new store, the layout upgrade, a retried run, a repair.
void rewrite_index(h5::File& file, const std::vector<IndexRow>& rows);

// One column of the index: text for string fields, numbers (NaN where unmeasured) for the rest.
struct IndexColumn {
  std::string name;
  bool is_text = false;
  std::vector<std::string> text;
  std::vector<double> numbers;
};

// The whole /runs table as columns, in file order; every column has `rows` entries.
struct IndexTable {
  std::size_t rows = 0;
  std::vector<IndexColumn> columns;
  // The column called `name`, or nullptr.
  [[nodiscard]] const IndexColumn* find(const std::string& name) const;
  // The column called `name`; throws khsweep::Error ("the index has no 'name' column") if absent.
  [[nodiscard]] const IndexColumn& column(const std::string& name) const;
};

// Reads /runs of an open store file.
[[nodiscard]] IndexTable read_index(const h5::File& file);

}  // namespace khsweep::store
