// Krotov-Hopfield "biological" learning (PNAS 2019) as a run: `epochs` unsupervised epochs of the
// ranking rule on the hidden layer, then `readout_epochs` supervised epochs of the readout on the
// frozen layer, each followed by its train/validation accuracy.
//
// State mapping (so checkpoints reuse TrainerState): params.W is (pixels + classes) x hidden, its
// pixel rows the hidden units' synapses and its label rows the readout S, as in a cRBM's layout;
// params.a and b are zero (the rule has no biases); chain holds the readout's Adam moments (first
// moments in the top `classes` rows, second in the bottom ones), empty before the readout starts.
#include <numeric>

#include "khsweep/model/kh_bio.hpp"
#include "learners.hpp"
#include "state_learner.hpp"

namespace khsweep::train {
namespace {

template <class Real>
class KhBioLearner final : public StateLearner<Real> {
  using Base = StateLearner<Real>;
  using Base::state_;

 public:
  KhBioLearner(const RunConfig& c, const data::Dataset& train, const data::Dataset& validation)
      : Base(c.total_epochs()), config_(c), train_(&train), validation_(&validation) {
    require_valid(c);
    if (train.count == 0) throw Error("invalid run configuration: the training set is empty");
    if (validation.dim != train.dim) throw Error("invalid run configuration: training and validation images differ in size");
    auto& p = state_.params;
    p.layout = {static_cast<int>(train.dim), train.classes, c.hidden};
    // The published code starts from N(0, 1) synapses; the readout starts at 0.
    Rng init(derive_seed(c.seed, stream::init));
    p.W.setZero(p.layout.visible(), p.layout.hidden);
    for (int i = 0; i < p.layout.pixels; ++i)
      for (int j = 0; j < p.layout.hidden; ++j) p.W(i, j) = static_cast<Real>(init.normal());
    p.a.setZero(p.layout.visible());
    p.b.setZero(p.layout.hidden);
    state_.rng = Rng(derive_seed(c.seed, stream::train)).state();
    order_.resize(train.count);
  }

  using Learner::run_epoch;
  const EpochRecord* run_epoch(const BatchObserver& on_batch) override {
    if (this->done()) throw Error("run_epoch: the run has already finished");
    EpochRecord record;
    record.epoch = state_.epoch;
    const auto start = std::chrono::steady_clock::now();
    Rng rng(0);
    rng.set_state(state_.rng);  // the stream as the epoch began: a paused epoch draws the same order again
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    shuffle(order_.data(), order_.size(), rng);

    if (state_.epoch < config_.epochs) {
      record.kh_epsilon = model::kh_bio_epsilon(config_.kh_eps0, state_.epoch, config_.anneal_epochs());
      if (!unsupervised_epoch(record.kh_epsilon, on_batch)) return this->paused(start);
      record.train_seconds = this->training_seconds(start);
    } else {
      if (!readout_epoch(on_batch)) return this->paused(start);
      record.train_seconds = this->training_seconds(start);
      const auto metric_start = std::chrono::steady_clock::now();
      record.train.accuracy = accuracy(*train_, metric_samples(*train_, config_.train_metric_samples));
      record.validation.accuracy = accuracy(*validation_, validation_->count);
      record.evaluated = true;
      record.metric_seconds = Base::seconds_since(metric_start);
    }
    state_.rng = rng.state();
    return &this->finish_epoch(record);
  }

 private:
  [[nodiscard]] int pixels() const { return state_.params.layout.pixels; }
  [[nodiscard]] int classes() const { return state_.params.layout.classes; }
  [[nodiscard]] int batches_per_epoch() const override {
    return static_cast<int>((train_->count + config_.batch_size - 1) / config_.batch_size);
  }

  // The rest of the epoch's minibatches from state_.batch on; false when on_batch paused it.
  bool unsupervised_epoch(double eps, const BatchObserver& on_batch) {
    if (eps == 0.0) return true;
    auto& W = state_.params.W;
    // kh_step takes the hidden units' weight vectors as rows: the transpose of W's pixel rows.
    auto synapses_t = model::Rows<Real>::from(model::Matrix<Real>(W.topRows(pixels())));
    model::Rows<Real> synapses;
    synapses_t.transpose_into(synapses);
    const auto publish = [&] {
      model::Matrix<Real> updated;
      synapses_t.copy_to(updated);
      W.topRows(pixels()) = updated;
    };
    const model::KhSettings settings = config_.kh_settings();
    const std::size_t n = train_->count;
    const int batches = batches_per_epoch();
    for (int batch = state_.batch; batch < batches; ++batch) {
      const std::size_t first = static_cast<std::size_t>(batch) * static_cast<std::size_t>(config_.batch_size);
      const std::size_t last = std::min(n, first + static_cast<std::size_t>(config_.batch_size));
      batch_.clear();
      for (std::size_t s = first; s < last; ++s)
        batch_.close_sample(data::indices_of_ones(train_->row(order_[s]), pixels(), batch_.room(pixels())));
      model::kh_step(synapses, synapses_t, batch_, eps, settings, work_);
      if (this->pause_after(batch, batches, on_batch)) {
        publish();
        return false;
      }
    }
    publish();
    return true;
  }

