#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "khsweep/model/kh.hpp"
#include "khsweep/model/rbm.hpp"

namespace khsweep::train {

enum class Task { reconstruction, classification };  // plain RBM, or cRBM with label units
enum class Precision { f32, f64 };

// Everything that determines one training run apart from its data. The defaults are the paper's
// (SPEC section 6): eta 0.1, B = 100, CD-1, l = 1, p = 2.
struct RunConfig {
  Task task = Task::reconstruction;
  int hidden = 100;                 // M
  int gibbs_steps = 1;              // k of CD-k / PCD-k
  bool persistent = false;          // PCD: the chain continues from a hidden state kept across batches
  model::Init init = model::Init::lecun;
  double learning_rate = 0.1;       // eta
  int batch_size = 100;             // B
  int epochs = 10;
  std::uint64_t seed = 1;
  model::LabelSampling label_sampling = model::LabelSampling::sample;
  Precision precision = Precision::f32;

  model::KhVariant kh = model::KhVariant::none;
  double kh_eps0 = 0.0;
  double kh_delta = 0.4;
  int kh_anneal_epochs = 0;         // S; 0 means "the number of epochs", as the published code ties them
  int kh_rank = 1;                  // l
  double kh_power = 2.0;            // p
  double kh_radius = 0.0;           // R; 0 means "tied to init": 1 for std, 0.1 for lecun

  int metrics_every = 1;            // evaluate metrics every n epochs (always on the last)
  std::size_t train_metric_samples = 0;  // 0: all training samples; else the first n

  [[nodiscard]] int anneal_epochs() const { return kh_anneal_epochs > 0 ? kh_anneal_epochs : epochs; }
  [[nodiscard]] double radius() const;
  [[nodiscard]] model::KhSettings kh_settings() const;
};

// Every problem with a config's values, one message each ("hidden: must be >= 1, got 0").
// The CLI reports them all at once; the trainer refuses a config that has any.
[[nodiscard]] std::vector<std::string> validate(const RunConfig& config);

// Names used in files and on the command line.
[[nodiscard]] const char* to_string(Task);
[[nodiscard]] const char* to_string(Precision);
[[nodiscard]] const char* to_string(model::Init);
[[nodiscard]] const char* to_string(model::KhVariant);
[[nodiscard]] const char* to_string(model::LabelSampling);

}  // namespace khsweep::train
