#pragma once
#include "khsweep/train/result.hpp"

namespace khsweep::train {

// The per-run numbers a sweep's index table holds and the paper reports: final and best values of
// the validation curves (over evaluated epochs), the receptive-field overlap and timings.
// NaN where a value was never measured (e.g. accuracy of a plain RBM).
struct RunSummary {
  int epochs_trained = 0;
  double final_val_mse = kNotMeasured;
  double min_val_mse = kNotMeasured;
  double final_val_cross_entropy = kNotMeasured;
  double min_val_cross_entropy = kNotMeasured;
  double final_val_pll = kNotMeasured;
  double final_val_accuracy = kNotMeasured;
  double max_val_accuracy = kNotMeasured;       // Table I's number
  int max_val_accuracy_epoch = -1;
  double final_train_mse = kNotMeasured;
  double final_train_accuracy = kNotMeasured;
  double receptive_field_overlap = kNotMeasured;
  double train_seconds_per_epoch = kNotMeasured;   // Table I's T(s): the training phase only
  double metric_seconds_per_evaluation = kNotMeasured;
  double total_seconds = 0.0;
};

[[nodiscard]] RunSummary summarize(const RunResult& result);

}  // namespace khsweep::train
