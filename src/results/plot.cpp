#include "khsweep/results/plot.hpp"
#include "khsweep/store/run_file.hpp"
#include "khsweep/store/run_layout.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>  // mkdtemp, getenv
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/core/temp_dir.hpp"
#include "khsweep/core/text_file.hpp"
#include "khsweep/results/filter.hpp"
#include "khsweep/results/groups.hpp"
#include "khsweep/results/query.hpp"
#include "khsweep/results/stats.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/index.hpp"
#include "khsweep/store/sweep_store.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace khsweep::results {

namespace {

struct MetricInfo {
  const char* name;
  const char* label;
  bool needs_evaluation;  // only measured in evaluated epochs
  double scale;
};

const std::vector<MetricInfo>& metric_table() {
  static const std::vector<MetricInfo> table = {
      {"kh_epsilon", "KH step size epsilon", false, 1.0},
      {"train_seconds", "training time per epoch (s)", false, 1.0},
      {"metric_seconds", "metric time per evaluation (s)", true, 1.0},
      {"train_mse", "training MSE (per pixel)", true, 1.0},
      {"train_cross_entropy", "training cross-entropy (nats per pixel)", true, 1.0},
      {"train_pll", "training pseudo-log-likelihood (nats per image)", true, 1.0},
      {"train_accuracy", "training accuracy (%)", true, 100.0},
      {"val_mse", "validation MSE (per pixel)", true, 1.0},
      {"val_cross_entropy", "validation cross-entropy (nats per pixel)", true, 1.0},
      {"val_pll", "validation pseudo-log-likelihood (nats per image)", true, 1.0},
      {"val_accuracy", "validation accuracy (%)", true, 100.0},
      {"train_noisy_accuracy", "training accuracy on noisy inputs (%)", true, 100.0},
      {"val_noisy_accuracy", "validation accuracy on noisy inputs (%)", true, 100.0},
  };
  return table;
}

const MetricInfo& metric_info(const std::string& metric) {
  for (const MetricInfo& m : metric_table())
    if (metric == m.name) return m;
  const std::string close = closest_match(metric, plot_metrics());
  throw Error("unknown metric " + in_quotes(metric) + (close.empty() ? "" : " (did you mean " + in_quotes(close) + "?)") +
              "; the curve columns are " + join(plot_metrics(), ", "));
}

// One curve row, only the columns a plot needs (HDF5 reads a compound's fields by name).
struct CurvePoint {
  std::int32_t epoch;
  std::int8_t evaluated;
  double value;
};

std::vector<h5::Field> point_fields(const std::string& metric) {
  return {{"epoch", offsetof(CurvePoint, epoch), h5::Type::int32, 0},
          {"evaluated", offsetof(CurvePoint, evaluated), h5::Type::int8, 0},
          {metric, offsetof(CurvePoint, value), h5::Type::float64, 0}};
}

// A gnuplot single-quoted string: only ' needs escaping (as ''); control characters become spaces.
std::string gnuplot_string(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "''";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += ' ';
    else
      out += c;
  }
  return out + "'";
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// Colour-blind-safe colours (Okabe-Ito, then Tableau) for every line but the baselines, which are
// black and grey; dash types vary after a full cycle.
const std::vector<const char*>& colours() {
  static const std::vector<const char*> c = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                             "#56B4E9", "#8C564B", "#BCBD22"};
  return c;
}

