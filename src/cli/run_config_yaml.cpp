// The parameter table and the `khsweep train` front end: YAML file + flags -> validated run.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "khsweep/cli/run_params.hpp"
#include "khsweep/core/error.hpp"

namespace khsweep::cli {
namespace {

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// Shortest text that reads back as the same double.
std::string format_real(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

// Optimal-string-alignment distance, case-insensitive, so "hidedn", "Hidden" and "hiden" are all close.
std::size_t edit_distance(std::string_view a_in, std::string_view b_in) {
  const std::string a = lowercase(a_in), b = lowercase(b_in);
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

// How many edits still count as a typo: none for one- or two-letter names (every short name
// would be "close" to every other), then roughly one per three letters.
std::size_t typo_budget(std::string_view word) {
  if (word.size() <= 2) return 0;
  if (word.size() <= 5) return 1;
  if (word.size() <= 9) return 2;
  return 3;
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
    if (ec == std::errc::result_out_of_range) {
      reason = "too large, got " + in_quotes(text);
      return std::nullopt;
    }
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
    if (std::fabs(*r) > 9.0e15) {  // past 2^53 a double no longer names one integer
      reason = "too large, got " + in_quotes(text);
      return std::nullopt;
    }
    w.negative = *r < 0;
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
    const double approx = (w->negative ? -1.0 : 1.0) * static_cast<double>(w->magnitude);
    if (auto r = range_problem(bounds, approx, std::string(text)); !r.empty()) return r;
    constexpr auto lo = std::numeric_limits<T>::min();
    constexpr auto hi = std::numeric_limits<T>::max();
    // A signed type holds one more negative value than positive ones.
    if (w->magnitude > static_cast<std::uint64_t>(hi) + (w->negative ? 1 : 0))
      return "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + std::string(text);
    T v;
    if (w->negative)
      v = static_cast<T>(-static_cast<long long>(w->magnitude - 1) - 1);  // no overflow at T's minimum
    else
      v = static_cast<T>(w->magnitude);
    (p.*part).*field = v;
    return "";
  };
  s.get = [part, field](const RunParams& p) { return std::to_string((p.*part).*field); };
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
  return s;
}

// An enum parameter; `names` spells every value as train::to_string does.
template <class Part, class E>
ParamSpec choice_param(std::string name, PartOf<Part> part, E Part::*field,
                       std::vector<std::pair<std::string, E>> names, std::string group, std::string help) {
  ParamSpec s = base(std::move(name), ParamKind::choice, std::move(group), std::move(help));
  for (const auto& n : names) s.choices.push_back(n.first);
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
  return s;
}

ParamSpec with(ParamSpec s, std::vector<std::string> hints, std::string default_note = "", bool kh_only = false) {
  s.hints = std::move(hints);
  s.default_note = std::move(default_note);
  s.kh_only = kh_only;
  return s;
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

  t.push_back(with(path_param("data", &DataSelection::dataset, D,
                              "IDX directory (train-*/t10k-*-ubyte files, raw or .gz), e.g. data/mnist"),
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

  t.push_back(with(choice_param<RunConfig, train::Task>(
                       "task", cfg, &RunConfig::task,
                       {{"reconstruction", train::Task::reconstruction}, {"classification", train::Task::classification}},
                       M, "plain RBM, or classification RBM with one-hot label units"),
                   {"mode"}));
  t.push_back(with(whole_param("hidden", cfg, &RunConfig::hidden, at_least(1), M, "number of hidden units (M)"),
                   {"M", "n_hidden", "num_hidden", "hidden_units"}));
  t.push_back(with(whole_param("k", cfg, &RunConfig::gibbs_steps, at_least(1), M, "Gibbs steps of CD-k / PCD-k"),
                   {"gibbs_steps", "cd_k", "cd"}));
  t.push_back(with(bool_param("persistent", &RunConfig::persistent, M,
                              "PCD: keep the negative chain across minibatches"),
                   {"pcd"}));
  t.push_back(with(choice_param<RunConfig, Init>("init", cfg, &RunConfig::init,
                                                 {{"lecun", Init::lecun}, {"std", Init::std_normal}}, M,
                                                 "initial weights: N(0, 1/N) (lecun) or N(0, 1) (std)"),
                   {"initialization", "initialisation", "weight_init"}));
  t.push_back(with(real_param("learning_rate", &RunConfig::learning_rate, above(0), M, "learning rate (eta)"),
                   {"eta", "lr"}));
  t.push_back(with(whole_param("batch_size", cfg, &RunConfig::batch_size, at_least(1), M, "minibatch size (B)"),
                   {"B", "batch"}));
  t.push_back(with(whole_param("epochs", cfg, &RunConfig::epochs, at_least(1), M, "passes over the training set"),
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

  t.push_back(with(whole_param("metrics_every", cfg, &RunConfig::metrics_every, at_least(1), E,
                               "evaluate metrics every n epochs (and always on the last)"),
                   {"eval_every", "metrics_interval"}));
  t.push_back(with(whole_param("train_metric_samples", cfg, &RunConfig::train_metric_samples, at_least(0), E,
                               "training samples the training metrics use (0: all)"),
                   {"metric_samples"}));
  return t;
}

// ---------------------------------------------------------------------------------------------
// Options of `khsweep train` that are not run parameters.

struct CommandOption {
  const char* name;
  const char* placeholder;  // "" when the option takes no value
  bool in_yaml;             // also a config-file key
  const char* help;
};

const std::vector<CommandOption>& command_options() {
  static const std::vector<CommandOption> options = {
      {"config", "FILE", false, "read parameters from a YAML file (one 'name: value' per line); flags override it"},
      {"out", "FILE", true, "write the run's HDF5 file here (also a config key)"},
      {"quiet", "", false, "print nothing but errors"},
      {"no-progress", "", false, "no per-epoch progress lines"},
      {"help", "", false, "print this help (also -h)"},
  };
  return options;
}

const CommandOption* find_command_option(std::string_view name) {
  for (const auto& o : command_options())
    if (name == o.name) return &o;
  return nullptr;
}

// Every name a user may type, for did-you-mean on the command line.
std::vector<std::string> flag_names() {
  std::vector<std::string> names;
  for (const auto& p : run_parameters()) names.push_back(p.name);
  for (const auto& o : command_options()) names.emplace_back(o.name);
  return names;
}

// Problems with their place. Reported file first (in line order), then the command line (in
// argument order), then the checks across parameters.
enum class Stage { file, command_line, cross };

class Problems {
 public:
  // `order` sorts within a stage (an argument's index); by default, the order of adding.
  void add(Stage stage, const std::string& where, const std::string& what, std::size_t order = SIZE_MAX) {
    entries_.push_back({stage, order == SIZE_MAX ? entries_.size() : order, where + ": " + what});
  }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[noreturn]] void raise() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.stage != b.stage ? a.stage < b.stage : a.order < b.order;
    });
    std::vector<std::string> lines;
    for (const auto& e : entries_) lines.push_back(e.line);
    throw Error(join(lines, "\n"));
  }

 private:
  struct Entry {
    Stage stage;
    std::size_t order;
    std::string line;
  };
  std::vector<Entry> entries_;
};

constexpr const char* kCommandLine = "command line";

std::string flag_where(std::string_view name) { return std::string(kCommandLine) + ": --" + std::string(name); }

// What a YAML node is, for "got a list" messages.
std::string node_kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Null: return "no value";
    case YAML::NodeType::Scalar: return "a single value";
    default: return "nothing";
  }
}

// State of one parse: the request, where each parameter got its value, and the problems.
struct Parse {
  TrainRequest request;
  std::map<std::string, std::string> where;  // parameter -> "file:7: key 'x'" / "command line: --x"
  std::vector<std::string> given;            // parameters the user set, in first-set order
  Problems problems;

