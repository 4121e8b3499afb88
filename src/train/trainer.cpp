#include "khsweep/train/trainer.hpp"

#include <chrono>
#include <numeric>
#include <string>

#include "khsweep/core/error.hpp"
#include "khsweep/model/lanes.hpp"
#include "khsweep/train/metrics.hpp"

namespace khsweep::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Where each draw of a minibatch sits in its counter-based stream (core/random.hpp
// fill_uniforms): one range per use, per sample. A draw is a pure function of the batch's key and
// these numbers, never of how many draws came before it.
enum class Draw : std::uint64_t { kh_hidden = 1, chain_hidden = 2, chain_visible = 3, pcd_hidden = 4 };

std::uint64_t draw_position(Draw use, int step, int sample) {
  return (static_cast<std::uint64_t>(use) << 56) | (static_cast<std::uint64_t>(step) << 40) |
         (static_cast<std::uint64_t>(sample) << 20);
}

}  // namespace

// Visible and hidden states are 0/1, so every product with them is a sum of selected rows: of W
// for v -> h, of its transpose Wt for h -> v. Both layouts are kept (as lane-padded Rows), and
// batches are held as the indices of their ones (ActiveSets), so no dense product with a 0/1
// matrix is ever formed. state.params is the published copy of W, a, b: it is brought up to date
// at the end of every epoch, the only time anyone outside reads it.
template <class Real>
struct Trainer<Real>::Impl {
  using Rows = model::Rows<Real>;
  using Lane = model::Lane<Real>;

  RunConfig config;
  const data::Dataset* train = nullptr;
  const data::Dataset* validation = nullptr;
  model::Layout layout;
  TrainerState<Real> state;
  Rows W, Wt, a, b;  // the working weights: visible x hidden, hidden x visible, biases as one row

  // Buffers reused by every minibatch: nothing is allocated inside the batch loop.
  std::vector<std::uint32_t> order;
  model::ActiveSets v_data, v_model, h_sample, kh_input;
  Rows h_data, h_model, h_scratch;  // B x M probabilities
  Rows visible_input;               // one sample's visible pre-activations
  Rows gradient;                    // one row of the weight gradient
  std::vector<float> uniforms;      // one sample's draws
  std::vector<int> data_offset, data_samples, model_offset, model_samples, cursor;
  Rows label_lanes;                   // label logits, then their exponentials
  model::KhWorkspace<Real> kh_work;
  std::vector<int> slot_of_visible;   // visible unit -> its row in kh_work.applied_change, or -1
  std::uint64_t batch_key = 0;        // this minibatch's key for fill_uniforms

  Impl(const RunConfig& c, const data::Dataset& tr, const data::Dataset& va)
      : config(c), train(&tr), validation(&va) {
    std::vector<std::string> problems;
    for (const ParamProblem& problem : validate(config)) problems.push_back(problem.text());
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
    load_working_weights();

    const int batch = config.batch_size;
    h_data.resize(batch, layout.hidden);
    h_model.resize(batch, layout.hidden);
    h_scratch.resize(batch, layout.hidden);
    visible_input.resize(1, layout.visible());
    gradient.resize(1, layout.hidden);
    label_lanes.resize(1, std::max(layout.classes, 1));
    const int widest = std::max(h_data.lanes(), visible_input.lanes()) * model::kLanes<Real>;
    uniforms.resize(static_cast<std::size_t>(widest) + 2);
    order.resize(train->count);
  }

  void load_working_weights() {
    W = Rows::from(state.params.W);
    W.transpose_into(Wt);
    a = Rows::from(state.params.a);
    b = Rows::from(state.params.b);
  }

  void publish_weights() {
    W.copy_to(state.params.W);
    a.copy_to(state.params.a);
    b.copy_to(state.params.b);
  }

