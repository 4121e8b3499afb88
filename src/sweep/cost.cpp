// The cost model behind `khsweep plan`: it sizes allocations, so it is calibrated on the trainer as
// it is, from `khsweep bench` (which prints the model's figure beside each measurement).
#include "khsweep/sweep/cost.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "khsweep/core/error.hpp"
#include "khsweep/train/result.hpp"

namespace khsweep::sweep {
namespace {

// Pixels and classes of the data the constants were measured on (MNIST).
constexpr double kPixels = 784;
constexpr double kClasses = 10;

// An RBM epoch, in seconds per 60 000 MNIST images on one core, each cost linear in the hidden
// units M: one pass (h given the data, the gradient) plus k Gibbs steps, plus the KH rule's step
// on the epochs it is on. Fitted to `khsweep bench` on an AMD EPYC (Zen 5) core, float, M = 100
// and 500, k = 1 and 10 (docs/sweep-files.md, *Cost estimate*, has the figures); the cRBM's label
// units add too little to fit. The images are MNIST-sized (28 x 28), as every named dataset is.
struct Linear {
  double base, per_hidden;
  [[nodiscard]] double at(double hidden) const { return base + per_hidden * hidden; }
};
constexpr double kCalibrationImages = 60000;
constexpr Linear kPass{0.0335, 0.001124};
constexpr Linear kGibbsStep{0.111, 0.000561};
constexpr Linear kTopDownStep{0.104, 0.000612};
constexpr Linear kBottomUpStep{0.080, 0.000400};
// One evaluation of the metrics, per 70 000 images (60 000 training + 10 000 validation): the
// reconstruction error, cross entropy and pseudo-likelihood; for a cRBM also the exact p(y|x).
constexpr double kCalibrationMetricImages = 70000;
constexpr Linear kReconstructionMetrics{0.150, 0.00110};
constexpr Linear kClassificationMetrics{0.162, 0.00178};

// KH-bio (model kh_bio), measured with `khsweep run` on one idle core in float (Intel Xeon,
// 2026-12-04): M = 2000, p = 3, 60 000 MNIST images take 3.9-4.1 s per unsupervised epoch (M = 500:
// 0.95 s); a readout epoch (features of 60 000 images for the readout, then its metrics on 70 000)
// takes 5.7 s at M = 2000 and 1.3 s at M = 500, about 0.65 of an unsupervised epoch per image.
constexpr double kKhBioEpochSeconds = 3.95 / (60000.0 * 2000.0 * kPixels);
constexpr double kKhBioReadoutFactor = 0.65;
// The MHC (model mhc), the same machine: 10 000 images x 100 Euler steps take 52 s per epoch (one
// presentation each, Eq. 3 on every weight; 4000 images x 50 steps: 9.9 s); its metrics (train,
// validation, noisy validation) 13.5 s per 30 000 images at 100 steps (12 000 at 50: 2.7 s).
constexpr double kMhcStepSeconds = 52.0 / (10000.0 * 100.0 * kPixels * kClasses);
constexpr double kMhcMetricStepSeconds = 13.5 / (30000.0 * 100.0 * kPixels * kClasses);

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

EpochSeconds estimate_rbm_epoch(const train::RunConfig& c, std::size_t train_samples, std::size_t validation_samples,
                                bool kh_on) {
  const bool classifies = c.task == train::Task::classification;
  const double hidden = c.hidden;
  double per_image = kPass.at(hidden) + c.gibbs_steps * kGibbsStep.at(hidden);
  if (kh_on) per_image += (c.kh == model::KhVariant::bottom_up ? kBottomUpStep : kTopDownStep).at(hidden);
  EpochSeconds e;
  e.training = per_image * static_cast<double>(train_samples) / kCalibrationImages;
  const std::size_t metric_train = c.train_metric_samples > 0 ? std::min(c.train_metric_samples, train_samples)
                                                              : train_samples;
  const Linear& metrics = classifies ? kClassificationMetrics : kReconstructionMetrics;
  e.evaluation = metrics.at(hidden) * static_cast<double>(metric_train + validation_samples) /
                 kCalibrationMetricImages;
  return e;
}

std::optional<double> rbm_run_seconds(const train::RunConfig& c, std::size_t train_samples,
                                      std::size_t validation_samples, const RbmEpochCost& epoch) {
  const std::optional<EpochSeconds> plain = epoch(c, train_samples, validation_samples, false);
  // KH is on for the first min(S, epochs) epochs (eps is 0 from S on).
  const int kh_epochs = c.kh == model::KhVariant::none ? 0 : std::min(c.anneal_epochs(), c.epochs);
  const std::optional<EpochSeconds> kh =
      kh_epochs > 0 ? epoch(c, train_samples, validation_samples, true) : plain;
  if (!plain || !kh) return std::nullopt;
  // Metrics run every metrics_every epochs and always after the last.
  const int evaluations = c.epochs / c.metrics_every + (c.epochs % c.metrics_every != 0 ? 1 : 0);
  return kh->training * kh_epochs + plain->training * (c.epochs - kh_epochs) + plain->evaluation * evaluations;
}

double estimate_seconds(const train::RunParams& params, std::size_t train_samples, std::size_t validation_samples) {
  const train::RunConfig& c = params.config;
  if (c.model == train::Model::kh_bio) return kh_bio_seconds(c, train_samples, validation_samples);
  if (c.model == train::Model::mhc) return mhc_seconds(c, train_samples, validation_samples);
  return *rbm_run_seconds(c, train_samples, validation_samples,
                          [](const train::RunConfig& config, std::size_t train, std::size_t validation, bool kh_on) {
                            return std::optional<EpochSeconds>(estimate_rbm_epoch(config, train, validation, kh_on));
                          });
}


// The memory model: what src/train and src/model allocate for a run, sized from its parameters.
// The peak RSS of `khsweep train` on MNIST subsets (tests/sweep/cost_test.cpp lists the figures)
// lies within 5% of estimate_bytes + data_bytes for RBM runs of 100 MiB and more, within 10% for
// KH-bio with few hidden units per batch image (20% over with large batches); small runs are dominated by the process itself and the loading of the data files.
namespace {

// What a process holds before any run (the binary and its libraries: HDF5, MPI): measured 12.7 MiB.
constexpr double kProcessBytes = 13.0 * (1 << 20);
// Sets of on units (model::ActiveSets) keep room for the most ones a batch has had: images are
// mostly off, a chain's samples start half on.
constexpr double kOnFraction = 0.5;
constexpr double kIndexBytes = 4;  // an int per on unit

// Bytes of a lane-padded row (model::Rows) of n values: rows are padded to whole 64-byte lanes.
double padded_row(double n, double value_bytes) { return std::ceil(n * value_bytes / 64.0) * 64.0; }

// The estimate split by the parameter that drives each part, so a refusal can say what to lower.
struct MemoryParts {
  double weights = 0;  // grows with hidden
  double batch = 0;    // grows with batch_size
  double samples = 0;  // grows with the training set (the shuffled order)
  double curves = 0;   // grows with the epochs (one record per epoch, kept twice: state and result)
  [[nodiscard]] double total() const { return kProcessBytes + weights + batch + samples + curves; }
};

MemoryParts rbm_memory(const train::RunConfig& c, const DataShape& data) {
  const double r = c.precision == train::Precision::f32 ? 4 : 8;
  const double P = static_cast<double>(data.pixels);
  const double V = P + (c.task == train::Task::classification ? data.classes : 0);
  const double M = c.hidden, B = c.batch_size;
  MemoryParts m;
  // The published W and the working W and W^T (trainer.cpp).
  const double working = V * padded_row(M, r) + M * padded_row(V, r);
  m.weights = V * M * r + working;
  // At the end the result's double W and the receptive-field overlap's unit vectors; at each
  // evaluation the metrics' own W and W^T (metrics.cpp): the larger of the two at once.
  m.weights += std::max(working, V * M * 8 + P * M * 8);
  if (c.kh != model::KhVariant::none) {  // the KH workspace (kh.cpp): ds and the applied change, per touched unit
    const bool top_down = c.kh == model::KhVariant::top_down;
    const double units = top_down ? V : M, fan_in = top_down ? M : V;
    m.weights += 2 * std::min(units, 2 * B) * padded_row(fan_in, r);
    if (c.kh_power != 2.0) m.weights += fan_in * padded_row(units, r);  // sign(w)|w|^(p-1)
  }
  // h_data, h_model, h_scratch (B x M); the PCD chain; the on units of the data's and the model's
  // visible samples, of their transposes, and of the hidden samples (twice with KH top-down).
  m.batch = 3 * B * padded_row(M, r) + (c.persistent ? B * M * r : 0) +
            kOnFraction * kIndexBytes * (4 * B * V + (c.kh == model::KhVariant::top_down ? 2 : 1) * B * M);
  m.samples = static_cast<double>(data.train_samples) * 4;
  m.curves = 2.0 * c.epochs * sizeof(train::EpochRecord);
  return m;
}

MemoryParts kh_bio_memory(const train::RunConfig& c, const DataShape& data) {
  const double r = c.precision == train::Precision::f32 ? 4 : 8;
  const double P = static_cast<double>(data.pixels), V = P + data.classes;
  const double M = c.hidden, B = c.batch_size;
  MemoryParts m;
  // W, then the largest of: an unsupervised epoch's synapses and their transpose, sign(w)|w|^(p-1)
  // when p != 2, the updated copy and the KH workspace (kh_bio_learner.cpp, kh.cpp); a readout
  // epoch's copy of the synapses; the result's double W.
  const double unsupervised = M * padded_row(P, r) + P * padded_row(M, r) + (c.kh_power != 2.0 ? P * padded_row(M, r) : 0) +
                              P * M * r + 2 * std::min(M, 2 * B) * padded_row(P, r);
  m.weights = V * M * r + std::max({unsupervised, P * M * r, V * M * 8});
  // The batch's on pixels, then the readout's features (a batch's, or 1000 images' when scoring).
  // They are not held at the same time as the unsupervised epoch's copies, but the allocator keeps
  // much of what those freed: measured peaks of large runs need both.
  m.batch = kOnFraction * kIndexBytes * B * P + std::max(B, 1000.0) * M * r + B * P;
  m.samples = static_cast<double>(data.train_samples) * 8;
  m.curves = 2.0 * c.total_epochs() * sizeof(train::EpochRecord);
  return m;
}

MemoryParts mhc_memory(const train::RunConfig& c, const DataShape& data) {
  MemoryParts m;  // W is pixels x classes doubles: small; kept, copied for the result
  m.weights = 2.0 * static_cast<double>(data.pixels) * data.classes * 8;
  m.samples = static_cast<double>(data.train_samples) * 8;
  m.curves = 2.0 * c.epochs * sizeof(train::EpochRecord);
  return m;
}

MemoryParts memory_parts(const train::RunParams& params, const DataShape& data) {
  const train::RunConfig& c = params.config;
  if (c.model == train::Model::kh_bio) return kh_bio_memory(c, data);
  if (c.model == train::Model::mhc) return mhc_memory(c, data);
  return rbm_memory(c, data);
}

// "8G" -> 8 * 2^30; nullopt-like -1 when the text is not a size.
double parse_size(std::string_view text) {
  double scale = 1;
  if (!text.empty()) {
    switch (std::toupper(static_cast<unsigned char>(text.back()))) {
      case 'K': scale = 1024.0; break;
      case 'M': scale = 1024.0 * 1024; break;
      case 'G': scale = 1024.0 * 1024 * 1024; break;
      case 'T': scale = 1024.0 * 1024 * 1024 * 1024; break;
      default: break;
    }
    if (scale != 1) text.remove_suffix(1);
  }
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string_view::npos) return -1;
  char* end = nullptr;
  const std::string number(text);
  const double value = std::strtod(number.c_str(), &end);
  return *end == '\0' && value > 0 ? value * scale : -1;
}

}  // namespace

DataShape shape_of(const data::DataSplitFacts& facts) {
  return {facts.train.count, facts.validation.count, facts.train.dim, facts.train.classes};
}

double estimate_bytes(const train::RunParams& params, const DataShape& data) { return memory_parts(params, data).total(); }

double data_bytes(const DataShape& data) {
  // One byte per pixel and one per label (data::Dataset), twice: loading holds the file's bytes
  // and the binarised set at once.
  return 2.0 * static_cast<double>(data.train_samples + data.validation_samples) * static_cast<double>(data.pixels + 1);
}

namespace {

// The limit of this process's memory cgroup in bytes, or -1 when it has none (or none readable):
// cgroup v2's memory.max, or v1's memory.limit_in_bytes, of the group /proc/self/cgroup names.
double cgroup_memory_limit() {
  std::ifstream groups("/proc/self/cgroup");
  std::string line, file;
  while (std::getline(groups, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1), group = line.substr(second + 1);
    if (controllers.empty() && line.compare(0, first, "0") == 0) {
      file = "/sys/fs/cgroup" + group + "/memory.max";
      break;
    }
    std::istringstream list(controllers);
    for (std::string name; std::getline(list, name, ',');)
      if (name == "memory") file = "/sys/fs/cgroup/memory" + group + "/memory.limit_in_bytes";
  }
  std::ifstream in(file);
  std::string value;
  if (file.empty() || !(in >> value) || value == "max") return -1;
  char* end = nullptr;
  const double bytes = std::strtod(value.c_str(), &end);
  return end != value.c_str() && bytes > 0 ? bytes : -1;
}

}  // namespace

MemoryLimit memory_limit() {
  if (const char* cap = std::getenv("KHSWEEP_MEMORY"); cap != nullptr && *cap != '\0') {
    const double bytes = parse_size(cap);
    if (bytes < 0)
      throw error_at("KHSWEEP_MEMORY", std::string("expected a size in bytes, optionally with a K, M, G or T suffix (8G), got '") +
                                           cap + "'");
    return {bytes, MemoryLimit::Source::environment};
  }
  // Read once per process: a sweep checks every run against it.
  static const MemoryLimit machine = [] {
    const double physical = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
    // cgroup v1 says "no limit" with a huge number: only a limit below the machine's counts.
    if (const double group = cgroup_memory_limit(); group > 0 && group < physical)
      return MemoryLimit{group, MemoryLimit::Source::cgroup};
    return MemoryLimit{physical, MemoryLimit::Source::machine};
  }();
  return machine;
}

std::string MemoryLimit::describe() const {
  switch (source) {
    case Source::environment: return "the " + bytes_text(bytes) + " KHSWEEP_MEMORY allows";
    case Source::cgroup: return "the " + bytes_text(bytes) + " this process's memory cgroup allows";
    case Source::machine: break;
  }
  return "this machine's " + bytes_text(bytes);
}

std::string bytes_text(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof text, unit == 0 || bytes >= 100 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

void check_fits_in_memory(const std::string& who, const train::RunParams& params, const DataShape& data,
                          int at_once) {
  const MemoryParts parts = memory_parts(params, data);
  const double run = parts.total(), shared = data_bytes(data), need = at_once * run + shared;
  const MemoryLimit limit = memory_limit();
  if (need <= limit.bytes) return;
  // The parameter behind the largest part, with its value.
  const train::RunConfig& c = params.config;
  std::string lower = "hidden (now " + std::to_string(c.hidden) + ")";
  double largest = c.model == train::Model::mhc ? 0 : parts.weights;
  if (parts.batch > largest) {
    largest = parts.batch;
    lower = "batch_size (now " + std::to_string(c.batch_size) + ")";
  }
  if (parts.curves > largest) {
    largest = parts.curves;
    lower = "epochs (now " + std::to_string(c.epochs) + ")";
  }
  if (parts.samples + shared > largest) lower = "train_subset (now " + std::to_string(data.train_samples) + " samples)";
  const std::string runs = at_once == 1 ? bytes_text(run) + " for the run"
                                         : std::to_string(at_once) + " ranks on one node x " + bytes_text(run) +
                                               " for a run like it";
  throw error_at(who, "needs about " + bytes_text(need) + " of memory (" + runs + ", " + bytes_text(shared) +
                          " for its data), more than " + limit.describe() + "; lower " + lower +
                          (at_once > 1 ? ", or start fewer ranks per node" : ""));
}

void check_fits_in_memory(const Sweep& sweep, const PlannedRun& run, const DataShape& data, int at_once) {
  const std::string arm = run.arm.empty() ? "" : " (arm " + run.arm + ")";
  check_fits_in_memory(sweep.path + ": run #" + std::to_string(run.index) + arm, run.params, data, at_once);
}

}  // namespace khsweep::sweep
