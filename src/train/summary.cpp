#include "khsweep/train/summary.hpp"

#include <cmath>

namespace khsweep::train {

namespace {
// min/max that skip NaN, so an unmeasured epoch never becomes the best one.
void keep_min(double& best, double value) {
  if (!std::isnan(value) && (std::isnan(best) || value < best)) best = value;
}
}  // namespace

RunSummary summarize(const RunResult& result) {
  RunSummary s;
  s.epochs_trained = static_cast<int>(result.curves.size());
  s.receptive_field_overlap = result.receptive_field_overlap;
  s.total_seconds = result.total_seconds;
  double train_seconds = 0.0, metric_seconds = 0.0;
  int evaluations = 0;
  for (const EpochRecord& e : result.curves) {
    train_seconds += e.train_seconds;
    if (!e.evaluated) continue;
    ++evaluations;
    metric_seconds += e.metric_seconds;
    s.final_val_mse = e.validation.mse;
    s.final_val_cross_entropy = e.validation.cross_entropy;
    s.final_val_pll = e.validation.pseudo_log_likelihood;
    s.final_val_accuracy = e.validation.accuracy;
    s.final_train_mse = e.train.mse;
    s.final_train_accuracy = e.train.accuracy;
    keep_min(s.min_val_mse, e.validation.mse);
    keep_min(s.min_val_cross_entropy, e.validation.cross_entropy);
    if (!std::isnan(e.validation.accuracy) &&
        (std::isnan(s.max_val_accuracy) || e.validation.accuracy > s.max_val_accuracy)) {
      s.max_val_accuracy = e.validation.accuracy;
      s.max_val_accuracy_epoch = e.epoch;
    }
  }
  if (s.epochs_trained > 0) s.train_seconds_per_epoch = train_seconds / s.epochs_trained;
  if (evaluations > 0) s.metric_seconds_per_evaluation = metric_seconds / evaluations;
  return s;
}

}  // namespace khsweep::train
