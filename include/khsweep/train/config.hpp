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
// Which learner a run trains: the (KH-modulated) RBM, Krotov-Hopfield "biological" learning with a
// supervised readout (PNAS 2019), or the Modern Hopfield classifier (Joshi et al. 2023).
enum class Model { rbm, kh_bio, mhc };

// Everything that determines one training run apart from its data. The defaults are the paper's
// (docs/algorithms.md section 9): eta 0.1, B = 100, CD-1, l = 1, p = 2.
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

  // Added after the RBM's fields so every RBM run reads as before. kh_bio also reads hidden,
  // batch_size, precision and the KH rule's eps0, delta, S, l, p, R; epochs are its unsupervised ones.
  Model model = Model::rbm;
  double readout_activation_power = 4.5;  // kh_bio: n of the hidden activation max(I, 0)^n
  double readout_loss_power = 6.0;        // kh_bio: m of the readout loss |c - t|^m
  double readout_beta = 1.0;              // kh_bio: gain of the readout's tanh outputs
  double readout_learning_rate = 0.01;    // kh_bio: Adam step size of the readout
  int readout_epochs = 10;                // kh_bio: supervised epochs after the unsupervised ones
  double mhc_learning_rate = 0.001;       // mhc: eta of Eq. 3; its exp(|W|) factor diverges at 0.002 on MNIST
  double mhc_beta = 16.0;                 // mhc: initial inverse temperature (halved every epoch)
  int euler_steps = 100;                  // mhc: Euler steps per presentation
  double euler_dt = 0.1;                  // mhc: Euler step in units of the time constant
  double noise = 4.0;                     // mhc: sd of the Gaussian noise of the noisy accuracy

  [[nodiscard]] int anneal_epochs() const { return kh_anneal_epochs > 0 ? kh_anneal_epochs : epochs; }
  [[nodiscard]] double radius() const;
  // Epochs a completed run has trained (rows of its curves): KH-bio adds its readout's epochs.
  [[nodiscard]] int total_epochs() const { return epochs + (model == Model::kh_bio ? readout_epochs : 0); }
  // The type the weights are trained and stored in: `precision`, except for the MHC, always double.
  [[nodiscard]] Precision weights_precision() const { return model == Model::mhc ? Precision::f64 : precision; }
  [[nodiscard]] model::KhSettings kh_settings() const;
};

// A problem with one parameter of a run (named as in the parameter table), or with none ("").
struct ParamProblem {
  std::string parameter;
  std::string reason;
  // "hidden: must be >= 1, got 0", or the reason alone.
  [[nodiscard]] std::string text() const { return parameter.empty() ? reason : parameter + ": " + reason; }
};

// Every problem with a config's values. The CLI reports them all at once, each at the place the
// parameter was set; the trainer refuses a config that has any.
[[nodiscard]] std::vector<ParamProblem> validate(const RunConfig& config);

// Names used in files and on the command line.
[[nodiscard]] const char* to_string(Task);
[[nodiscard]] const char* to_string(Precision);
[[nodiscard]] const char* to_string(model::Init);
[[nodiscard]] const char* to_string(model::KhVariant);
[[nodiscard]] const char* to_string(model::LabelSampling);
[[nodiscard]] const char* to_string(Model);

}  // namespace khsweep::train