  // The data batch as active sets: the image's on pixels, then the label unit for a cRBM.
  void load_batch(std::size_t first, int size) {
    v_data.clear();
    // The batch's images lie scattered over the training set (47 MB for MNIST): ask for each one's
    // cache lines a few images ahead, so they arrive while earlier ones are scanned.
    constexpr int ahead = 4;
    const auto prefetch = [&](int s) {
      const std::uint8_t* row = train->row(order[first + s]);
      for (std::size_t byte = 0; byte < train->dim; byte += 64) __builtin_prefetch(row + byte);
    };
    for (int s = 0; s < std::min(ahead, size); ++s) prefetch(s);
    for (int s = 0; s < size; ++s) {
      if (s + ahead < size) prefetch(s + ahead);
      const std::uint32_t sample = order[first + s];
      int* on = v_data.room(layout.visible());
      int n = data::indices_of_ones(train->row(sample), layout.pixels, on);
      if (layout.classifies()) on[n++] = layout.pixels + train->labels[sample];
      v_data.close_sample(n);
    }
  }

  // out.row(s) = b + v_s W: the hidden units' inputs.
  void hidden_inputs(const model::ActiveSets& v, Rows& out) const {
    for (int s = 0; s < v.samples(); ++s) model::sum_rows(W, v.ones(s), v.count(s), b.row(0), out.row(s));
  }

  // Inputs to probabilities, sigmoid(x), from `in` into `out` (which may be `in`); padding kept at 0.
  void to_probabilities(const Rows& in, int samples, Rows& out) const {
    for (int s = 0; s < samples; ++s) {
      const Lane* x = in.row(s);
      Lane* p = out.row(s);
      for (int l = 0; l < out.lanes(); ++l) p[l] = model::sigmoid_lanes<Real>(x[l]);
      out.clear_padding(s);
    }
  }

  // out.row(s) = sigmoid(b + v_s W).
  void hidden_probabilities(const model::ActiveSets& v, Rows& out) const {
    hidden_inputs(v, out);
    to_probabilities(out, v.samples(), out);
  }

  void sample_hidden(const Rows& probabilities, int samples, Draw use, int step, model::ActiveSets& h) {
    h.clear();
    const int M = layout.hidden;
    const int draws = M + (M & 1);
    for (int s = 0; s < samples; ++s) {
      fill_uniforms(batch_key, draw_position(use, step, s), uniforms.data(), draws);
      h.close_sample(model::draw_ones<Real>(probabilities.row(s), uniforms.data(), M, h.room(M)));
    }
  }

  // v ~ p(v | h): Bernoulli image units; for a cRBM one label unit from the softmax of its inputs.
  void sample_visible(const model::ActiveSets& h, int step, model::ActiveSets& v) {
    v.clear();
    const int pixels = layout.pixels;
    const int draws = pixels + 1 + ((pixels + 1) & 1);  // the pixels' draws, then the label's
    Lane* input = visible_input.row(0);
    Real* values = visible_input.values(0);
    for (int s = 0; s < h.samples(); ++s) {
      model::sum_rows(Wt, h.ones(s), h.count(s), a.row(0), input);
      fill_uniforms(batch_key, draw_position(Draw::chain_visible, step, s), uniforms.data(), draws);
      int label = 0;
      if (layout.classifies()) label = draw_label(values + pixels, uniforms[pixels]);
      int* on = v.room(layout.visible());
      int n = model::draw_ones_from_inputs<Real>(input, uniforms.data(), pixels, on);
      if (layout.classifies()) on[n++] = pixels + label;
      v.close_sample(n);
    }
  }

  int draw_label(const Real* logits, float uniform) {
    int best = 0;
    for (int y = 1; y < layout.classes; ++y)
      if (logits[y] > logits[best]) best = y;
    if (config.label_sampling == model::LabelSampling::argmax) return best;
    Real* shifted = label_lanes.values(0);
    for (int y = 0; y < layout.classes; ++y) shifted[y] = logits[y] - logits[best];
    for (int l = 0; l < label_lanes.lanes(); ++l) label_lanes.row(0)[l] = model::exp_lanes<Real>(label_lanes.row(0)[l]);
    const Real* weight = shifted;  // now e^(logit - max): the softmax numerators
    double total = 0.0;
    for (int y = 0; y < layout.classes; ++y) total += static_cast<double>(weight[y]);
    double u = static_cast<double>(uniform) * total;
    for (int y = 0; y < layout.classes; ++y) {
      if (u < static_cast<double>(weight[y])) return y;
      u -= static_cast<double>(weight[y]);
    }
    return layout.classes - 1;  // only reached through rounding in the running subtraction
  }

