#include "khsweep/train/trainer.hpp"

#include <chrono>
#include <numeric>
#include <string>

#include "khsweep/core/error.hpp"
#include "khsweep/model/math.hpp"
#include "khsweep/train/metrics.hpp"

namespace khsweep::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

template <class Real>
Real uniform(Rng& rng);
template <>
float uniform<float>(Rng& rng) {
  return rng.uniform_float();
}
template <>
double uniform<double>(Rng& rng) {
  return rng.uniform();
}

}  // namespace

// Visible and hidden states are 0/1, so every product with them is a sum of selected rows: of W
// for v -> h, of its transpose Wt for h -> v. Both layouts are kept, and batches are held as the
// indices of their ones (ActiveSets), so no dense product with a 0/1 matrix is ever formed.
template <class Real>
struct Trainer<Real>::Impl {
  using Matrix = model::Matrix<Real>;
  using Vector = model::Vector<Real>;

  RunConfig config;
  const data::Dataset* train = nullptr;
  const data::Dataset* validation = nullptr;
  model::Layout layout;
  TrainerState<Real> state;
  Matrix Wt;  // hidden x visible, always equal to state.params.W transposed

  // Buffers reused by every minibatch: nothing is allocated inside the batch loop.
  std::vector<std::uint32_t> order;
  model::ActiveSets v_data, v_model, h_sample, kh_input;
  Matrix h_data, h_model, h_scratch;  // B x M probabilities
  Vector visible_input;               // one sample's visible pre-activations
  Vector row_gradient;                // one row of the weight gradient
  std::vector<int> data_offset, data_samples, model_offset, model_samples, cursor;
  std::vector<double> label_weights;  // softmax numerators of one sample's label units
  model::KhWorkspace<Real> kh_work;

  Impl(const RunConfig& c, const data::Dataset& tr, const data::Dataset& va)
      : config(c), train(&tr), validation(&va) {
    std::vector<std::string> problems = validate(config);
    if (train->count == 0) problems.push_back("training set is empty");
    if (validation->dim != train->dim) problems.push_back("training and validation images differ in size");
    if (config.task == Task::classification && train->classes < 2) problems.push_back("classification needs labels");
    if (config.kh == model::KhVariant::top_down && config.kh_rank >= static_cast<int>(train->dim))
      problems.push_back("l: must be < the number of visible units");
    if (!problems.empty()) {
      std::string message = "invalid run configuration:";
      for (const auto& p : problems) message += "\n  " + p;
      throw Error(message);
    }
    layout.pixels = static_cast<int>(train->dim);
    layout.classes = config.task == Task::classification ? train->classes : 0;
    layout.hidden = config.hidden;

    Rng init_rng(derive_seed(config.seed, stream::init));
    state.params = model::init_params<Real>(layout, config.init, init_rng);
    state.rng = Rng(derive_seed(config.seed, stream::train)).state();
    Wt = state.params.W.transpose();

    const int batch = config.batch_size;
    h_data.resize(batch, layout.hidden);
    h_model.resize(batch, layout.hidden);
    h_scratch.resize(batch, layout.hidden);
    visible_input.resize(layout.visible());
    row_gradient.resize(layout.hidden);
    order.resize(train->count);
  }

  // The data batch as active sets: the image's on pixels, then the label unit for a cRBM.
  void load_batch(std::size_t first, int size) {
    v_data.clear();
    for (int s = 0; s < size; ++s) {
      const std::uint32_t sample = order[first + s];
      const std::uint8_t* pixels = train->row(sample);
      for (int i = 0; i < layout.pixels; ++i)
        if (pixels[i]) v_data.index.push_back(i);
      if (layout.classifies()) v_data.index.push_back(layout.pixels + train->labels[sample]);
      v_data.offset.push_back(static_cast<int>(v_data.index.size()));
    }
  }