  void record(const std::string& name, const std::string& place) {
    if (where.find(name) == where.end()) given.push_back(name);
    where[name] = place;
  }
  // The place a problem with `name` is reported at: where it was set, else the input as a whole.
  [[nodiscard]] std::string place_of(const std::string& name) const {
    if (auto it = where.find(name); it != where.end()) return it->second;
    if (!request.config_path.empty()) return name.empty() ? request.config_path : request.config_path + ": key " + in_quotes(name);
    return name.empty() ? std::string(kCommandLine) : flag_where(name);
  }
};

// Reads --config's file into the request. Returns false when the file could not be read or
// parsed at all, so that checks depending on its contents are skipped rather than misleading.
bool apply_yaml_file(Parse& st) {
  const std::string& path = st.request.config_path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    st.problems.add(Stage::file, path, "cannot read the config file: it is a directory");
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    st.problems.add(Stage::file, path, std::string("cannot read the config file: ") + std::strerror(errno));
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  st.request.config_text = text.str();

  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(st.request.config_text);
  } catch (const YAML::ParserException& e) {
    st.problems.add(Stage::file, path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
                    "YAML syntax error: " + e.msg);
    return false;
  } catch (const YAML::Exception& e) {
    st.problems.add(Stage::file, path, std::string("YAML error: ") + e.what());
    return false;
  }
  if (docs.size() > 1) {
    st.problems.add(Stage::file, path + ":" + std::to_string(docs[1].Mark().line + 1),
                    "expected one YAML document, found " + std::to_string(docs.size()) + " (remove the '---')");
    return false;
  }
  if (docs.empty() || docs[0].IsNull()) return true;  // an empty file sets nothing
  const YAML::Node& root = docs[0];
  if (!root.IsMap()) {
    st.problems.add(Stage::file, path + ":" + std::to_string(root.Mark().line + 1),
                    "the top level must be a mapping of parameter names to values ('hidden: 500'), got " +
                        node_kind(root));
    return false;
  }