// Runs `program script` with stdout and stderr into `log`; returns the wait status, or throws.
int run_program(const std::string& program, const fs::path& script, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) throw Error("posix_spawn_file_actions_init failed");
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> args = {program, script.string()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw error_at(program, std::string("cannot start it: ") + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw error_at(program, std::string("waitpid failed: ") + std::strerror(errno));
  return status;
}

// The KH settings: meaningless (NaN or 0) for kh = none runs.
bool kh_only(const std::string& column) {
  return std::find(kh_setting_columns().begin(), kh_setting_columns().end(), column) != kh_setting_columns().end();
}

bool is_kh_none(const store::IndexTable& table, std::size_t row) {
  const store::IndexColumn* kh = table.find("kh");
  return kh != nullptr && kh->is_text && kh->text[row] == "none";
}

// The columns that tell the lines apart: varying_columns, less the KH parameters that vary only
// because some runs have kh = none (their values are then constant over the KH runs).
std::vector<std::string> plot_label_columns(const store::IndexTable& table, const std::vector<std::size_t>& rows) {
  std::vector<std::size_t> kh_rows;
  for (std::size_t r : rows)
    if (!is_kh_none(table, r)) kh_rows.push_back(r);
  std::vector<std::string> out;
  for (const std::string& column : varying_columns(table, rows)) {
    if (kh_only(column)) {
      bool varies = false;
      for (std::size_t r : kh_rows) varies = varies || cell_text(table, column, r) != cell_text(table, column, kh_rows[0]);
      if (!varies) continue;
    }
    out.push_back(column);
  }
  return out;
}

// "hidden=16 kh=top_down eps0=0.01": a line's legend entry; KH parameters are left out for kh = none.
std::string plot_label(const store::IndexTable& table, const std::vector<std::string>& columns, std::size_t row) {
  std::string label;
  for (const std::string& column : columns)
    if (!(kh_only(column) && is_kh_none(table, row)))
      label += (label.empty() ? "" : " ") + column + "=" + cell_text(table, column, row);
  return label.empty() ? "all runs" : label;
}

}  // namespace

const std::vector<std::string>& plot_metrics() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const MetricInfo& m : metric_table()) n.emplace_back(m.name);
    return n;
  }();
  return names;
}

std::string metric_axis_label(const std::string& metric) { return metric_info(metric).label; }

double metric_scale(const std::string& metric) { return metric_info(metric).scale; }

PlotFormat plot_format(const fs::path& out) {
  const std::string ext = lowercase(out.extension().string());
  if (ext == ".png") return PlotFormat::png;
  if (ext == ".svg") return PlotFormat::svg;
  throw error_at(out.string(), "unsupported plot format '" + out.extension().string() +
                                   "': the file name must end in .png or .svg");
}