  // out.row(s) = sigmoid(b + v_s W)
  void hidden_probabilities(const model::ActiveSets& v, Matrix& out) const {
    const auto& W = state.params.W;
    for (int s = 0; s < v.samples(); ++s) {
      auto row = out.row(s);
      row = state.params.b.transpose();
      for (int k = v.offset[s]; k < v.offset[s + 1]; ++k) row += W.row(v.index[k]);
      row = row.unaryExpr([](Real z) { return model::sigmoid(z); });
    }
  }

  void sample_hidden(const Matrix& probabilities, int samples, Rng& rng, model::ActiveSets& h) const {
    h.clear();
    for (int s = 0; s < samples; ++s) {
      for (int j = 0; j < layout.hidden; ++j)
        if (uniform<Real>(rng) < probabilities(s, j)) h.index.push_back(j);
      h.offset.push_back(static_cast<int>(h.index.size()));
    }
  }

  // v ~ p(v | h): Bernoulli image units; for a cRBM one label unit from the softmax of its inputs.
  void sample_visible(const model::ActiveSets& h, Rng& rng, model::ActiveSets& v) {
    v.clear();
    for (int s = 0; s < h.samples(); ++s) {
      visible_input = state.params.a;
      for (int k = h.offset[s]; k < h.offset[s + 1]; ++k) visible_input += Wt.row(h.index[k]).transpose();
      for (int i = 0; i < layout.pixels; ++i)
        if (uniform<Real>(rng) < model::sigmoid(visible_input[i])) v.index.push_back(i);
      if (layout.classifies()) v.index.push_back(layout.pixels + draw_label(rng));
      v.offset.push_back(static_cast<int>(v.index.size()));
    }
  }

  int draw_label(Rng& rng) {
    const Real* logits = visible_input.data() + layout.pixels;
    int best = 0;
    for (int y = 1; y < layout.classes; ++y)
      if (logits[y] > logits[best]) best = y;
    if (config.label_sampling == model::LabelSampling::argmax) return best;
    label_weights.resize(layout.classes);
    double total = 0.0;
    for (int y = 0; y < layout.classes; ++y)
      total += label_weights[y] = std::exp(static_cast<double>(logits[y] - logits[best]));
    double u = uniform<double>(rng) * total;
    for (int y = 0; y < layout.classes; ++y) {
      if (u < label_weights[y]) return y;
      u -= label_weights[y];
    }
    return layout.classes - 1;  // only reached through rounding in the running subtraction
  }

  // Krotov-Hopfield step (Eq. 6-9) before the CD update.
  void kh_step(double eps, Rng& rng) {
    auto& W = state.params.W;
    if (config.kh == model::KhVariant::top_down) {
      // x = h ~ p(h | v) under the current W; the visible units compete.
      hidden_probabilities(v_data, h_scratch);
      sample_hidden(h_scratch, v_data.samples(), rng, kh_input);
      model::kh_step(W, Wt, kh_input, eps, config.kh_settings(), kh_work);
    } else {
      // x = v, the data; the hidden units compete, their weight vectors are the rows of Wt.
      model::kh_step(Wt, W, v_data, eps, config.kh_settings(), kh_work);
    }
  }

  // Lists, for each visible unit, the samples of a batch in which it is on (a transpose of v).
  void by_visible_unit(const model::ActiveSets& v, std::vector<int>& offset, std::vector<int>& samples) {
    offset.assign(layout.visible() + 1, 0);
    for (int i : v.index) ++offset[i + 1];
    std::partial_sum(offset.begin(), offset.end(), offset.begin());
    samples.resize(v.index.size());
    cursor.assign(offset.begin(), offset.end() - 1);
    for (int s = 0; s < v.samples(); ++s)
      for (int k = v.offset[s]; k < v.offset[s + 1]; ++k) samples[cursor[v.index[k]]++] = s;
  }