  std::map<std::string, int> first_line;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const int line = key.Mark().line + 1;
    const std::string at_line = path + ":" + std::to_string(line);
    if (!key.IsScalar()) {
      st.problems.add(Stage::file, at_line, "keys must be parameter names, got " + node_kind(key));
      continue;
    }
    const std::string name = key.Scalar();
    const std::string where = at_line + ": key " + in_quotes(name);
    if (auto [seen, fresh] = first_line.emplace(name, line); !fresh) {
      st.problems.add(Stage::file, where, "given twice (first on line " + std::to_string(seen->second) + ")");
      continue;
    }
    const ParamSpec* spec = find_parameter(name);
    const CommandOption* option = spec ? nullptr : find_command_option(name);
    if (!spec && !option) {
      std::string why = "unknown parameter";
      if (auto near = suggest_parameter(name); !near.empty()) why += "; did you mean " + in_quotes(near) + "?";
      else why += " (khsweep train --help lists them)";
      st.problems.add(Stage::file, where, why);
      continue;
    }
    if (option && !option->in_yaml) {
      st.problems.add(Stage::file, where, std::string("is a command-line option (--") + option->name + "), not a config key");
      continue;
    }
    const std::string accepted = spec ? spec->accepted() : "a path";
    if (!value.IsScalar()) {
      st.problems.add(Stage::file, where, "expected " + accepted + ", got " + node_kind(value));
      continue;
    }
    const std::string& scalar = value.Scalar();
    if (option) {  // out
      if (scalar.empty()) st.problems.add(Stage::file, where, "needs a non-empty path");
      else st.request.out_path = scalar;
      continue;
    }
    if (auto why = spec->set(st.request, scalar); !why.empty()) {
      st.problems.add(Stage::file, where, why);
      continue;
    }
    st.record(name, where);
  }
  return true;
}

struct Flag {
  std::string name;
  std::optional<std::string> value;
  std::size_t index = 0;  // position among the arguments, to report problems in order
};