namespace {

// The series of one sweep store.
std::vector<CurveSeries> store_curves(const PlotRequest& request, const fs::path& path, int* diverged_left_out) {
  const MetricInfo& metric = metric_info(request.metric);
  store::IndexTable table;  // read_store checks the schema and refuses a dead writer's half commit
  store::read_store(path, request.patience_seconds, [&](const h5::File& f) { table = store::read_index(f); });

  const std::vector<Condition> conditions = parse_where(request.where, table);
  const store::IndexColumn* ids = table.find("id");
  if (table.find("status") == nullptr || ids == nullptr) throw error_at(path.string(), "/runs has no status or id column");
  const std::vector<std::size_t> selected = matching_rows(table, conditions);
  const std::vector<std::size_t> rows = summarised_rows(table, selected, request.include_diverged);
  const int left_out = static_cast<int>(summarised_rows(table, selected, true).size() - rows.size());
  if (diverged_left_out != nullptr) *diverged_left_out = left_out;
  if (rows.empty())
    throw error_at(path.string(), "no completed runs" +
                                      (request.where.empty() ? std::string() : " match '" + request.where + "'") +
                                      (left_out > 0 ? " (" + std::to_string(left_out) +
                                                          " diverged left out: --include-diverged plots them)"
                                                    : std::string()));

  std::vector<std::string> label_columns = plot_label_columns(table, rows);
  const std::vector<Group> groups = group_runs(table, rows, label_columns);
  std::string by;  // --by's /runs column: the panels, so not in the labels
  if (!request.by.empty()) {
    by = resolve_column(request.by, table);
    if (by.empty()) throw error_at(path.string(), "--by: " + unknown_column_message(request.by, table));
    label_columns.erase(std::remove(label_columns.begin(), label_columns.end(), by), label_columns.end());
  }

  // Every selected run's points, read in one open of the file.
  const std::vector<h5::Field> fields = point_fields(metric.name);
  std::map<std::size_t, std::vector<CurvePoint>> points;
  store::read_store(path, request.patience_seconds, [&](const h5::File& f) {
    for (std::size_t r : rows) points[r] = f.open_group("run/" + ids->text[r]).read_table<CurvePoint>("curves", fields);
  });

  std::vector<CurveSeries> series;
  for (const Group& g : groups) {
    std::map<int, std::vector<double>> by_epoch;
    for (std::size_t r : g.rows)
      for (const CurvePoint& p : points.at(r)) {
        if (metric.needs_evaluation && p.evaluated == 0) continue;
        // A diverged run's last values may be infinite: not measured, for a mean.
        by_epoch[p.epoch].push_back(std::isfinite(p.value) ? p.value * metric.scale : NAN);
      }
    CurveSeries s;
    s.label = plot_label(table, label_columns, g.rows.front());
    if (!by.empty()) s.panel = by + "=" + cell_text(table, by, g.rows.front());
    s.baseline = is_kh_none(table, g.rows.front()) && cell_text(table, "model", g.rows.front()) == "rbm";
    s.runs = g.rows.size();
    for (const auto& [epoch, values] : by_epoch) {
      const Stats st = describe(values);
      if (st.n == 0) continue;
      s.epochs.push_back(epoch + 1);
      s.mean.push_back(st.mean);
      s.se.push_back(st.se);
      s.n.push_back(st.n);
    }
    series.push_back(std::move(s));
  }
  return series;
}

// Adds one epoch's value of a run to `s` (one run: no standard error).
void add_point(CurveSeries& s, int epoch, double value) {
  if (std::isnan(value)) return;
  s.epochs.push_back(epoch + 1);
  s.mean.push_back(value);
  s.se.push_back(NAN);
  s.n.push_back(1);
}

// The one series of a `khsweep train --out` run file, labelled by its file name and KH variant.
CurveSeries run_file_curve(const PlotRequest& request, const fs::path& path) {
  const MetricInfo& metric = metric_info(request.metric);
  const store::StoredRun run = store::read_run_file(path);
  CurveSeries s;
  s.label = std::string("kh=") + train::to_string(run.config.kh) + " hidden=" + std::to_string(run.config.hidden);
  s.baseline = run.config.kh == model::KhVariant::none && run.config.model == train::Model::rbm;
  s.runs = 1;
  if (!request.by.empty()) {
    const train::ParamSpec* spec = train::find_parameter(request.by);
    if (spec == nullptr) throw error_at(path.string(), "--by: '" + request.by + "' is not a parameter of its run");
    s.panel = spec->name + "=" + spec->get(train::RunParams{run.config, {}});
  }
  // The metric's column, as a store's /curves holds it.
  const auto& fields = store::curve_fields();
  const auto field = std::find_if(fields.begin(), fields.end(), [&](const h5::Field& f) { return f.name == metric.name; });
  if (field == fields.end() || field->type != h5::Type::float64) throw Error("no curve column " + request.metric);
  for (const train::EpochRecord& e : run.result.curves) {
    if (metric.needs_evaluation && !e.evaluated) continue;
    const store::CurveRow row = store::curve_row(e);
    double value = NAN;
    std::memcpy(&value, reinterpret_cast<const unsigned char*>(&row) + field->offset, sizeof value);
    add_point(s, e.epoch, std::isfinite(value) ? value * metric.scale : NAN);
  }
  return s;
}

bool is_run_file(const fs::path& path) {
  const h5::File file = h5::File::open_read(path);
  if (!file.has_attribute("schema")) return false;
  const std::string schema = file.attribute<std::string>("schema");
  return schema == store::kRunSchema || schema == store::kRunSchemaV1;
}

// a < b with digit runs compared as numbers: "hidden=16" before "hidden=100".
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
      const std::string x = a.substr(i, ei - i), y = b.substr(j, ej - j);
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace

std::vector<CurveSeries> learning_curves(const PlotRequest& request, int* diverged_left_out) {
  if (request.sources.empty()) throw Error("no store or run file to plot");
  std::vector<CurveSeries> all;
  int left_out = 0;
  for (const fs::path& source : request.sources) {
    if (!fs::exists(source)) throw error_at(source.string(), "no such store or run file");
    std::vector<CurveSeries> series;
    if (is_run_file(source)) {
      series.push_back(run_file_curve(request, source));
    } else {
      int here = 0;
      series = store_curves(request, source, &here);
      left_out += here;
    }
    if (request.sources.size() > 1)
      for (CurveSeries& s : series) s.label = source.filename().string() + ": " + s.label;
    for (CurveSeries& s : series) all.push_back(std::move(s));
  }
  if (diverged_left_out != nullptr) *diverged_left_out = left_out;
  std::stable_sort(all.begin(), all.end(),
                   [](const CurveSeries& x, const CurveSeries& y) { return natural_less(x.label, y.label); });
  return all;
}

namespace {

std::string source_names(const PlotRequest& request) {
  std::string names;
  for (const fs::path& source : request.sources) names += (names.empty() ? "" : ", ") + source.filename().string();
  return names;
}

}  // namespace

std::string gnuplot_script(const std::vector<CurveSeries>& series, const PlotRequest& request,
                           const fs::path& data_dir, const fs::path& out) {
  const PlotFormat format = plot_format(out);
  int last_epoch = 1;
  for (const CurveSeries& s : series)
    if (!s.epochs.empty()) last_epoch = std::max(last_epoch, s.epochs.back());
  const std::string title =
      request.title.empty() ? source_names(request) +
                                  (request.where.empty() ? std::string() : " [" + request.where + "]") +
                                  ": mean \u00b1 1 standard error over seeds"
                            : request.title;
  // --by: one panel per value, in legend order, each with the lines of its value; up to 3 a row.
  std::vector<std::string> panels;
  for (const CurveSeries& s : series)
    if (std::find(panels.begin(), panels.end(), s.panel) == panels.end()) panels.push_back(s.panel);
  std::sort(panels.begin(), panels.end(), natural_less);
  const bool multi = !panels.empty() && (panels.size() > 1 || !panels.front().empty());
  const std::size_t columns = multi ? std::min<std::size_t>(panels.size(), 3) : 1;
  const std::size_t rows = multi ? (panels.size() + columns - 1) / columns : 1;
  const std::string size = multi ? std::to_string(560 * columns) + "," + std::to_string(430 * rows + 40) : "1100,650";
  std::ostringstream g;
  // noenhanced everywhere: labels such as "kh=top_down" are shown literally.
  if (format == PlotFormat::png) {
    g << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
         "  set terminal pngcairo noenhanced size " << size << " font 'sans,10'\n"
         "} else {\n"
         "  set terminal png noenhanced size " << size << "\n"
         "}\n";
  } else {
    g << "set terminal svg noenhanced size " << size << " dynamic font 'sans,11' background rgb 'white'\n";
  }
  g << "set output " << gnuplot_string(out.string()) << "\n"
    << "set encoding utf8\n"
    << "set title " << gnuplot_string(title) << "\n"
    << "set xlabel 'epoch'\n"
    << "set ylabel " << gnuplot_string(metric_axis_label(request.metric) + (request.log_y ? ", log scale" : "")) << "\n"
    << "set grid\n"
    << "set key outside right top vertical Left reverse noautotitle\n"
    << "set xrange [" << (last_epoch > 1 ? 1 : 0) << ":" << (last_epoch > 1 ? last_epoch : 2) << "]\n";
  if (last_epoch <= 20) g << "set xtics 1\n";
  if (request.log_y) g << "set logscale y\n";
  g << "set style fill transparent solid 0.2 noborder\n";
  if (multi) {
    g << "set key inside top right vertical Left reverse noautotitle font ',8'\n"
      << "set multiplot layout " << rows << "," << columns << " title " << gnuplot_string(title) << "\n";
  }
  // A line's style follows its label, so the same configuration looks the same in every panel.
  std::map<std::string, std::pair<std::string, std::size_t>> style;  // label -> colour, dash type
  std::size_t baselines = 0, others = 0;
  for (const CurveSeries& s : series) {
    if (style.count(s.label)) continue;
    if (s.baseline) {
      static const char* const greys[] = {"#000000", "#555555", "#999999"};
      style[s.label] = {greys[baselines % 3], 2 + baselines / 3};  // dashed
      ++baselines;
    } else {
      style[s.label] = {colours()[others % colours().size()], 1 + others / colours().size()};
      ++others;
    }
  }
  for (const std::string& panel : panels) {
    if (multi) g << "set title " << gnuplot_string(panel) << "\n";
    g << "plot \\\n";
    bool first = true;
    for (std::size_t i = 0; i < series.size(); ++i) {
      if (series[i].epochs.empty() || series[i].panel != panel) continue;
      const std::string file = gnuplot_string((data_dir / ("series-" + std::to_string(i) + ".dat")).string());
      const auto& [colour, dash] = style.at(series[i].label);
      const std::string label = series[i].label + " (" + std::to_string(series[i].runs) + " run" +
                                (series[i].runs == 1 ? "" : "s") + ")";
      g << (first ? "  " : ", \\\n  ") << file << " using 1:3:4 with filledcurves lc rgb '" << colour << "', \\\n  "
        << file << " using 1:2 with linespoints lw 2 pt 7 ps 0.6 dt " << dash << " lc rgb '" << colour
        << "' title " << gnuplot_string(label);
      first = false;
    }
    g << "\n";
  }
  if (multi) g << "unset multiplot\n";
  return g.str();
}

std::string find_gnuplot() {
  const auto executable = [](const fs::path& p) { return ::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p); };
  if (const char* chosen = std::getenv("KHSWEEP_GNUPLOT"); chosen != nullptr && *chosen != '\0')
    return executable(chosen) ? std::string(chosen) : std::string();
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const fs::path candidate = fs::path(end > start ? dirs.substr(start, end - start) : ".") / "gnuplot";
    if (executable(candidate)) return candidate.string();
    start = end + 1;
  }
  return {};
}

