#include "khsweep/store/run_layout.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "khsweep/core/error.hpp"
#include "khsweep/train/run_params.hpp"
#include "khsweep/version.hpp"

namespace khsweep::store {

CurveRow curve_row(const train::EpochRecord& r) {
  return {r.epoch,
          r.kh_epsilon,
          r.train_seconds,
          r.metric_seconds,
          static_cast<std::int8_t>(r.evaluated ? 1 : 0),
          r.train.mse,
          r.train.cross_entropy,
          r.train.pseudo_log_likelihood,
          r.train.accuracy,
          r.validation.mse,
          r.validation.cross_entropy,
          r.validation.pseudo_log_likelihood,
          r.validation.accuracy,
          r.train.noisy_accuracy,
          r.validation.noisy_accuracy};
}

namespace {

train::EpochRecord from_row(const CurveRow& row) {
  train::EpochRecord r;
  r.epoch = row.epoch;
  r.kh_epsilon = row.kh_epsilon;
  r.train_seconds = row.train_seconds;
  r.metric_seconds = row.metric_seconds;
  r.evaluated = row.evaluated != 0;
  r.train = {row.train_mse, row.train_cross_entropy, row.train_pll, row.train_accuracy, row.train_noisy_accuracy};
  r.validation = {row.val_mse, row.val_cross_entropy, row.val_pll, row.val_accuracy, row.val_noisy_accuracy};
  return r;
}



// The inverse of train::to_string over `values`, naming the accepted names when `text` is none.
template <class Enum, std::size_t N>
Enum parse_enum(const h5::Object& o, const std::string& name, const std::array<Enum, N>& values) {
  const std::string text = o.attribute<std::string>(name);
  std::string accepted;
  for (const Enum e : values) {
    if (text == train::to_string(e)) return e;
    accepted += (accepted.empty() ? "" : ", ") + std::string(train::to_string(e));
  }
  throw error_at(o.file_path(),
                 o.path() + ": attribute '" + name + "': unknown value '" + text + "' (expected one of " +
                     accepted + ")");
}

// One attribute per parameter of the table that configures the model (the data selection is not
// part of a run's config), named as in sweep files, typed by the parameter's kind.
void write_config(h5::Group& g, const train::RunConfig& config) {
  train::RunParams params;
  params.config = config;
  for (const train::ParamSpec& spec : train::run_parameters()) {
    if (spec.selects_data) continue;
    const train::StoredValue value = spec.value(params);
    if (spec.kind == train::ParamKind::boolean) g.write_attribute(spec.name, std::get<std::int64_t>(value) != 0);
    else if (const auto* i = std::get_if<std::int64_t>(&value)) g.write_attribute(spec.name, *i);
    else if (const auto* u = std::get_if<std::uint64_t>(&value)) g.write_attribute(spec.name, *u);
    else if (const auto* d = std::get_if<double>(&value)) g.write_attribute(spec.name, *d);
    else g.write_attribute(spec.name, std::get<std::string>(value));
  }
}

// Reads what write_config wrote, and what schema 1 files wrote: the same values under the former
// names of some parameters (gibbs_steps for k, kh_eps0 for eps0, ...), and before the model kinds
// existed no `model` nor the other kinds' parameters (an RBM, which never reads them).
train::RunConfig read_config(const h5::Group& g) {
  const bool before_model_kinds = !g.has_attribute("model");
  train::RunParams params;
  for (const train::ParamSpec& spec : train::run_parameters()) {
    if (spec.selects_data) continue;
    std::string name = spec.name;
    for (const std::string& former : spec.former_names)
      if (!g.has_attribute(name) && g.has_attribute(former)) name = former;
    if (!g.has_attribute(name)) {
      const bool read_by_rbm = spec.models.empty() ||
                               std::find(spec.models.begin(), spec.models.end(), train::Model::rbm) != spec.models.end();
      if (before_model_kinds && (spec.name == "model" || !read_by_rbm)) continue;  // the default: an RBM's
      throw error_at(g.file_path(), g.path() + ": no attribute '" + spec.name + "'");
    }
    train::StoredValue value;
    switch (spec.kind) {
      case train::ParamKind::integer: value = g.attribute<std::int64_t>(name); break;
      case train::ParamKind::count: value = g.attribute<std::uint64_t>(name); break;
      case train::ParamKind::real: value = g.attribute<double>(name); break;
      case train::ParamKind::boolean: value = std::int64_t{g.attribute<bool>(name) ? 1 : 0}; break;
      default: value = g.attribute<std::string>(name); break;
    }
    if (const std::string why = train::set_stored(spec, params, value); !why.empty())
      throw error_at(g.file_path(), g.path() + ": attribute '" + name + "': " + why);
  }
  return params.config;
}

void write_params(h5::Group& g, const model::Params<double>& p, train::Precision precision) {
  g.write_attribute("pixels", p.layout.pixels);
  g.write_attribute("classes", p.layout.classes);
  g.write_attribute("hidden", p.layout.hidden);
  if (precision == train::Precision::f64) {
    g.write_matrix("W", p.W);
    g.write_vector("a", p.a);
    g.write_vector("b", p.b);
    return;
  }
  // Weights trained in float were widened exactly, so narrowing them back is exact too.
  const model::Matrix<float> W = p.W.cast<float>();
  const model::Vector<float> a = p.a.cast<float>();
  const model::Vector<float> b = p.b.cast<float>();
  g.write_matrix("W", W);
  g.write_vector("a", a);
  g.write_vector("b", b);
}

}  // namespace

std::string shape_problem(const model::Params<double>& p) {
  const auto visible = static_cast<Eigen::Index>(p.layout.visible());
  const auto hidden = static_cast<Eigen::Index>(p.layout.hidden);
  if (p.W.rows() == visible && p.W.cols() == hidden && p.a.size() == visible && p.b.size() == hidden) return {};
  return "W is " + std::to_string(p.W.rows()) + "x" + std::to_string(p.W.cols()) + ", a has " +
         std::to_string(p.a.size()) + " and b " + std::to_string(p.b.size()) + " values, but the layout has " +
         std::to_string(visible) + " visible and " + std::to_string(hidden) + " hidden units";
}

namespace {

model::Params<double> read_params(const h5::Group& g) {
  model::Params<double> p;
  g.read_attribute("pixels", p.layout.pixels);
  g.read_attribute("classes", p.layout.classes);
  g.read_attribute("hidden", p.layout.hidden);
  g.read_matrix("W", p.W);
  g.read_vector("a", p.a);
  g.read_vector("b", p.b);
  const std::string problem = shape_problem(p);
  if (!problem.empty()) throw error_at(g.file_path(), g.path() + ": " + problem);
  return p;
}

}  // namespace

const std::vector<h5::Field>& curve_fields() {
  static const std::vector<h5::Field> fields = {
      {"epoch", offsetof(CurveRow, epoch), h5::Type::int32},
      {"kh_epsilon", offsetof(CurveRow, kh_epsilon), h5::Type::float64},
      {"train_seconds", offsetof(CurveRow, train_seconds), h5::Type::float64},
      {"metric_seconds", offsetof(CurveRow, metric_seconds), h5::Type::float64},
      {"evaluated", offsetof(CurveRow, evaluated), h5::Type::int8},
      {"train_mse", offsetof(CurveRow, train_mse), h5::Type::float64},
      {"train_cross_entropy", offsetof(CurveRow, train_cross_entropy), h5::Type::float64},
      {"train_pll", offsetof(CurveRow, train_pll), h5::Type::float64},
      {"train_accuracy", offsetof(CurveRow, train_accuracy), h5::Type::float64},
      {"val_mse", offsetof(CurveRow, val_mse), h5::Type::float64},
      {"val_cross_entropy", offsetof(CurveRow, val_cross_entropy), h5::Type::float64},
      {"val_pll", offsetof(CurveRow, val_pll), h5::Type::float64},
      {"val_accuracy", offsetof(CurveRow, val_accuracy), h5::Type::float64},
      {"train_noisy_accuracy", offsetof(CurveRow, train_noisy_accuracy), h5::Type::float64},
      {"val_noisy_accuracy", offsetof(CurveRow, val_noisy_accuracy), h5::Type::float64},
  };
  return fields;
}

std::string code_version() { return std::string(kVersion) + "+" + kGitDescribe; }

void write_run(h5::Location& where, const train::RunConfig& config, const train::RunResult& result,
               train::Precision weights_precision) {
  {
    h5::Group g = where.create_group("config");
    write_config(g, config);
  }
  {
    h5::Group g = where.create_group("summary");
    g.write_attribute("status", train::to_string(result.status));
    g.write_attribute("reason", result.reason);
    g.write_attribute("epochs_trained", static_cast<std::int64_t>(result.curves.size()));
    g.write_attribute("receptive_field_overlap", result.receptive_field_overlap);
    g.write_attribute("total_seconds", result.total_seconds);
  }
  {
    std::vector<CurveRow> rows;
    rows.reserve(result.curves.size());
    for (const train::EpochRecord& r : result.curves) rows.push_back(curve_row(r));
    where.write_table("curves", curve_fields(), rows);
  }
  {
    h5::Group g = where.create_group("params");
    write_params(g, result.params, weights_precision);
  }
}

RunRecord read_run(const h5::Location& where) {
  RunRecord run;
  run.config = read_config(where.open_group("config"));
  train::RunResult& result = run.result;
  const h5::Group summary = where.open_group("summary");
  result.status = parse_enum(summary, "status", std::array{train::RunStatus::completed, train::RunStatus::diverged});
  summary.read_attribute("reason", result.reason);
  summary.read_attribute("receptive_field_overlap", result.receptive_field_overlap);
  summary.read_attribute("total_seconds", result.total_seconds);
  for (const CurveRow& row : where.read_table<CurveRow>("curves", curve_fields()))
    result.curves.push_back(from_row(row));
  const auto epochs_trained = summary.attribute<std::int64_t>("epochs_trained");
  if (epochs_trained != static_cast<std::int64_t>(result.curves.size()))
    throw error_at(where.file_path(), summary.path() + ": epochs_trained is " +
                                          std::to_string(epochs_trained) + " but curves has " +
                                          std::to_string(result.curves.size()) + " rows");
  result.params = read_params(where.open_group("params"));
  return run;
}

}  // namespace khsweep::store