// Splits the arguments into flags, reporting malformed ones; values are checked later.
std::vector<Flag> split_flags(const std::vector<std::string>& args, Problems& problems) {
  std::vector<Flag> flags;
  std::map<std::string, bool> seen;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      problems.add(Stage::command_line, kCommandLine,
                   "unexpected argument " + in_quotes(arg) + "; parameters are given as --name value", i);
      continue;
    }
    Flag f;
    f.index = i;
    const auto eq = arg.find('=');
    f.name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (eq != std::string::npos) f.value = arg.substr(eq + 1);

    const ParamSpec* spec = find_parameter(f.name);
    const CommandOption* option = spec ? nullptr : find_command_option(f.name);
    if (!spec && !option) {
      std::string why = "unknown option";
      std::string near = closest_match(f.name, flag_names());
      if (near.empty()) near = suggest_parameter(f.name);
      if (!near.empty()) why += "; did you mean --" + near + "?";
      else why += " (khsweep train --help lists them)";
      problems.add(Stage::command_line, flag_where(f.name), why, f.index);
      if (!f.value && i + 1 < args.size() && args[i + 1].compare(0, 2, "--") != 0) ++i;  // skip its value
      continue;
    }
    const bool takes_value = spec ? true : option->placeholder[0] != '\0';
    if (!takes_value) {
      if (f.value) {
        problems.add(Stage::command_line, flag_where(f.name), "takes no value, got " + in_quotes(*f.value), f.index);
        continue;
      }
    } else if (!f.value) {
      const bool has_next = i + 1 < args.size() && args[i + 1].compare(0, 2, "--") != 0;
      if (spec && spec->kind == ParamKind::boolean && !has_next) {
        f.value = "true";  // a bare boolean flag means true
      } else if (has_next) {
        f.value = args[++i];
      } else {
        problems.add(Stage::command_line, flag_where(f.name), "needs a value", f.index);
        continue;
      }
    }
    if (seen[f.name]) {
      problems.add(Stage::command_line, flag_where(f.name), "given twice", f.index);
      continue;
    }
    seen[f.name] = true;
    flags.push_back(std::move(f));
  }
  return flags;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string ParamSpec::accepted() const {
  switch (kind) {
    case ParamKind::boolean: return "true/false/yes/no";
    case ParamKind::choice: return "one of " + join(choices, ", ");
    case ParamKind::path: return "a path";
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

const std::vector<ParamSpec>& run_parameters() {
  static const std::vector<ParamSpec> table = build_table();
  return table;
}

const ParamSpec* find_parameter(std::string_view name) {
  for (const auto& p : run_parameters())
    if (p.name == name) return &p;
  return nullptr;
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = typo_budget(word) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string suggest_parameter(std::string_view unknown) {
  std::string best;
  std::size_t best_distance = typo_budget(unknown) + 1;
  for (const auto& p : run_parameters()) {
    std::size_t d = edit_distance(unknown, p.name);
    for (const auto& h : p.hints) d = std::min(d, edit_distance(unknown, h));
    if (d < best_distance) {
      best_distance = d;
      best = p.name;
    }
  }
  return best;
}

std::vector<ParamProblem> cross_check(const RunParams& params, const std::vector<std::string>& given) {
  std::vector<ParamProblem> out;
  const auto is_given = [&](const std::string& n) { return std::find(given.begin(), given.end(), n) != given.end(); };
  const auto has_problem = [&](const std::string& n) {
    return std::any_of(out.begin(), out.end(), [&](const ParamProblem& p) { return p.parameter == n; });
  };
  const train::RunConfig& c = params.config;

  if (params.data.dataset.empty())
    out.push_back({"data", "required: the IDX directory to train on (e.g. data/mnist)"});

  if (c.kh == model::KhVariant::none) {
    // A baseline run must not carry KH settings: they would make it look like a KH run.
    for (const auto& p : run_parameters())
      if (p.kh_only && is_given(p.name))
        out.push_back({p.name, "has no effect when kh is none; remove it, or set kh to top_down or bottom_up"});
  } else if (!(c.kh_eps0 > 0)) {
    const std::string variant = train::to_string(c.kh);
    if (is_given("eps0"))
      out.push_back({"eps0", "must be > 0 when kh is " + variant + " (eps0 = 0 switches the KH step off)"});
    else
      out.push_back({"kh", variant + " needs eps0 > 0, the initial KH step size (e.g. eps0 0.01); eps0 is unset"});
  }

  for (const std::string& message : train::validate(c)) {
    const auto colon = message.find(": ");
    const std::string name = colon == std::string::npos ? "" : message.substr(0, colon);
    if (!name.empty() && find_parameter(name)) {
      if (name == "eps0" && has_problem("kh")) continue;  // the eps0 check above said it already
      if (!has_problem(name)) out.push_back({name, message.substr(colon + 2)});
    } else {
      out.push_back({"", message});
    }
  }
  return out;
}

TrainRequest parse_train_request(const std::vector<std::string>& args) {
  Parse st;
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      st.request.help = true;
      return st.request;
    }

  const std::vector<Flag> flags = split_flags(args, st.problems);
  for (const Flag& f : flags)
    if (f.name == "config") st.request.config_path = *f.value;

  bool file_ok = true;
  if (!st.request.config_path.empty()) file_ok = apply_yaml_file(st);

  // Flags after the file, so they override it wherever they stand on the line.
  for (const Flag& f : flags) {
    const std::string where = flag_where(f.name);
    if (f.name == "config") continue;
    if (f.name == "quiet") st.request.quiet = true;
    else if (f.name == "no-progress") st.request.progress = false;
    else if (f.name == "out") {
      if (f.value->empty()) st.problems.add(Stage::command_line, where, "needs a non-empty path", f.index);
      else st.request.out_path = *f.value;
    } else if (const ParamSpec* spec = find_parameter(f.name)) {
      if (auto why = spec->set(st.request, *f.value); !why.empty())
        st.problems.add(Stage::command_line, where, why, f.index);
      else st.record(f.name, where);
    }
  }

  // The data directory is checked whenever one was named, even if the file could not be read.
  std::vector<ParamProblem> cross;
  const std::string& dir = st.request.data.dataset;
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
    cross.push_back({"data", std::filesystem::exists(dir, ec) ? "not a directory: " + in_quotes(dir)
                                                              : "no such directory: " + in_quotes(dir)});
  // Checks across parameters only make sense once the file's values are in.
  if (file_ok) {
    const std::vector<ParamProblem> more = cross_check(st.request, st.given);
    cross.insert(cross.end(), more.begin(), more.end());
  }
  for (const auto& p : cross) st.problems.add(Stage::cross, st.place_of(p.parameter), p.reason);

  if (!st.problems.empty()) st.problems.raise();
  return st.request;
}

std::string train_usage() {
  std::ostringstream out;
  const RunParams defaults;
  const auto placeholder = [](const ParamSpec& p) -> std::string {
    switch (p.kind) {
      case ParamKind::integer:
      case ParamKind::count: return "N";
      case ParamKind::real: return "X";
      case ParamKind::boolean: return "[BOOL]";
      case ParamKind::choice: return join(p.choices, "|");
      case ParamKind::path: return "DIR";
    }
    return "VALUE";
  };
  const auto row = [&out](const std::string& flag, const std::string& first, const std::string& second) {
    constexpr std::size_t width = 30;
    out << "  " << flag;
    if (flag.size() + 2 < width) out << std::string(width - 2 - flag.size(), ' ');
    else out << "\n" << std::string(width, ' ');
    out << first << "\n";
    if (!second.empty()) out << std::string(width, ' ') << second << "\n";
  };

  out << "Usage: khsweep train --data DIR [--name value ...]\n"
         "       khsweep train --config run.yaml [--name value ...]\n"
         "\n"
         "Trains one RBM (optionally Krotov-Hopfield modulated) and records its metrics.\n"
         "Every parameter is a key of the --config YAML file ('hidden: 500') and a flag\n"
         "('--hidden 500' or '--hidden=500'); flags override the file. Every problem is\n"
         "reported at once, with its file and line. The Krotov-Hopfield parameters are\n"
         "refused when kh is none, so that a baseline run never looks like a KH run.\n";
  std::string group;
  for (const auto& p : run_parameters()) {
    if (p.group != group) {
      group = p.group;
      out << "\n" << group << ":\n";
    }
    const std::string shown = p.default_note.empty() ? p.get(defaults) : p.default_note;
    std::string second = p.kind == ParamKind::choice ? "" : p.accepted() + "; ";
    if (p.kind == ParamKind::boolean) second = "true/false/yes/no, bare: true; ";
    second += shown == "required" ? shown : "default: " + shown;
    row("--" + p.name + " " + placeholder(p), p.help, second);
  }
  out << "\nOther options:\n";
  for (const auto& o : command_options())
    row(std::string("--") + o.name + (o.placeholder[0] ? std::string(" ") + o.placeholder : ""), o.help, "");
  return out.str();
}

}  // namespace khsweep::cli