  // The rest of the readout epoch's minibatches from state_.batch on; false when on_batch paused it.
  bool readout_epoch(const BatchObserver& on_batch) {
    auto& W = state_.params.W;
    const model::Matrix<Real> synapses_t = W.topRows(pixels());
    model::Matrix<Real> readout = W.bottomRows(classes());
    model::AdamMoments<Real> moments;
    if (state_.chain.size() != 0) {
      moments.first = state_.chain.topRows(classes());
      moments.second = state_.chain.bottomRows(classes());
    }
    const auto publish = [&] {
      W.bottomRows(classes()) = readout;
      state_.chain.resize(2 * classes(), W.cols());
      state_.chain.topRows(classes()) = moments.first;
      state_.chain.bottomRows(classes()) = moments.second;
    };
    const model::ReadoutSettings settings = readout_settings();
    const std::size_t n = train_->count;
    const int batches = batches_per_epoch();
    long step = static_cast<long>(state_.epoch - config_.epochs) * batches + state_.batch;
    std::vector<std::uint8_t> pixels_in_order, labels;
    model::Matrix<Real> features;
    for (int batch = state_.batch; batch < batches; ++batch) {
      const std::size_t first = static_cast<std::size_t>(batch) * static_cast<std::size_t>(config_.batch_size);
      const std::size_t last = std::min(n, first + static_cast<std::size_t>(config_.batch_size));
      pixels_in_order.clear();
      labels.clear();
      for (std::size_t s = first; s < last; ++s) {
        const std::uint8_t* x = train_->row(order_[s]);
        pixels_in_order.insert(pixels_in_order.end(), x, x + pixels());
        labels.push_back(train_->labels[order_[s]]);
      }
      model::readout_features(synapses_t, pixels_in_order.data(), static_cast<int>(last - first), pixels(),
                              settings.activation_power, features);
      model::readout_step(readout, moments, ++step, features, labels.data(), settings);
      if (this->pause_after(batch, batches, on_batch)) {
        publish();
        return false;
      }
    }
    publish();
    return true;
  }

  // Fraction of the first `count` samples whose largest readout output is their label.
  [[nodiscard]] double accuracy(const data::Dataset& set, std::size_t count) const {
    const auto& W = state_.params.W;
    const model::Matrix<Real> synapses_t = W.topRows(pixels());
    const model::Matrix<Real> readout = W.bottomRows(classes());
    constexpr std::size_t kChunk = 1000;
    std::size_t correct = 0;
    model::Matrix<Real> features, scores;
    for (std::size_t first = 0; first < count; first += kChunk) {
      const int rows = static_cast<int>(std::min(kChunk, count - first));
      model::readout_features(synapses_t, set.row(first), rows, pixels(), config_.readout_activation_power, features);
      model::readout_scores(readout, features, config_.readout_beta, scores);
      for (int s = 0; s < rows; ++s) {
        Eigen::Index best = 0;
        scores.row(s).maxCoeff(&best);
        if (best == set.labels[first + s]) ++correct;
      }
    }
    return count == 0 ? kNotMeasured : static_cast<double>(correct) / static_cast<double>(count);
  }

  [[nodiscard]] model::ReadoutSettings readout_settings() const {
    return {config_.readout_activation_power, config_.readout_loss_power, config_.readout_beta,
            config_.readout_learning_rate};
  }

  RunConfig config_;
  const data::Dataset* train_;
  const data::Dataset* validation_;
  std::vector<std::size_t> order_;
  model::ActiveSets batch_;
  model::KhWorkspace<Real> work_;
};

}  // namespace

std::unique_ptr<Learner> make_kh_bio_learner(const RunConfig& config, const data::Dataset& train,
                                             const data::Dataset& validation) {
  if (config.precision == Precision::f32) return std::make_unique<KhBioLearner<float>>(config, train, validation);
  return std::make_unique<KhBioLearner<double>>(config, train, validation);
}

}  // namespace khsweep::train
