// The cost model behind `khsweep plan`. Rough on purpose: it only has to rank runs and size a
// sweep. The benchmark (issue 10) will recalibrate kTrainSeconds and kMetricSeconds.
#include "khsweep/sweep/cost.hpp"

#include <algorithm>

namespace khsweep::sweep {
namespace {

// Pixels and classes of the data the constants were measured on (MNIST).
constexpr double kPixels = 784;
constexpr double kClasses = 10;

// Training, per epoch: a * samples * hidden * (pixels + classes) * (k + 1), times kKhFactor on
// the epochs with KH on (the first min(S, epochs): eps is 0 after S). Calibrated on one core:
// M = 100, CD-1, 60 000 MNIST images take 0.8 s per epoch, so a = 0.8 / (60 000 * 100 * 784 * 2).
constexpr double kTrainSeconds = 0.8 / (60000.0 * 100.0 * kPixels * 2.0);
constexpr double kKhFactor = 1.35;  // KH_TD adds about 35% to training; KH_BU is assumed alike

// Metrics, per evaluation: b * (train + validation samples) * hidden * (pixels + classes), times
// kClassificationMetricFactor for a cRBM (the label units are scored class by class). Measured:
// 60 000 + 10 000 images, M = 100: 1.2 s for reconstruction, about 3x that for classification.
constexpr double kMetricSeconds = 1.2 / (70000.0 * 100.0 * kPixels);
constexpr double kClassificationMetricFactor = 3.0;

// KH-bio (model kh_bio), measured on one core in float: M = 2000, p = 3, 60 000 MNIST images take
// about 7.3 s per unsupervised epoch; the readout's features cost about 0.45 of that per image
// (a readout epoch on 60 000 images plus its metrics on 70 000 took about 7 s).
constexpr double kKhBioEpochSeconds = 7.3 / (60000.0 * 2000.0 * kPixels);
constexpr double kKhBioReadoutFactor = 0.45;
// The MHC (model mhc): 2000 images x 100 Euler steps take 5.5 s per epoch (one presentation each,
// Eq. 3 on every weight); its metrics (train, validation, noisy validation) about 1.1 s per 4000 images.
constexpr double kMhcStepSeconds = 5.5 / (2000.0 * 100.0 * kPixels * kClasses);
constexpr double kMhcMetricStepSeconds = 1.1 / (4000.0 * 100.0 * kPixels * kClasses);

double kh_bio_seconds(const train::RunConfig& c, std::size_t train_samples, std::size_t validation_samples) {
  const double per_sample = kKhBioEpochSeconds * c.hidden * kPixels;
  const std::size_t metric_train = c.train_metric_samples > 0 ? std::min(c.train_metric_samples, train_samples)
                                                              : train_samples;
  const double unsupervised = per_sample * static_cast<double>(train_samples) * std::min(c.anneal_epochs(), c.epochs);
  const double readout = per_sample * static_cast<double>(train_samples + metric_train + validation_samples);
  return unsupervised + kKhBioReadoutFactor * readout * c.readout_epochs;
}

double mhc_seconds(const train::RunConfig& c, std::size_t train_samples, std::size_t validation_samples) {
  const double per_step = kPixels * kClasses * c.euler_steps;
  const std::size_t metric_train = c.train_metric_samples > 0 ? std::min(c.train_metric_samples, train_samples)
                                                              : train_samples;
  const double epoch = kMhcStepSeconds * per_step * static_cast<double>(train_samples) +
                       kMhcMetricStepSeconds * per_step * static_cast<double>(metric_train + 2 * validation_samples);
  return epoch * c.epochs;
}

}  // namespace

double estimate_seconds(const RunParams& params, std::size_t train_samples, std::size_t validation_samples) {
  const train::RunConfig& c = params.config;
  if (c.model == train::Model::kh_bio) return kh_bio_seconds(c, train_samples, validation_samples);
  if (c.model == train::Model::mhc) return mhc_seconds(c, train_samples, validation_samples);
  const bool classifies = c.task == train::Task::classification;
  const double units = static_cast<double>(c.hidden) * (kPixels + (classifies ? kClasses : 0.0));

  const double epoch = kTrainSeconds * static_cast<double>(train_samples) * units * (c.gibbs_steps + 1);
  const int kh_epochs = c.kh == model::KhVariant::none ? 0 : std::min(c.anneal_epochs(), c.epochs);
  const double training = epoch * (c.epochs + (kKhFactor - 1.0) * kh_epochs);

  // Metrics run every metrics_every epochs and always after the last.
  const int evaluations = c.epochs / c.metrics_every + (c.epochs % c.metrics_every != 0 ? 1 : 0);
  const std::size_t metric_train = c.train_metric_samples > 0 ? std::min(c.train_metric_samples, train_samples)
                                                              : train_samples;
  const double evaluation = kMetricSeconds * static_cast<double>(metric_train + validation_samples) * units *
                            (classifies ? kClassificationMetricFactor : 1.0);
  return training + evaluations * evaluation;
}

}  // namespace khsweep::sweep
