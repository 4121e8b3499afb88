// The parameter table: every run parameter's name, accepted values, help text and setter.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "khsweep/core/text.hpp"
#include "khsweep/data/catalog.hpp"
#include "khsweep/train/run_params.hpp"

namespace khsweep::train {

// Every field of RunConfig and DataSelection is a run parameter with a row in build_table(): the
// store, the messages between ranks and run ids all come from the table. If this fires, a field
// changed: give it its row (or update the size, 64-bit Linux ABI).
static_assert(sizeof(void*) != 8 || sizeof(RunConfig) == 208, "RunConfig changed: update the parameter table");
static_assert(sizeof(void*) != 8 || sizeof(DataSelection) == 72, "DataSelection changed: update the parameter table");

namespace {

// Shortest text that reads back as the same double.
std::string format_real(double v) {
  if (v == 0 && std::signbit(v)) return "-0";  // reads back as -0.0: the bits of a run's config survive
  // Whole numbers in full ("100000", not the shortest form's "1e+05").
  if (v == std::trunc(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

// ---------------------------------------------------------------------------------------------
// Text -> value. Each returns "" on success or the reason the text was refused.

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A finite or infinite real, the whole text consumed; YAML's ".inf"/".nan" spellings included.
std::optional<double> read_real(std::string_view text) {
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const std::string low = lowercase(s);
  if (low == ".inf" || low == "-.inf") return low[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  if (low == ".nan") return std::numeric_limits<double>::quiet_NaN();
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A whole number as sign and magnitude, so the full uint64 range parses.
struct Whole {
  bool negative = false;
  std::uint64_t magnitude = 0;
  bool too_large = false;  // past what a uint64 (or a double, exactly) holds; magnitude is then meaningless
};

// Reads digits ("12", "-3", "+4"), or a real that is exactly whole ("1e3", "100.0").
// On failure `reason` explains, naming fractional values as such.
std::optional<Whole> read_whole(std::string_view text, std::string& reason) {
  std::string_view s = text;
  Whole w;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    w.negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (all_digits(s)) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), w.magnitude);
    if (ec == std::errc::result_out_of_range) w.too_large = true;
    if (w.magnitude == 0) w.negative = false;
    return w;
  }
  if (auto r = read_real(text)) {
    if (!std::isfinite(*r)) {
      reason = "expected a whole number, got " + in_quotes(text);
      return std::nullopt;
    }
    if (std::floor(*r) != *r) {
      reason = "expected a whole number, got " + in_quotes(text) + " (not whole)";
      return std::nullopt;
    }
    w.negative = *r < 0;
    if (std::fabs(*r) > 9.0e15) {  // past 2^53 a double no longer names one integer
      w.too_large = true;
      return w;
    }
    w.magnitude = static_cast<std::uint64_t>(std::fabs(*r));
    return w;
  }
  reason = "expected a whole number, got " + in_quotes(text);
  return std::nullopt;
}

std::optional<bool> read_bool(std::string_view text) {
  const std::string low = lowercase(text);
  if (low == "true" || low == "yes") return true;
  if (low == "false" || low == "no") return false;
  return std::nullopt;
}

struct Bounds {
  std::optional<double> min;
  std::optional<double> max;
  bool min_exclusive = false;
};
Bounds at_least(double v) { return {v, std::nullopt, false}; }
Bounds above(double v) { return {v, std::nullopt, true}; }
Bounds between(double lo, double hi) { return {lo, hi, false}; }
Bounds any_value() { return {}; }

// Upper bounds for the sizes: far beyond any study of the papers, and low enough that a typo
// ("hidden: 1000000000") is refused with its range instead of failing to allocate mid-job.
constexpr double kMaxHidden = 100000;     // W alone: 794 x 100 000 floats = 318 MB
constexpr double kMaxBatch = 100000;
constexpr double kMaxGibbsSteps = 10000;
constexpr double kMaxEpochs = 1000000;
constexpr double kMaxEulerSteps = 100000;

// "must be >= 1, got 0"-style check; "" when v is inside.
std::string range_problem(const ParamSpec& spec, double v, const std::string& shown) {
  const bool below = spec.has_min && (spec.min_exclusive ? !(v > spec.min) : !(v >= spec.min));
  const bool over = spec.has_max && !(v <= spec.max);
  if (!below && !over) return "";
  if (spec.has_min && spec.has_max)
    return "must be in " + format_real(spec.min) + ".." + format_real(spec.max) + ", got " + shown;
  if (below) return std::string("must be ") + (spec.min_exclusive ? "> " : ">= ") + format_real(spec.min) + ", got " + shown;
  return "must be <= " + format_real(spec.max) + ", got " + shown;
}

template <class Part>
using PartOf = Part RunParams::*;

ParamSpec base(std::string name, ParamKind kind, std::string group, std::string help, Bounds b = {}) {
  ParamSpec s;
  s.name = std::move(name);
  s.kind = kind;
  s.group = std::move(group);
  s.help = std::move(help);
  s.has_min = b.min.has_value();
  s.has_max = b.max.has_value();
  s.min = b.min.value_or(0);
  s.max = b.max.value_or(0);
  s.min_exclusive = b.min_exclusive;
  return s;
}

// A whole-number parameter stored in a signed or unsigned integer field.
template <class Part, class T>
ParamSpec whole_param(std::string name, PartOf<Part> part, T Part::*field, Bounds b, std::string group,
                      std::string help) {
  constexpr bool is_unsigned = std::is_unsigned_v<T>;
  ParamSpec s = base(std::move(name), is_unsigned ? ParamKind::count : ParamKind::integer, std::move(group),
                     std::move(help), b);
  const ParamSpec bounds = s;  // the setter keeps its own copy of the limits
  s.set = [part, field, bounds](RunParams& p, std::string_view text) -> std::string {
    std::string reason;
    const auto w = read_whole(text, reason);
    if (!w) return reason;
    if (is_unsigned && w->negative) return "expected a non-negative whole number, got " + in_quotes(text);
    constexpr auto lo = std::numeric_limits<T>::min();
    constexpr auto hi = std::numeric_limits<T>::max();
    // The parameter's own range: its bounds where it has them, else what its field holds.
    const std::string range = "must be in " + (bounds.has_min ? format_real(bounds.min) : std::to_string(lo)) + ".." +
                              (bounds.has_max ? format_real(bounds.max) : std::to_string(hi)) + ", got " + std::string(text);
    if (w->too_large) return range;
    const double approx = (w->negative ? -1.0 : 1.0) * static_cast<double>(w->magnitude);
    if (auto r = range_problem(bounds, approx, std::string(text)); !r.empty()) return r;
    // A signed type holds one more negative value than positive ones.
    if (w->magnitude > static_cast<std::uint64_t>(hi) + (w->negative ? 1 : 0)) return range;
    T v;
    if (w->negative)
      v = static_cast<T>(-static_cast<long long>(w->magnitude - 1) - 1);  // no overflow at T's minimum
    else
      v = static_cast<T>(w->magnitude);
    (p.*part).*field = v;
    return "";
  };
  s.get = [part, field](const RunParams& p) { return std::to_string((p.*part).*field); };
  s.value = [part, field](const RunParams& p) -> StoredValue {
    if constexpr (is_unsigned) return static_cast<std::uint64_t>((p.*part).*field);
    else return static_cast<std::int64_t>((p.*part).*field);
  };
  return s;
}

ParamSpec real_param(std::string name, double train::RunConfig::*field, Bounds b, std::string group,
                     std::string help) {
  ParamSpec s = base(std::move(name), ParamKind::real, std::move(group), std::move(help), b);
  const ParamSpec bounds = s;
  s.set = [field, bounds](RunParams& p, std::string_view text) -> std::string {
    const auto r = read_real(text);
    if (!r) return "expected a number, got " + in_quotes(text);
    if (!std::isfinite(*r)) return "expected a finite number, got " + in_quotes(text);
    if (auto why = range_problem(bounds, *r, std::string(text)); !why.empty()) return why;
    p.config.*field = *r;
    return "";
  };
  s.get = [field](const RunParams& p) { return format_real(p.config.*field); };
  s.value = [field](const RunParams& p) -> StoredValue { return p.config.*field; };
  return s;
}

ParamSpec bool_param(std::string name, bool train::RunConfig::*field, std::string group, std::string help) {
  ParamSpec s = base(std::move(name), ParamKind::boolean, std::move(group), std::move(help));
  s.set = [field](RunParams& p, std::string_view text) -> std::string {
    const auto b = read_bool(text);
    if (!b) return "expected true, false, yes or no, got " + in_quotes(text);
    p.config.*field = *b;
    return "";
  };
  s.get = [field](const RunParams& p) { return std::string(p.config.*field ? "true" : "false"); };
  s.value = [field](const RunParams& p) -> StoredValue { return std::int64_t{p.config.*field ? 1 : 0}; };
  return s;
}

// An enum parameter; `names` spells every value as train::to_string does.
template <class Part, class E>
ParamSpec choice_param(std::string name, PartOf<Part> part, E Part::*field,
                       std::vector<std::pair<std::string, E>> names, std::string group, std::string help) {
  ParamSpec s = base(std::move(name), ParamKind::choice, std::move(group), std::move(help));
  for (const auto& n : names) s.choices.push_back(n.first);
  std::size_t longest = 0;
  for (const auto& n : names) longest = std::max(longest, n.first.size());
  s.text_width = (longest + 1 + 3) / 4 * 4;  // the name and its NUL, rounded up to 4 bytes
  const std::vector<std::string> choices = s.choices;
  s.set = [part, field, names, choices](RunParams& p, std::string_view text) -> std::string {
    for (const auto& [n, v] : names)
      if (n == text) {
        (p.*part).*field = v;
        return "";
      }
    std::string why = "must be one of " + join(choices, ", ") + ", got " + in_quotes(text);
    if (auto near = closest_match(text, choices); !near.empty()) why += "; did you mean " + in_quotes(near) + "?";
    return why;
  };
  s.get = [part, field, names](const RunParams& p) -> std::string {
    for (const auto& [n, v] : names)
      if ((p.*part).*field == v) return n;
    return "?";
  };
  const auto get = s.get;
  s.value = [get](const RunParams& p) -> StoredValue { return get(p); };
  return s;
}

ParamSpec path_param(std::string name, std::string DataSelection::*field, std::string group, std::string help) {
  ParamSpec s = base(std::move(name), ParamKind::path, std::move(group), std::move(help));
  s.set = [field](RunParams& p, std::string_view text) -> std::string {
    if (text.empty()) return "needs a non-empty path";
    p.data.*field = std::string(text);
    return "";
  };
  s.get = [field](const RunParams& p) { return p.data.*field; };
  s.value = [field](const RunParams& p) -> StoredValue { return p.data.*field; };
  s.text_width = 256;  // longer paths are cut in /runs, with "..."
  return s;
}

ParamSpec with(ParamSpec s, std::vector<std::string> hints, std::string default_note = "", bool kh_only = false) {
  if (!s.effective) s.effective = s.value;
  s.hints = std::move(hints);
  s.default_note = std::move(default_note);
  s.kh_only = kh_only;
  return s;
}

// Marks the rows read only by some model kinds (every other row is read by all of them).
void read_only_by(std::vector<ParamSpec>& table, const std::vector<std::string>& names,
                  const std::vector<train::Model>& models) {
  for (auto& row : table)
    if (std::find(names.begin(), names.end(), row.name) != names.end()) row.models = models;
}

std::vector<ParamSpec> build_table() {
  using train::RunConfig;
  using model::Init;
  using model::KhVariant;
  using model::LabelSampling;
  const auto cfg = &RunParams::config;
  const auto dat = &RunParams::data;
  const std::string D = "Data", M = "Model and training", K = "Krotov-Hopfield modulation", E = "Metrics";
  std::vector<ParamSpec> t;

  std::vector<std::string> known;
  for (const auto& dataset : data::known_datasets()) known.push_back(dataset.name);
  t.push_back(with(path_param("data", &DataSelection::dataset, D,
                              join(known, " or ") + " (checked, under $KHSWEEP_DATA_DIR or data/), or an IDX directory"),
                   {"dataset", "data_dir", "mnist"}, "required"));
  t.push_back(with(whole_param("train_subset", dat, &DataSelection::train_subset, at_least(0), D,
                               "train on this many training samples (0: all)"),
                   {"train_samples", "n_train", "subset_train"}));
  t.push_back(with(whole_param("validation_subset", dat, &DataSelection::validation_subset, at_least(0), D,
                               "validate on this many test samples (0: all)"),
                   {"validation_samples", "val_subset", "test_subset", "n_validation"}));
  t.push_back(with(choice_param<DataSelection, data::SubsetMode>(
                       "subset", dat, &DataSelection::subset_mode,
                       {{"first", data::SubsetMode::first}, {"random", data::SubsetMode::random}}, D,
                       "which samples a subset keeps: the first n, or n drawn by subset_seed"),
                   {"subset_mode"}));
  t.push_back(with(whole_param("subset_seed", dat, &DataSelection::subset_seed, any_value(), D,
                               "seed of the random subset draw"),
                   {"data_seed"}));
  t.push_back(with(whole_param("threshold", dat, &DataSelection::threshold, between(0, 255), D,
                               "binarisation: pixel >= threshold becomes 1"),
                   {"binarize_threshold", "binarise_threshold"}));
  for (auto& row : t) row.selects_data = true;  // the rows so far pick the data, not the model

  t.push_back(with(choice_param<RunConfig, train::Task>(
                       "task", cfg, &RunConfig::task,
                       {{"reconstruction", train::Task::reconstruction}, {"classification", train::Task::classification}},
                       M, "plain RBM, or classification RBM with one-hot label units"),
                   {"mode"}));
  t.push_back(with(whole_param("hidden", cfg, &RunConfig::hidden, between(1, kMaxHidden), M, "number of hidden units (M)"),
                   {"M", "n_hidden", "num_hidden", "hidden_units"}));
  t.push_back(with(whole_param("k", cfg, &RunConfig::gibbs_steps, between(1, kMaxGibbsSteps), M, "Gibbs steps of CD-k / PCD-k"),
                   {"gibbs_steps", "cd_k", "cd"}));
  t.push_back(with(bool_param("persistent", &RunConfig::persistent, M,
                              "PCD: keep the negative chain across minibatches"),
                   {"pcd"}));
  t.push_back(with(choice_param<RunConfig, Init>("init", cfg, &RunConfig::init,
                                                 {{"lecun", Init::lecun}, {"std", Init::std_normal}}, M,
                                                 "initial weights: N(0, 1/visible units) (lecun; the cRBM counts its label units) or N(0, 1) (std)"),
                   {"initialization", "initialisation", "weight_init"}));
  t.push_back(with(real_param("learning_rate", &RunConfig::learning_rate, above(0), M, "learning rate (eta)"),
                   {"eta", "lr"}));
  t.push_back(with(whole_param("batch_size", cfg, &RunConfig::batch_size, between(1, kMaxBatch), M, "minibatch size (B)"),
                   {"B", "batch"}));
  t.push_back(with(whole_param("epochs", cfg, &RunConfig::epochs, between(1, kMaxEpochs), M, "passes over the training set"),
                   {"n_epochs", "num_epochs"}));
  t.push_back(with(whole_param("seed", cfg, &RunConfig::seed, any_value(), M,
                               "seed of every random stream of the run"),
                   {"random_seed", "rng_seed"}));
  t.push_back(with(choice_param<RunConfig, LabelSampling>(
                       "label_sampling", cfg, &RunConfig::label_sampling,
                       {{"sample", LabelSampling::sample}, {"argmax", LabelSampling::argmax}}, M,
                       "classification: draw label units from their softmax, or take the most probable"),
                   {"labels"}));
  t.push_back(with(choice_param<RunConfig, train::Precision>(
                       "precision", cfg, &RunConfig::precision,
                       {{"float", train::Precision::f32}, {"double", train::Precision::f64}}, M,
                       "floating-point type of the weights"),
                   {"dtype"}));

  t.push_back(with(choice_param<RunConfig, KhVariant>(
                       "kh", cfg, &RunConfig::kh,
                       {{"none", KhVariant::none}, {"top_down", KhVariant::top_down},
                        {"bottom_up", KhVariant::bottom_up}},
                       K, "Krotov-Hopfield step before each update: off, on the visible or on the hidden layer"),
                   {"kh_variant", "variant", "modulation"}));
  t.push_back(with(real_param("eps0", &RunConfig::kh_eps0, at_least(0), K,
                              "initial KH step size; needs to be > 0 when kh is not none"),
                   {"kh_eps0", "epsilon", "eps", "epsilon0"}, "", true));
  t.push_back(with(real_param("delta", &RunConfig::kh_delta, at_least(0), K,
                              "anti-Hebbian strength given to the unit ranked l+1 (Delta)"),
                   {"kh_delta", "Delta"}, "", true));
  t.push_back(with(whole_param("S", cfg, &RunConfig::kh_anneal_epochs, at_least(0), K,
                               "epochs over which eps anneals to 0 (0: the number of epochs)"),
                   {"kh_anneal_epochs", "anneal_epochs", "anneal"}, "0 (= epochs)", true));
  t.push_back(with(whole_param("l", cfg, &RunConfig::kh_rank, at_least(1), K,
                               "rank: the unit ranked l+1 is pushed away"),
                   {"kh_rank", "rank"}, "", true));
  t.push_back(with(real_param("p", &RunConfig::kh_power, at_least(1), K, "Lebesgue power of currents and norm"),
                   {"kh_power", "power"}, "", true));
  t.push_back(with(real_param("R", &RunConfig::kh_radius, above(0), K, "radius of the weight sphere"),
                   {"kh_radius", "radius"}, "tied to init: 1 for std, 0.1 for lecun", true));

  const std::string B = "Krotov-Hopfield biological learning (model kh_bio; also reads eps0, delta, S, l, p, R)";
  const std::string H = "Modern Hopfield classifier (model mhc)";
  t.push_back(with(choice_param<RunConfig, train::Model>(
                       "model", cfg, &RunConfig::model,
                       {{"rbm", train::Model::rbm}, {"kh_bio", train::Model::kh_bio}, {"mhc", train::Model::mhc}}, M,
                       "learner: (KH-modulated) RBM, KH biological learning + readout, or Modern Hopfield classifier"),
                   {"kind", "learner", "model_kind"}));
  t.push_back(with(real_param("activation_power", &RunConfig::readout_activation_power, at_least(1), B,
                              "n: the readout sees hidden activations max(<W, v>, 0)^n"),
                   {"n", "relu_power"}));
  t.push_back(with(real_param("loss_power", &RunConfig::readout_loss_power, at_least(1), B,
                              "m: the readout minimises sum |tanh(beta S h) - t|^m"),
                   {"m"}));
  t.push_back(with(real_param("readout_beta", &RunConfig::readout_beta, above(0), B, "gain of the readout's tanh"),
                   {"readout_gain"}));
  t.push_back(with(real_param("readout_learning_rate", &RunConfig::readout_learning_rate, above(0), B,
                              "Adam step size of the readout"),
                   {"readout_lr"}));
  t.push_back(with(whole_param("readout_epochs", cfg, &RunConfig::readout_epochs, between(1, kMaxEpochs), B,
                               "supervised epochs of the readout after the unsupervised ones"),
                   {"supervised_epochs"}));
  t.push_back(with(real_param("mhc_learning_rate", &RunConfig::mhc_learning_rate, above(0), H,
                              "eta of the local rule (Eq. 3); epoch i uses eta / (i+1)"),
                   {"mhc_eta", "mhc_lr"}));
  t.push_back(with(real_param("beta", &RunConfig::mhc_beta, above(0), H,
                              "initial inverse temperature; epoch i uses beta / 2^(i+1)"),
                   {"mhc_beta", "inverse_temperature"}));
  t.push_back(with(whole_param("euler_steps", cfg, &RunConfig::euler_steps, between(1, kMaxEulerSteps), H,
                               "Euler steps per presentation, in training and inference"),
                   {"steps"}));
  t.push_back(with(real_param("dt", &RunConfig::euler_dt, above(0), H, "Euler step, in units of the time constant"),
                   {"euler_dt"}));
  t.push_back(with(real_param("noise", &RunConfig::noise, at_least(0), H,
                              "sd of the Gaussian input noise of the noisy validation accuracy (standardised units)"),
                   {"noise_sd", "sigma"}));

  t.push_back(with(whole_param("metrics_every", cfg, &RunConfig::metrics_every, at_least(1), E,
                               "evaluate metrics every n epochs (and always on the last)"),
                   {"eval_every", "metrics_interval"}));
  t.push_back(with(whole_param("train_metric_samples", cfg, &RunConfig::train_metric_samples, at_least(0), E,
                               "training samples the training metrics use (0: all)"),
                   {"metric_samples"}));

  using train::Model;
  read_only_by(t, {"task", "k", "persistent", "init", "learning_rate", "label_sampling", "kh", "metrics_every"},
               {Model::rbm});
  read_only_by(t, {"hidden", "batch_size", "precision", "eps0", "delta", "S", "l", "p", "R"},
               {Model::rbm, Model::kh_bio});
  read_only_by(t, {"activation_power", "loss_power", "readout_beta", "readout_learning_rate", "readout_epochs"},
               {Model::kh_bio});
  read_only_by(t, {"mhc_learning_rate", "beta", "euler_steps", "dt", "noise"}, {Model::mhc});

  const auto row = [&t](const std::string& name) -> ParamSpec& {
    return *std::find_if(t.begin(), t.end(), [&](const ParamSpec& r) { return r.name == name; });
  };
  for (const char* name : {"eps0", "delta", "S"}) row(name).kh_tuned = true;
  // /runs holds what the run used: S and R resolved from their "0 = tied" defaults, and the
  // precision the weights really have (the MHC trains in double whatever precision says).
  row("S").effective = [](const RunParams& p) -> StoredValue { return std::int64_t{p.config.anneal_epochs()}; };
  row("R").effective = [](const RunParams& p) -> StoredValue { return p.config.radius(); };
  row("precision").effective = [](const RunParams& p) -> StoredValue {
    return std::string(train::to_string(p.config.weights_precision()));
  };
  row("precision").blank_when_unread = false;
  // Schema 1 files named these /config attributes after the RunConfig fields.
  const std::pair<const char*, const char*> former[] = {
      {"k", "gibbs_steps"}, {"eps0", "kh_eps0"}, {"delta", "kh_delta"}, {"S", "kh_anneal_epochs"},
      {"l", "kh_rank"}, {"p", "kh_power"}, {"R", "kh_radius"}, {"activation_power", "readout_activation_power"},
      {"loss_power", "readout_loss_power"}, {"beta", "mhc_beta"}, {"dt", "euler_dt"}};
  for (const auto& [name, old_name] : former) row(name).former_names.emplace_back(old_name);
  row("data").former_names.emplace_back("dataset");  // the /runs column of schema 1 stores
  return t;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string ParamSpec::accepted() const {
  switch (kind) {
    case ParamKind::boolean: return "true/false/yes/no";
    case ParamKind::choice: return "one of " + join(choices, ", ");
    case ParamKind::path: return "a dataset name or a path";
    default: break;
  }
  std::string what = kind == ParamKind::real ? "a number" : kind == ParamKind::count ? "a non-negative whole number"
                                                                                     : "a whole number";
  if (has_min && has_max) return what + " in " + format_real(min) + ".." + format_real(max);
  if (has_min && !(kind == ParamKind::count && min == 0 && !min_exclusive))
    what += std::string(min_exclusive ? " > " : " >= ") + format_real(min);
  if (has_max) what += " <= " + format_real(max);
  return what;
}

bool reads(const ParamSpec& spec, const train::RunConfig& config) {
  if (!spec.models.empty() && std::find(spec.models.begin(), spec.models.end(), config.model) == spec.models.end())
    return false;
  return !(spec.kh_only && config.model == train::Model::rbm && config.kh == model::KhVariant::none);
}

StoredValue column_value(const ParamSpec& spec, const RunParams& params) {
  if (reads(spec, params.config) || !spec.blank_when_unread) return spec.effective(params);
  return blank_value(spec);
}

StoredValue blank_value(const ParamSpec& spec) {
  switch (spec.kind) {
    case ParamKind::integer:
    case ParamKind::boolean: return std::int64_t{0};
    case ParamKind::count: return std::uint64_t{0};
    case ParamKind::real: return std::numeric_limits<double>::quiet_NaN();
    default: return std::string();
  }
}

std::string set_stored(const ParamSpec& spec, RunParams& params, const StoredValue& value) {
  std::string text;
  if (const auto* i = std::get_if<std::int64_t>(&value))
    text = spec.kind == ParamKind::boolean ? (*i != 0 ? "true" : "false") : std::to_string(*i);
  else if (const auto* u = std::get_if<std::uint64_t>(&value))
    text = std::to_string(*u);
  else if (const auto* d = std::get_if<double>(&value))
    text = format_real(*d);
  else
    text = std::get<std::string>(value);
  // Already so: a default outside the accepted range ("R: 0", tied to init) reads back as itself.
  if (text == spec.get(params)) return "";
  return spec.set(params, text);
}

std::vector<std::string> parameter_names(const std::function<bool(const ParamSpec&)>& keep) {
  std::vector<std::string> names;
  for (const ParamSpec& p : run_parameters())
    if (keep(p)) names.push_back(p.name);
  return names;
}

const std::vector<ParamSpec>& run_parameters() {
  static const std::vector<ParamSpec> table = build_table();
  return table;
}

const ParamSpec* find_parameter(std::string_view name) {
  for (const auto& p : run_parameters())
    if (p.name == name) return &p;
  return nullptr;
}

std::string suggest_parameter(std::string_view unknown) {
  // Each name and its aliases, in table order, so the first parameter wins a tie as it did alone.
  std::vector<std::string> spellings, owners;
  for (const auto& p : run_parameters()) {
    spellings.push_back(p.name);
    owners.push_back(p.name);
    for (const auto& hint : p.hints) {
      spellings.push_back(hint);
      owners.push_back(p.name);
    }
  }
  const std::string near = closest_match(unknown, spellings);
  if (near.empty()) return "";
  return owners[static_cast<std::size_t>(std::find(spellings.begin(), spellings.end(), near) - spellings.begin())];
}

std::vector<ParamProblem> cross_check(const RunParams& params, const std::vector<std::string>& given) {
  std::vector<ParamProblem> out;
  const auto is_given = [&](const std::string& n) { return std::find(given.begin(), given.end(), n) != given.end(); };
  const auto has_problem = [&](const std::string& n) {
    return std::any_of(out.begin(), out.end(), [&](const ParamProblem& p) { return p.parameter == n; });
  };
  const train::RunConfig& c = params.config;

  if (params.data.dataset.empty())
    out.push_back({"data", "required: the dataset to train on, a known name (e.g. mnist) or an IDX directory"});

  // A run must not carry settings it never reads: a baseline with KH settings would look like a KH run.
  for (const auto& p : run_parameters()) {
    if (!is_given(p.name) || reads(p, c)) continue;
    if (!p.models.empty() && std::find(p.models.begin(), p.models.end(), c.model) == p.models.end()) {
      std::vector<std::string> readers;
      for (train::Model m : p.models) readers.emplace_back(train::to_string(m));
      out.push_back({p.name, std::string("has no effect when model is ") + train::to_string(c.model) +
                                 "; remove it, or set model to " + join(readers, " or ")});
    } else {
      out.push_back({p.name, "has no effect when kh is none; remove it, or set kh to top_down or bottom_up"});
    }
  }
  if (c.model == train::Model::kh_bio && !(c.kh_eps0 > 0)) {
    if (is_given("eps0"))
      out.push_back({"eps0", "must be > 0 when model is kh_bio (it is the learning rate of the hidden layer)"});
    else
      out.push_back({"model", "kh_bio needs eps0 > 0, the initial learning rate of its hidden layer (e.g. eps0 0.02)"});
  } else if (c.model == train::Model::rbm && c.kh != model::KhVariant::none && !(c.kh_eps0 > 0)) {
    const std::string variant = train::to_string(c.kh);
    if (is_given("eps0"))
      out.push_back({"eps0", "must be > 0 when kh is " + variant + " (eps0 = 0 switches the KH step off)"});
    else
      out.push_back({"kh", variant + " needs eps0 > 0, the initial KH step size (e.g. eps0 0.01); eps0 is unset"});
  }

  for (const ParamProblem& problem : train::validate(c)) {
    if (problem.parameter == "eps0" && (has_problem("kh") || has_problem("model"))) continue;  // said above already
    if (problem.parameter.empty() || !has_problem(problem.parameter)) out.push_back(problem);
  }
  return out;
}

}  // namespace khsweep::train