PlotOutcome plot_learning_curves(const PlotRequest& request) {
  PlotOutcome outcome;
  outcome.out = request.out.empty() ? fs::path(request.metric + ".png") : request.out;
  const PlotFormat format = plot_format(outcome.out);
  (void)metric_info(request.metric);  // a bad metric is reported before anything is read
  const std::string gnuplot = find_gnuplot();
  if (gnuplot.empty())
    throw Error("gnuplot not found: khsweep plot draws with gnuplot; install gnuplot-nox (e.g. apt-get install "
                "gnuplot-nox, or scripts/setup.sh), or set KHSWEEP_GNUPLOT to its path");

  const std::vector<CurveSeries> series = learning_curves(request, &outcome.diverged_left_out);
  bool any = false;
  for (const CurveSeries& s : series) {
    outcome.runs += s.runs;
    if (!s.epochs.empty()) {
      any = true;
      ++outcome.lines;
    }
    if (request.log_y)
      for (double m : s.mean)
        if (!(m > 0))
          throw Error("--log-y needs positive values, but " + s.label + " has mean " + request.metric + " " +
                      number(m));
  }
  if (!any) throw error_at(source_names(request), "the selected runs have no measured " + request.metric);

  const TempDir dir("khsweep-plot-");
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::ofstream data(dir.path() / ("series-" + std::to_string(i) + ".dat"));
    data << "# epoch mean mean-se mean+se n  (" << series[i].label << ")\n";
    const CurveSeries& s = series[i];
    for (std::size_t j = 0; j < s.epochs.size(); ++j) {
      const double se = std::isnan(s.se[j]) ? 0.0 : s.se[j];
      double lo = s.mean[j] - se;
      if (request.log_y && !(lo > 0)) lo = s.mean[j];  // a band reaching 0 cannot be drawn on a log axis
      data << s.epochs[j] << ' ' << number(s.mean[j]) << ' ' << number(lo) << ' ' << number(s.mean[j] + se) << ' '
           << s.n[j] << '\n';
    }
    if (!data) throw error_at((dir.path() / "series").string(), "cannot write the plot data");
  }
  const fs::path drawn = dir.path() / (format == PlotFormat::png ? "plot.png" : "plot.svg");
  const fs::path script = dir.path() / "plot.gp";
  {
    std::ofstream s(script);
    s << gnuplot_script(series, request, dir.path(), drawn);
    if (!s) throw error_at(script.string(), "cannot write the gnuplot script");
  }
  const fs::path log = dir.path() / "gnuplot.log";
  const int status = run_program(gnuplot, script, log);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string messages = read_text_file(log, "gnuplot output");
    while (!messages.empty() && std::isspace(static_cast<unsigned char>(messages.back()))) messages.pop_back();
    const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                              : "was killed by signal " + std::to_string(WTERMSIG(status));
    throw error_at(gnuplot, how + (messages.empty() ? std::string() : ": " + messages));
  }
  std::error_code ec;
  if (!fs::exists(drawn, ec) || fs::file_size(drawn, ec) == 0)
    throw error_at(gnuplot, "finished but wrote no image; its output: " + read_text_file(log, "gnuplot output"));
  fs::copy_file(drawn, outcome.out, fs::copy_options::overwrite_existing, ec);
  if (ec) throw error_at(outcome.out.string(), "cannot write the plot: " + ec.message());
  return outcome;
}

}  // namespace khsweep::results
