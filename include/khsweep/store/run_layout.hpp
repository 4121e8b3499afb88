#pragma once
// One run as HDF5 objects under a group: the root of a run file (run_file.hpp), or /run/<id> in
// a sweep store. The same code writes both, so h5py reads a run the same way wherever it is:
//   config/   attributes, one per model parameter of the table (train/run_params.hpp), named as in sweep files
//   summary/  attributes status, reason, epochs_trained, receptive_field_overlap, total_seconds
//   curves    compound table, one row per trained epoch (docs/run-file.md lists the columns)
//   params/   W (visible x hidden, row-major), a, b; attributes pixels, classes, hidden
#include <cstdint>
#include <string>
#include <vector>

#include "khsweep/store/h5.hpp"
#include "khsweep/train/config.hpp"
#include "khsweep/train/result.hpp"

namespace khsweep::store {

// One row of a run's /curves table, flat so HDF5 can copy it as a compound.
struct CurveRow {
  std::int32_t epoch;
  double kh_epsilon;
  double train_seconds;
  double metric_seconds;
  std::int8_t evaluated;
  double train_mse;
  double train_cross_entropy;
  double train_pll;
  double train_accuracy;
  double val_mse;
  double val_cross_entropy;
  double val_pll;
  double val_accuracy;
  double train_noisy_accuracy;
  double val_noisy_accuracy;
};

// The columns of /curves in file order (this list's order, not the struct's).
[[nodiscard]] const std::vector<h5::Field>& curve_fields();

// One epoch's row of /curves.
[[nodiscard]] CurveRow curve_row(const train::EpochRecord& record);

// "<version>+<git describe>": the code version recorded in every file khsweep writes.
[[nodiscard]] std::string code_version();

// Empty when W, a and b match the params' layout; else what is wrong.
[[nodiscard]] std::string shape_problem(const model::Params<double>& params);

// Writes config, summary, curves and params under `where`. W, a and b are float32 when
// weights_precision is f32 (exact for weights trained in float), else float64.
void write_run(h5::Location& where, const train::RunConfig& config, const train::RunResult& result,
               train::Precision weights_precision);

struct RunRecord {
  train::RunConfig config;
  train::RunResult result;
};

// Reads what write_run wrote; throws khsweep::Error naming the file and object on any mismatch.
[[nodiscard]] RunRecord read_run(const h5::Location& where);

}  // namespace khsweep::store