  // CD-k / PCD-k (SPEC section 2) on the loaded batch.
  void cd_step(Rng& rng) {
    const int samples = v_data.samples();
    const int M = layout.hidden;
    hidden_probabilities(v_data, h_data);

    if (config.persistent) {
      if (state.chain.rows() == 0) {  // the chain starts from the first batch's hidden samples
        state.chain.setZero(config.batch_size, M);
        sample_hidden(h_data, samples, rng, h_sample);
        store_chain(samples);
      }
      h_sample.clear();
      for (int s = 0; s < samples; ++s) {
        for (int j = 0; j < M; ++j)
          if (state.chain(s, j) != 0) h_sample.index.push_back(j);
        h_sample.offset.push_back(static_cast<int>(h_sample.index.size()));
      }
    } else {
      sample_hidden(h_data, samples, rng, h_sample);
    }
    for (int step = 0; step < config.gibbs_steps; ++step) {
      sample_visible(h_sample, rng, v_model);
      if (step + 1 < config.gibbs_steps) {
        hidden_probabilities(v_model, h_scratch);
        sample_hidden(h_scratch, samples, rng, h_sample);
      }
    }
    hidden_probabilities(v_model, h_model);
    if (config.persistent) {
      sample_hidden(h_model, samples, rng, h_sample);
      store_chain(samples);
    }

    // W += eta/B (V^T H+ - Vk^T H-), row by row from the samples whose unit is on.
    const Real scale = static_cast<Real>(config.learning_rate / samples);
    auto& p = state.params;
    by_visible_unit(v_data, data_offset, data_samples);
    by_visible_unit(v_model, model_offset, model_samples);
    for (int i = 0; i < layout.visible(); ++i) {
      const int on_data = data_offset[i + 1] - data_offset[i];
      const int on_model = model_offset[i + 1] - model_offset[i];
      if (on_data == 0 && on_model == 0) continue;
      row_gradient.setZero();
      for (int k = data_offset[i]; k < data_offset[i + 1]; ++k) row_gradient += h_data.row(data_samples[k]).transpose();
      for (int k = model_offset[i]; k < model_offset[i + 1]; ++k)
        row_gradient -= h_model.row(model_samples[k]).transpose();
      p.W.row(i) += scale * row_gradient.transpose();
      p.a[i] += scale * static_cast<Real>(on_data - on_model);
    }
    row_gradient.setZero();
    for (int s = 0; s < samples; ++s) row_gradient += (h_data.row(s) - h_model.row(s)).transpose();
    p.b += scale * row_gradient;
    Wt = p.W.transpose();
  }

  void store_chain(int samples) {
    for (int s = 0; s < samples; ++s) {
      state.chain.row(s).setZero();
      for (int k = h_sample.offset[s]; k < h_sample.offset[s + 1]; ++k) state.chain(s, h_sample.index[k]) = 1;
    }
  }

  [[nodiscard]] bool weights_finite() const {
    return state.params.W.allFinite() && state.params.a.allFinite() && state.params.b.allFinite();
  }

  const EpochRecord& run_epoch(const BatchObserver& on_batch) {
    if (state.diverged || state.epoch >= config.epochs) throw Error("run_epoch: the run has already finished");
    EpochRecord record;
    record.epoch = state.epoch;
    record.kh_epsilon = config.kh == model::KhVariant::none
                            ? 0.0
                            : model::kh_epsilon(config.kh_eps0, state.epoch, config.anneal_epochs());

    const auto train_start = Clock::now();
    Rng rng(0);
    rng.set_state(state.rng);
    std::iota(order.begin(), order.end(), 0u);
    shuffle(order.data(), order.size(), rng);
    const std::size_t n = train->count;
    const int batches = static_cast<int>((n + config.batch_size - 1) / config.batch_size);
    for (int batch = 0; batch < batches; ++batch) {
      const std::size_t first = static_cast<std::size_t>(batch) * config.batch_size;
      load_batch(first, static_cast<int>(std::min<std::size_t>(config.batch_size, n - first)));
      if (record.kh_epsilon > 0) kh_step(record.kh_epsilon, rng);
      cd_step(rng);
      if (on_batch) on_batch(batch + 1, batches);
    }
    state.rng = rng.state();
    record.train_seconds = seconds_since(train_start);
    ++state.epoch;

    if (!weights_finite()) {
      state.diverged = true;
      state.reason = "weights became NaN or infinite during epoch " + std::to_string(record.epoch);
    } else if (state.epoch % config.metrics_every == 0 || state.epoch == config.epochs) {
      // Metrics draw from their own per-epoch stream, so evaluating them (or not) never
      // changes the training trajectory.
      const auto metric_start = Clock::now();
      Rng metric_rng(derive_seed(config.seed, stream::metrics, static_cast<std::uint64_t>(record.epoch)));
      record.train = evaluate(state.params, *train, config.train_metric_samples, metric_rng);
      record.validation = evaluate(state.params, *validation, 0, metric_rng);
      record.evaluated = true;
      record.metric_seconds = seconds_since(metric_start);
      if (!std::isfinite(record.validation.mse) || !std::isfinite(record.validation.cross_entropy)) {
        state.diverged = true;
        state.reason = "metrics became NaN or infinite after epoch " + std::to_string(record.epoch);
      }
    }
    state.curves.push_back(record);
    return state.curves.back();
  }
};