  // Krotov-Hopfield step (Eq. 6-9) before the CD update. Leaves in h_data the data's hidden
  // inputs under the updated W, for the CD step's positive phase.
  void kh_step(double eps) {
    if (config.kh == model::KhVariant::top_down) {
      // x = h ~ p(h | v) under the current W; the visible units compete.
      hidden_inputs(v_data, h_data);
      to_probabilities(h_data, v_data.samples(), h_scratch);
      sample_hidden(h_scratch, v_data.samples(), Draw::kh_hidden, 0, kh_input);
      const auto& touched = model::kh_step(W, Wt, kh_input, eps, config.kh_settings(), kh_work);
      // Only the touched rows of W moved (by kh_work.applied_change), so the inputs b + v W are
      // brought up to date by adding those rows' changes for the pixels that are on: far
      // cheaper than summing a sample's rows again.
      if (static_cast<int>(slot_of_visible.size()) != layout.visible()) slot_of_visible.assign(layout.visible(), -1);
      for (int slot = 0; slot < static_cast<int>(touched.size()); ++slot) slot_of_visible[touched[slot]] = slot;
      const int lanes = h_data.lanes();
      for (int s = 0; s < v_data.samples(); ++s) {
        Lane* input = h_data.row(s);
        for (int k = 0; k < v_data.count(s); ++k) {
          const int slot = slot_of_visible[v_data.ones(s)[k]];
          if (slot < 0) continue;
          const Lane* change = kh_work.applied_change.row(slot);
          for (int l = 0; l < lanes; ++l) input[l] += change[l];
        }
      }
      for (int unit : touched) slot_of_visible[unit] = -1;
    } else {
      // x = v, the data; the hidden units compete, their weight vectors are the rows of Wt.
      model::kh_step(Wt, W, v_data, eps, config.kh_settings(), kh_work);
      hidden_inputs(v_data, h_data);
    }
  }

  // Lists, for each visible unit, the samples of a batch in which it is on (a transpose of v).
  void by_visible_unit(const model::ActiveSets& v, std::vector<int>& offset, std::vector<int>& samples) {
    offset.assign(layout.visible() + 1, 0);
    for (int k = 0; k < v.total(); ++k) ++offset[v.index[k] + 1];
    std::partial_sum(offset.begin(), offset.end(), offset.begin());
    samples.resize(v.total());
    cursor.assign(offset.begin(), offset.end() - 1);
    for (int s = 0; s < v.samples(); ++s)
      for (int k = v.offset[s]; k < v.offset[s + 1]; ++k) samples[cursor[v.index[k]]++] = s;
  }

