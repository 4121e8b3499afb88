#pragma once
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "khsweep/model/rbm.hpp"

namespace khsweep::train {

inline constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();

// Metrics of one data set at one epoch (docs/algorithms.md section 6). Reconstruction values are per image
// pixel (Eq. 11, and Eq. 12 divided by N); accuracy is a fraction in [0, 1], NaN for a plain RBM.
struct SetMetrics {
  double mse = kNotMeasured;            // (1/N) sum_i (v_i - v'_i)^2, averaged over samples
  double cross_entropy = kNotMeasured;  // nats per pixel, with p(v'=1|h)
  double pseudo_log_likelihood = kNotMeasured;  // nats per image (N * log sigmoid(F(flip) - F(v)))
  double accuracy = kNotMeasured;
  double noisy_accuracy = kNotMeasured;  // accuracy with Gaussian input noise (the MHC's robustness test)
};

// One row of a run's learning curves.
struct EpochRecord {
  int epoch = 0;                  // counts from 0
  double kh_epsilon = 0.0;        // the KH step size used in this epoch
  double train_seconds = 0.0;     // wall time of the training phase
  double metric_seconds = 0.0;    // wall time of the metric phase (0 when not evaluated)
  bool evaluated = false;         // metrics are computed every metrics_every epochs and on the last
  SetMetrics train;
  SetMetrics validation;
};

enum class RunStatus { completed, diverged };

[[nodiscard]] const char* to_string(RunStatus);

// What a finished (or diverged) run produced. Weights are widened to double, exactly.
struct RunResult {
  RunStatus status = RunStatus::completed;
  std::string reason;                 // why it diverged; empty when completed
  std::vector<EpochRecord> curves;    // one record per trained epoch
  model::Params<double> params;       // the final W, a, b
  double receptive_field_overlap = kNotMeasured;
  double total_seconds = 0.0;
};

}  // namespace khsweep::train