template <class Real>
Trainer<Real>::Trainer(const RunConfig& config, const data::Dataset& train, const data::Dataset& validation)
    : impl_(std::make_unique<Impl>(config, train, validation)) {}
template <class Real>
Trainer<Real>::~Trainer() = default;
template <class Real>
Trainer<Real>::Trainer(Trainer&&) noexcept = default;
template <class Real>
Trainer<Real>& Trainer<Real>::operator=(Trainer&&) noexcept = default;

template <class Real>
const EpochRecord& Trainer<Real>::run_epoch(const BatchObserver& on_batch) {
  return impl_->run_epoch(on_batch);
}

template <class Real>
bool Trainer<Real>::done() const {
  return impl_->state.diverged || impl_->state.epoch >= impl_->config.epochs;
}

template <class Real>
const TrainerState<Real>& Trainer<Real>::state() const {
  return impl_->state;
}

template <class Real>
void Trainer<Real>::restore(TrainerState<Real> state) {
  const auto& p = state.params;
  const auto& layout = impl_->layout;
  if (p.W.rows() != layout.visible() || p.W.cols() != layout.hidden || p.a.size() != layout.visible() ||
      p.b.size() != layout.hidden || state.epoch < 0 || state.epoch > impl_->config.epochs)
    throw Error("restore: the checkpoint does not match this run's configuration");
  impl_->state = std::move(state);
  impl_->Wt = impl_->state.params.W.transpose();
}

template <class Real>
RunResult Trainer<Real>::result() const {
  const auto& state = impl_->state;
  RunResult r;
  r.status = state.diverged ? RunStatus::diverged : RunStatus::completed;
  r.reason = state.reason;
  r.curves = state.curves;
  r.params.layout = state.params.layout;
  r.params.W = state.params.W.template cast<double>();
  r.params.a = state.params.a.template cast<double>();
  r.params.b = state.params.b.template cast<double>();
  if (!state.diverged) r.receptive_field_overlap = receptive_field_overlap(state.params);
  for (const auto& e : state.curves) r.total_seconds += e.train_seconds + e.metric_seconds;
  return r;
}

template class Trainer<float>;
template class Trainer<double>;

namespace {
template <class Real>
RunResult train_all(const RunConfig& config, const data::Dataset& train, const data::Dataset& validation,
                    const EpochObserver& on_epoch, const BatchObserver& on_batch) {
  Trainer<Real> trainer(config, train, validation);
  while (!trainer.done()) {
    const EpochRecord& record = trainer.run_epoch(on_batch);
    if (on_epoch) on_epoch(record);
  }
  return trainer.result();
}
}  // namespace

RunResult train_run(const RunConfig& config, const data::Dataset& train, const data::Dataset& validation,
                    const EpochObserver& on_epoch, const BatchObserver& on_batch) {
  return config.precision == Precision::f32 ? train_all<float>(config, train, validation, on_epoch, on_batch)
                                            : train_all<double>(config, train, validation, on_epoch, on_batch);
}

}  // namespace khsweep::train