  // CD-k / PCD-k (docs/algorithms.md section 4) on the loaded batch, whose hidden inputs b + v W are in h_data.
  void cd_step() {
    const int samples = v_data.samples();
    const int M = layout.hidden;
    to_probabilities(h_data, samples, h_data);

    if (config.persistent) {
      if (state.chain.rows() == 0) {  // the chain starts from the first batch's hidden samples
        state.chain.setZero(config.batch_size, M);
        sample_hidden(h_data, samples, Draw::pcd_hidden, 0, h_sample);
        store_chain(samples);
      }
      h_sample.clear();
      for (int s = 0; s < samples; ++s) {
        int* on = h_sample.room(M);
        int n = 0;
        for (int j = 0; j < M; ++j)
          if (state.chain(s, j) != 0) on[n++] = j;
        h_sample.close_sample(n);
      }
    } else {
      sample_hidden(h_data, samples, Draw::chain_hidden, 0, h_sample);
    }
    for (int step = 0; step < config.gibbs_steps; ++step) {
      sample_visible(h_sample, step, v_model);
      if (step + 1 < config.gibbs_steps) {
        hidden_probabilities(v_model, h_scratch);
        sample_hidden(h_scratch, samples, Draw::chain_hidden, step + 1, h_sample);
      }
    }
    hidden_probabilities(v_model, h_model);
    if (config.persistent) {
      sample_hidden(h_model, samples, Draw::pcd_hidden, 1, h_sample);
      store_chain(samples);
    }

    // W += eta/B (V^T H+ - Vk^T H-), row by row from the samples whose unit is on.
    const Real scale = static_cast<Real>(config.learning_rate / samples);
    by_visible_unit(v_data, data_offset, data_samples);
    by_visible_unit(v_model, model_offset, model_samples);
    const int lanes = W.lanes();
    Lane* g = gradient.row(0);
    const Lane zero{};
    for (int i = 0; i < layout.visible(); ++i) {
      const int on_data = data_offset[i + 1] - data_offset[i];
      const int on_model = model_offset[i + 1] - model_offset[i];
      if (on_data == 0 && on_model == 0) continue;
      std::fill(g, g + lanes, zero);
      model::sum_rows(h_data, data_samples.data() + data_offset[i], on_data, g, g);
      model::sum_rows(h_model, model_samples.data() + model_offset[i], on_model, g, g, Real(-1));
      Lane* w = W.row(i);
      for (int l = 0; l < lanes; ++l) w[l] += scale * g[l];
      a(0, i) += scale * static_cast<Real>(on_data - on_model);
    }
    std::fill(g, g + lanes, zero);
    for (int s = 0; s < samples; ++s) {
      const Lane* plus = h_data.row(s);
      const Lane* minus = h_model.row(s);
      for (int l = 0; l < lanes; ++l) g[l] += plus[l] - minus[l];
    }
    Lane* bias = b.row(0);
    for (int l = 0; l < lanes; ++l) bias[l] += scale * g[l];
    W.transpose_into(Wt);
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

  [[nodiscard]] int batches_per_epoch() const {
    return static_cast<int>((train->count + config.batch_size - 1) / config.batch_size);
  }

  const EpochRecord* run_epoch(const BatchObserver& on_batch) {
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
    for (int done = 0; done < state.batch; ++done) rng.next();  // the keys of the batches before a pause
    const std::size_t n = train->count;
    const int batches = batches_per_epoch();
    for (int batch = state.batch; batch < batches; ++batch) {
      const std::size_t first = static_cast<std::size_t>(batch) * config.batch_size;
      load_batch(first, static_cast<int>(std::min<std::size_t>(config.batch_size, n - first)));
      batch_key = rng.next();
      if (record.kh_epsilon > 0)
        kh_step(record.kh_epsilon);
      else
        hidden_inputs(v_data, h_data);
      cd_step();
      if (on_batch && on_batch(batch + 1, batches)) {
        publish_weights();
        state.batch = batch + 1;
        state.batch_seconds += seconds_since(train_start);
        return nullptr;
      }
    }
    state.rng = rng.state();
    publish_weights();
    record.train_seconds = state.batch_seconds + seconds_since(train_start);
    state.batch = 0;
    state.batch_seconds = 0;
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
    return &state.curves.back();
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
const EpochRecord* Trainer<Real>::run_epoch(const BatchObserver& on_batch) {
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
      p.b.size() != layout.hidden || state.epoch < 0 || state.epoch > impl_->config.epochs || state.batch < 0 ||
      state.batch > impl_->batches_per_epoch() || (state.batch > 0 && state.epoch == impl_->config.epochs))
    throw Error("restore: the checkpoint does not match this run's configuration");
  impl_->state = std::move(state);
  impl_->load_working_weights();
}

template <class Real>
RunResult result_of(const TrainerState<Real>& state) {
  RunResult r;
  r.status = state.diverged ? RunStatus::diverged : RunStatus::completed;
  r.reason = state.reason;
  r.curves = state.curves;
  r.params.layout = state.params.layout;
  r.params.W = state.params.W.template cast<double>();
  r.params.a = state.params.a.template cast<double>();
  r.params.b = state.params.b.template cast<double>();
  for (const auto& e : state.curves) r.total_seconds += e.train_seconds + e.metric_seconds;
  return r;
}

template RunResult result_of<float>(const TrainerState<float>&);
template RunResult result_of<double>(const TrainerState<double>&);

template <class Real>
RunResult Trainer<Real>::result() const {
  RunResult r = result_of(impl_->state);
  if (!impl_->state.diverged) r.receptive_field_overlap = receptive_field_overlap(impl_->state.params);
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
    const EpochRecord* record = trainer.run_epoch(on_batch);  // a pause asked by on_batch goes on at once
    if (record && on_epoch) on_epoch(*record);
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
