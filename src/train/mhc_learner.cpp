// The Modern Hopfield classifier (Joshi et al. 2023) as a run: every epoch presents each training
// image once (Eq. 3 with v clamped), with eta_epoch = eta / (epoch + 1) and beta_epoch = beta / 2^(epoch + 1),
// then measures train and validation accuracy, and validation accuracy with Gaussian input noise.
//
// State mapping (so checkpoints reuse TrainerState): params.W is pixels x classes (feature units x
// one hidden unit per class); a and b are empty-sized zero vectors (the model has no biases).
#include <cmath>
#include <numeric>

#include "khsweep/model/mhc.hpp"
#include "learners.hpp"
#include "state_learner.hpp"

namespace khsweep::train {
namespace {

constexpr double kInitialHiddenScale = 0.01;  // "small random values" for h at every presentation

class MhcLearner final : public StateLearner<double> {
 public:
  MhcLearner(const RunConfig& c, const data::Dataset& train, const data::Dataset& validation)
      : StateLearner<double>(c.total_epochs()), config_(c), train_(&train), validation_(&validation) {
    require_valid(c);
    if (train.count == 0) throw Error("invalid run configuration: the training set is empty");
    if (validation.dim != train.dim) throw Error("invalid run configuration: training and validation images differ in size");
    auto& p = state_.params;
    p.layout = {static_cast<int>(train.dim), 0, train.classes};
    Rng init(derive_seed(c.seed, stream::init));
    const double scale = 1.0 / std::sqrt(static_cast<double>(train.dim));  // N(0, 1/N), small random weights
    p.W.resize(p.layout.visible(), p.layout.hidden);
    for (Eigen::Index i = 0; i < p.W.size(); ++i) p.W.data()[i] = scale * init.normal();
    p.a.setZero(p.layout.visible());
    p.b.setZero(p.layout.hidden);
    state_.rng = Rng(derive_seed(c.seed, stream::train)).state();
    // One mean and sd over every training pixel ("aggregate dataset statistics"), as MNIST is usually
    // normalised: a per-pixel sd would blow rare pixels up to hundreds.
    double ones = 0;
    const std::size_t values = train.count * train.dim;  // pixels(): `bits` is empty when shared per node
    for (std::size_t i = 0; i < values; ++i) ones += train.pixels()[i];
    mean_ = ones / static_cast<double>(values);
    sd_ = std::sqrt(mean_ * (1.0 - mean_));
    if (!(sd_ > 0)) throw Error("invalid run configuration: the training images are constant; mhc standardises them");
    order_.resize(train.count);
  }

  using Learner::run_epoch;
  const EpochRecord* run_epoch(const BatchObserver& on_batch) override {  // each sample is a "minibatch"
    if (done()) throw Error("run_epoch: the run has already finished");
    EpochRecord record;
    record.epoch = state_.epoch;
    const model::MhcSettings settings = settings_at(state_.epoch);
    record.kh_epsilon = settings.learning_rate;  // the epoch's step size, as the RBM's curves record eps

    const auto start = std::chrono::steady_clock::now();
    Rng rng(0);
    rng.set_state(state_.rng);  // the stream as the epoch began: a paused epoch replays its draws
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    shuffle(order_.data(), order_.size(), rng);
    const auto hidden_start = [&](model::Vector<double>& hidden) {
      for (Eigen::Index j = 0; j < hidden.size(); ++j) hidden(j) = kInitialHiddenScale * rng.normal();
    };
    std::vector<double> input(train_->dim);
    model::Vector<double> hidden(state_.params.layout.hidden);
    for (int presented = 0; presented < state_.batch; ++presented) hidden_start(hidden);
    const int samples = batches_per_epoch();
    for (int sample = state_.batch; sample < samples; ++sample) {
      const std::size_t s = order_[static_cast<std::size_t>(sample)];
      standardise(train_->row(s), input.data());
      hidden_start(hidden);
      model::mhc_train_sample(state_.params.W, input.data(), train_->labels[s], hidden, settings);
      if (pause_after(sample, samples, on_batch)) return paused(start);
    }
    state_.rng = rng.state();
    record.train_seconds = training_seconds(start);

    const auto metric_start = std::chrono::steady_clock::now();
    Rng metric_rng(derive_seed(config_.seed, stream::metrics, static_cast<std::uint64_t>(record.epoch)));
    record.train.accuracy = accuracy(*train_, metric_samples(*train_, config_.train_metric_samples), 0.0, settings, metric_rng);
    record.validation.accuracy = accuracy(*validation_, validation_->count, 0.0, settings, metric_rng);
    record.validation.noisy_accuracy = accuracy(*validation_, validation_->count, config_.noise, settings, metric_rng);
    record.evaluated = true;
    record.metric_seconds = seconds_since(metric_start);
    return &finish_epoch(record);
  }

 private:
  [[nodiscard]] int batches_per_epoch() const override { return static_cast<int>(train_->count); }

  [[nodiscard]] model::MhcSettings settings_at(int epoch) const {
    model::MhcSettings s;
    s.beta = config_.mhc_beta / std::ldexp(1.0, epoch + 1);
    s.learning_rate = config_.mhc_learning_rate / (epoch + 1);
    s.steps = config_.euler_steps;
    s.dt = config_.euler_dt;
    return s;
  }

  void standardise(const std::uint8_t* bits, double* out) const {
    for (std::size_t i = 0; i < train_->dim; ++i) out[i] = (bits[i] - mean_) / sd_;
  }

  // Fraction of the first `count` samples classified right, with N(0, noise^2) added to each input.
  double accuracy(const data::Dataset& set, std::size_t count, double noise, const model::MhcSettings& settings,
                  Rng& rng) const {
    std::vector<double> input(set.dim);
    model::Vector<double> hidden(state_.params.layout.hidden);
    std::size_t correct = 0;
    for (std::size_t s = 0; s < count; ++s) {
      standardise(set.row(s), input.data());
      if (noise > 0)
        for (double& x : input) x += noise * rng.normal();
      for (Eigen::Index j = 0; j < hidden.size(); ++j) hidden(j) = kInitialHiddenScale * rng.normal();
      if (model::mhc_classify(state_.params.W, input.data(), hidden, settings) == set.labels[s]) ++correct;
    }
    return count == 0 ? kNotMeasured : static_cast<double>(correct) / static_cast<double>(count);
  }

  RunConfig config_;
  const data::Dataset* train_;
  const data::Dataset* validation_;
  double mean_ = 0, sd_ = 1;
  std::vector<std::size_t> order_;
};

}  // namespace

std::unique_ptr<Learner> make_mhc_learner(const RunConfig& config, const data::Dataset& train,
                                          const data::Dataset& validation) {
  return std::make_unique<MhcLearner>(config, train, validation);
}

}  // namespace khsweep::train
