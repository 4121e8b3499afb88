#include "khsweep/results/aggregate.hpp"

#include <algorithm>
#include <functional>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/data/sha256.hpp"
#include "khsweep/results/query.hpp"
#include "khsweep/store/job_progress.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "khsweep/store/transaction.hpp"

namespace khsweep::results {

namespace fs = std::filesystem;

namespace {

constexpr const char* kAggregatesSchema = "khsweep-aggregates/2";

std::size_t round_up8(std::size_t n) { return (n + 7) / 8 * 8; }

std::size_t metric_index(const std::vector<std::string>& metrics, const std::string& metric) {
  const auto it = std::find(metrics.begin(), metrics.end(), metric);
  if (it == metrics.end()) throw Error("unknown metric '" + metric + "'");
  return static_cast<std::size_t>(it - metrics.begin());
}

// Per-run curve values as read from /run/<id>/curves: the epoch and the curve metrics.
constexpr std::size_t kMaxCurveMetrics = 16;
struct CurveIn {
  std::int32_t epoch;
  double values[kMaxCurveMetrics];
};

const std::vector<h5::Field>& curve_in_fields() {
  static const std::vector<h5::Field> fields = [] {
    std::vector<h5::Field> f = {{"epoch", offsetof(CurveIn, epoch), h5::Type::int32, 0}};
    for (std::size_t i = 0; i < aggregated_curve_metrics().size(); ++i)
      f.push_back({aggregated_curve_metrics()[i], offsetof(CurveIn, values) + i * sizeof(double), h5::Type::float64, 0});
    return f;
  }();
  return fields;
}

std::vector<CurvePoint> curve_statistics(const h5::File& file, const std::vector<std::string>& ids) {
  std::map<int, std::vector<std::vector<double>>> by_epoch;  // epoch -> metric -> values
  std::map<int, int> runs_at;
  const std::size_t m = aggregated_curve_metrics().size();
  for (const std::string& id : ids) {
    const std::string name = "run/" + id + "/curves";
    for (const CurveIn& row : file.read_table<CurveIn>(name, curve_in_fields())) {
      auto& values = by_epoch[row.epoch];
      values.resize(m);
      for (std::size_t i = 0; i < m; ++i) values[i].push_back(row.values[i]);
      ++runs_at[row.epoch];
    }
  }
  std::vector<CurvePoint> points;
  for (const auto& [epoch, values] : by_epoch) {
    CurvePoint p;
    p.epoch = epoch;
    p.n = runs_at[epoch];
    for (const auto& v : values) p.metrics.push_back(describe(v));
    points.push_back(std::move(p));
  }
  return points;
}

bool is_numeric(const store::IndexTable& table, const std::string& column) {
  const store::IndexColumn* c = table.find(column);
  return c != nullptr && !c->is_text;
}

// True when `a` is better than `b` for the metric (NaN is never better).
bool better(const std::string& metric, double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return lower_is_better(metric) ? a < b : a > b;
}

std::vector<std::string> values_of(const store::IndexTable& table, const std::vector<std::string>& columns,
                                   std::size_t row) {
  std::vector<std::string> out;
  for (const auto& c : columns) out.push_back(cell_text(table, c, row));
  return out;
}

// Orders value combinations: numbers by value (NaN last), text as text, column by column.
struct ComboLess {
  const store::IndexTable* table;
  const std::vector<std::string>* columns;
  bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == b[i]) continue;
      if (is_numeric(*table, (*columns)[i])) {
        const double x = std::strtod(a[i].c_str(), nullptr), y = std::strtod(b[i].c_str(), nullptr);
        if (std::isnan(x) != std::isnan(y)) return std::isnan(y);
        if (x != y) return x < y;
      }
      return a[i] < b[i];
    }
    return false;
  }
};


}  // namespace

const std::vector<std::string>& summary_metrics() {
  static const std::vector<std::string> metrics = {
      "max_val_accuracy",        "final_val_accuracy",  "final_train_accuracy", "final_accuracy_gap",
      "final_val_mse",           "min_val_mse",         "final_val_cross_entropy", "min_val_cross_entropy",
      "final_val_pll",           "receptive_field_overlap", "train_seconds_per_epoch"};
  return metrics;
}

const std::vector<std::string>& aggregated_curve_metrics() {
  static const std::vector<std::string> metrics = {
      "val_mse",   "val_cross_entropy",   "val_pll",   "val_accuracy", "train_mse",
      "train_cross_entropy", "train_pll", "train_accuracy", "kh_epsilon", "train_seconds"};
  static_assert(kMaxCurveMetrics >= 10);
  return metrics;
}

MetricDisplay metric_display(const std::string& metric) {
  const auto has = [&](const char* part) { return metric.find(part) != std::string::npos; };
  if (has("accuracy")) return {100.0, 1, "%"};
  if (has("mse")) return {1.0, 4, ""};
  if (has("cross_entropy")) return {1.0, 4, "nats/pixel"};
  if (has("pll")) return {1.0, 2, "nats/image"};
  if (has("overlap")) return {1.0, 3, ""};
  if (has("seconds")) return {1.0, 2, "s"};
  if (has("epsilon")) return {1.0, 5, ""};
  return {1.0, 4, ""};
}

bool lower_is_better(const std::string& metric) {
  if (metric == kAccuracyGap) return true;  // less overfitting
  return metric.find("accuracy") == std::string::npos && metric.find("pll") == std::string::npos;
}

std::string format_stats(const std::string& metric, const Stats& stats) {
  const MetricDisplay d = metric_display(metric);
  if (stats.n == 0) return "-";
  return paper_notation(stats.mean * d.scale, stats.se * d.scale, d.decimals);
}

double summary_value(const store::IndexTable& table, const std::string& metric, std::size_t row) {
  if (metric == kAccuracyGap)
    return table.column("final_train_accuracy").numbers.at(row) - table.column("final_val_accuracy").numbers.at(row);
  return table.column(metric).numbers.at(row);
}

const GroupAggregate* Aggregate::find(const std::string& key) const {
  for (const auto& g : groups)
    if (g.key == key) return &g;
  return nullptr;
}

std::string diverged_note(const Aggregate& a) {
  if (a.diverged_left_out == 0) return "";
  std::string note = std::to_string(a.diverged_left_out) + " diverged run" + (a.diverged_left_out == 1 ? "" : "s") +
                     " left out of the statistics";
  if (a.configurations_all_diverged > 0)
    note += " (" + std::to_string(a.configurations_all_diverged) + " configuration" +
            (a.configurations_all_diverged == 1 ? " has" : "s have") + " no other run and " +
            (a.configurations_all_diverged == 1 ? "is" : "are") + " not shown)";
  return note + "; --include-diverged counts them";
}

Aggregate aggregate_runs(const store::IndexTable& table, const std::vector<std::size_t>& rows, const h5::File* store,
                         bool include_diverged) {
  Aggregate a;
  a.store_runs = table.rows;
  a.include_diverged = include_diverged;
  const std::vector<std::size_t> kept = summarised_rows(table, rows, include_diverged);
  const std::vector<std::size_t> finished = summarised_rows(table, rows, true);
  const store::IndexColumn& status = table.column("status");
  a.summarised_runs = kept.size();
  a.label_columns = varying_columns(table, kept);
  for (const std::string& column : configuration_columns())
    if (const store::IndexColumn* c = table.find(column)) {
      a.setting_columns.push_back(column);
      a.setting_is_text.push_back(c->is_text);
    }
  const store::IndexColumn& id = table.column("id");
  std::vector<std::string> all_ids;
  // Grouped with the diverged runs, so that each group knows how many of its runs diverged.
  for (Group& g : group_runs(table, finished, a.label_columns)) {
    GroupAggregate out;
    for (std::size_t r : g.rows) {
      const bool diverged = status.text.at(r) == store::kDiverged;
      out.diverged += diverged ? 1 : 0;
      if (!diverged || include_diverged) out.rows.push_back(r);
    }
    if (!include_diverged) a.diverged_left_out += out.diverged;
    if (out.rows.empty()) {
      ++a.configurations_all_diverged;
      continue;
    }
    for (const std::string& column : a.label_columns)
      out.key += (out.key.empty() ? "" : " ") + column + "=" + cell_text(table, column, out.rows.front());
    for (const std::string& column : a.setting_columns) {
      const store::IndexColumn& c = table.column(column);
      out.setting_text.push_back(c.is_text ? c.text.at(out.rows.front()) : std::string());
      out.setting_number.push_back(c.is_text ? std::nan("") : c.numbers.at(out.rows.front()));
    }
    for (std::size_t r : out.rows) out.ids.push_back(id.text.at(r));
    all_ids.insert(all_ids.end(), out.ids.begin(), out.ids.end());
    for (const std::string& metric : summary_metrics()) {
      std::vector<double> values;
      for (std::size_t r : out.rows) values.push_back(summary_value(table, metric, r));
      out.summary.push_back(describe(values));
    }
    if (store != nullptr) out.curves = curve_statistics(*store, out.ids);
    a.groups.push_back(std::move(out));
  }
  std::sort(all_ids.begin(), all_ids.end());
  std::string text;
  for (const auto& s : all_ids) text += s + "\n";
  a.ids_hash = data::sha256_hex(text.data(), text.size());
  return a;
}

TableLayout groups_layout(const Aggregate& aggregate) {
  const auto width = [&](const std::function<std::size_t(const GroupAggregate&)>& length) {
    std::size_t longest = 16;
    for (const GroupAggregate& group : aggregate.groups) longest = std::max(longest, length(group));
    return longest;
  };
  TableLayout t;
  t.fields.push_back({"group", 0, h5::Type::int32, 0});
  t.fields.push_back({"n", 4, h5::Type::int32, 0});
  const std::size_t key_length = width([](const GroupAggregate& g) { return g.key.size(); });
  t.fields.push_back({"key", 8, h5::Type::string, key_length});
  std::size_t offset = 8 + round_up8(key_length);
  // The settings, under the /runs names: text as text, every number as float64 (NaN where unread).
  for (std::size_t i = 0; i < aggregate.setting_columns.size(); ++i) {
    if (aggregate.setting_is_text[i]) {
      const std::size_t length = width([&](const GroupAggregate& g) { return g.setting_text[i].size(); });
      t.fields.push_back({aggregate.setting_columns[i], offset, h5::Type::string, length});
      offset += round_up8(length);
    } else {
      t.fields.push_back({aggregate.setting_columns[i], offset, h5::Type::float64, 0});
      offset += 8;
    }
  }
  for (const std::string& m : summary_metrics()) {
    t.fields.push_back({m + "_n", offset, h5::Type::int32, 0});
    t.fields.push_back({m + "_mean", offset + 8, h5::Type::float64, 0});
    t.fields.push_back({m + "_sd", offset + 16, h5::Type::float64, 0});
    t.fields.push_back({m + "_se", offset + 24, h5::Type::float64, 0});
    offset += 32;
  }
  t.row_size = offset;
  return t;
}

TableLayout curves_layout() {
  TableLayout t;
  t.fields.push_back({"epoch", 0, h5::Type::int32, 0});
  t.fields.push_back({"n", 4, h5::Type::int32, 0});
  std::size_t offset = 8;
  for (const std::string& m : aggregated_curve_metrics()) {
    t.fields.push_back({m + "_n", offset, h5::Type::int32, 0});
    t.fields.push_back({m + "_mean", offset + 8, h5::Type::float64, 0});
    t.fields.push_back({m + "_se", offset + 16, h5::Type::float64, 0});
    offset += 24;
  }
  t.row_size = offset;
  return t;
}

void write_aggregates(h5::Location& root, const Aggregate& aggregate, const std::string& where) {
  if (root.exists("aggregates")) root.remove("aggregates");
  h5::Group g = root.create_group("aggregates");
  g.write_attribute("schema", kAggregatesSchema);
  g.write_attribute("store_runs", static_cast<std::uint64_t>(aggregate.store_runs));
  g.write_attribute("summarised_runs", static_cast<std::uint64_t>(aggregate.summarised_runs));
  g.write_attribute("ids_sha256", aggregate.ids_hash);
  g.write_attribute("where", where);
  g.write_attribute("include_diverged", static_cast<std::uint64_t>(aggregate.include_diverged ? 1 : 0));
  g.write_attribute("diverged_left_out", static_cast<std::uint64_t>(aggregate.diverged_left_out));
  g.write_attribute("label_columns", join(aggregate.label_columns, ","));
  g.write_attribute("summary_metrics", join(summary_metrics(), ","));
  g.write_attribute("curve_metrics", join(aggregated_curve_metrics(), ","));

  const TableLayout layout = groups_layout(aggregate);
  const std::size_t settings = aggregate.setting_columns.size();
  std::vector<unsigned char> rows(layout.row_size * aggregate.groups.size(), 0);
  for (std::size_t i = 0; i < aggregate.groups.size(); ++i) {
    const GroupAggregate& group = aggregate.groups[i];
    unsigned char* row = rows.data() + i * layout.row_size;
    const auto put_int = [&](std::size_t field, std::int32_t v) { std::memcpy(row + layout.fields[field].offset, &v, 4); };
    const auto put_double = [&](std::size_t field, double v) { std::memcpy(row + layout.fields[field].offset, &v, 8); };
    put_int(0, static_cast<std::int32_t>(i));
    put_int(1, static_cast<std::int32_t>(group.rows.size()));
    h5::set_fixed_string(reinterpret_cast<char*>(row + layout.fields[2].offset), layout.fields[2].length, group.key);
    for (std::size_t c = 0; c < settings; ++c) {
      const h5::Field& field = layout.fields[3 + c];
      if (aggregate.setting_is_text[c])
        h5::set_fixed_string(reinterpret_cast<char*>(row + field.offset), field.length, group.setting_text[c]);
      else
        put_double(3 + c, group.setting_number[c]);
    }
    const std::size_t first = 3 + settings;  // the metrics' fields
    for (std::size_t m = 0; m < summary_metrics().size(); ++m) {
      const Stats& s = group.summary[m];
      put_int(first + 4 * m, s.n);
      put_double(first + 1 + 4 * m, s.mean);
      put_double(first + 2 + 4 * m, s.sd);
      put_double(first + 3 + 4 * m, s.se);
    }
  }
  g.write_table("groups", layout.fields, layout.row_size, rows.data(), aggregate.groups.size());

  h5::Group curves = g.create_group("curves");
  const TableLayout c = curves_layout();
  for (std::size_t i = 0; i < aggregate.groups.size(); ++i) {
    const GroupAggregate& group = aggregate.groups[i];
    std::vector<unsigned char> points(c.row_size * group.curves.size(), 0);
    for (std::size_t e = 0; e < group.curves.size(); ++e) {
      const CurvePoint& p = group.curves[e];
      unsigned char* row = points.data() + e * c.row_size;
      const auto put_int = [&](std::size_t field, std::int32_t v) { std::memcpy(row + c.fields[field].offset, &v, 4); };
      const auto put_double = [&](std::size_t field, double v) { std::memcpy(row + c.fields[field].offset, &v, 8); };
      put_int(0, p.epoch);
      put_int(1, p.n);
      for (std::size_t m = 0; m < aggregated_curve_metrics().size(); ++m) {
        put_int(2 + 3 * m, p.metrics[m].n);
        put_double(3 + 3 * m, p.metrics[m].mean);
        put_double(4 + 3 * m, p.metrics[m].se);
      }
    }
    h5::Dataset d = curves.write_table(std::to_string(i), c.fields, c.row_size, points.data(), group.curves.size());
    d.write_attribute("key", group.key);
    d.write_attribute("ids", join(group.ids, ","));
  }
}

void store_aggregates(const fs::path& path, const Aggregate& aggregate, const std::string& where,
                      double patience_seconds) {
  if (!fs::exists(path)) throw error_at(path.string(), "no such store");
  // Without file locks nothing keeps this write apart from a running job's commits.
  if (const store::JobSight job = store::look_for_job(path); job.live && !job.certain)
    throw error_at(path.string(), "cannot write /aggregates while a sweep seems to run on it (" + job.who +
                                      ", judged from its progress file: this file system gives no locks); "
                                      "pass --no-write, or aggregate once the sweep has ended");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(patience_seconds);
  for (auto pause = std::chrono::milliseconds(10);; pause = std::min(pause * 2, std::chrono::milliseconds(500))) {
    try {
      store::Transaction t = store::Transaction::begin(path);
      store::check_store_schema(t.file(), path);
      write_aggregates(t.file(), aggregate, where);
      t.commit();
      return;
    } catch (const store::StoreBusy&) {
      if (std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(pause);
  }
}

Pivot pivot(const store::IndexTable& table, const Aggregate& aggregate, const std::vector<std::string>& rows,
            const std::vector<std::string>& columns, const std::string& metric) {
  const std::size_t m = metric_index(summary_metrics(), metric);
  Pivot p;
  p.row_columns = rows;
  p.column_columns = columns;
  for (const auto& c : aggregate.label_columns)
    if (std::find(rows.begin(), rows.end(), c) == rows.end() && std::find(columns.begin(), columns.end(), c) == columns.end())
      p.other_columns.push_back(c);
  ComboLess row_less{&table, &p.row_columns}, column_less{&table, &p.column_columns};
  std::set<std::vector<std::string>, ComboLess> row_set(row_less), column_set(column_less);
  for (const auto& g : aggregate.groups) {
    if (g.summary[m].n == 0) continue;
    row_set.insert(values_of(table, rows, g.rows.front()));
    column_set.insert(values_of(table, columns, g.rows.front()));
  }
  p.row_values.assign(row_set.begin(), row_set.end());
  p.column_values.assign(column_set.begin(), column_set.end());
  p.cells.assign(p.row_values.size(), std::vector<int>(p.column_values.size(), -1));
  std::vector<std::vector<int>> count(p.row_values.size(), std::vector<int>(p.column_values.size(), 0));
  for (std::size_t gi = 0; gi < aggregate.groups.size(); ++gi) {
    const auto& g = aggregate.groups[gi];
    if (g.summary[m].n == 0) continue;
    const auto r = static_cast<std::size_t>(std::find(p.row_values.begin(), p.row_values.end(),
                                                      values_of(table, rows, g.rows.front())) - p.row_values.begin());
    const auto c = static_cast<std::size_t>(std::find(p.column_values.begin(), p.column_values.end(),
                                                      values_of(table, columns, g.rows.front())) -
                                            p.column_values.begin());
    int& cell = p.cells[r][c];
    if (++count[r][c] == 2) ++p.crowded_cells;
    if (cell < 0 || better(metric, g.summary[m].mean, aggregate.groups[static_cast<std::size_t>(cell)].summary[m].mean))
      cell = static_cast<int>(gi);
  }
  return p;
}

namespace {
std::vector<std::string> kh_and(const std::vector<std::string>& settings) {
  std::vector<std::string> c = {"kh"};
  c.insert(c.end(), settings.begin(), settings.end());
  return c;
}
}  // namespace

const std::vector<std::string>& kh_parameter_columns() {
  static const std::vector<std::string> columns = kh_and(kh_setting_columns());
  return columns;
}

const std::vector<std::string>& kh_choice_columns() {
  static const std::vector<std::string> columns = kh_and(kh_tuned_columns());
  return columns;
}

std::vector<std::string> default_best_by() {
  const auto tuned = [](const std::string& c) {
    return std::find(kh_tuned_columns().begin(), kh_tuned_columns().end(), c) != kh_tuned_columns().end();
  };
  std::vector<std::string> by;
  for (const auto& c : configuration_columns())
    if (!tuned(c)) by.push_back(c);
  return by;
}

std::vector<BestChoice> best_choices(const store::IndexTable& table, const Aggregate& aggregate,
                                     const std::vector<std::string>& by, const std::string& metric) {
  const std::size_t m = metric_index(summary_metrics(), metric);
  const store::IndexColumn& kh = table.column("kh");
  std::vector<std::string> baseline_by;  // what a baseline must agree on
  for (const auto& c : by)
    if (std::find(kh_parameter_columns().begin(), kh_parameter_columns().end(), c) == kh_parameter_columns().end())
      baseline_by.push_back(c);

  std::vector<BestChoice> out;
  std::map<std::vector<std::string>, std::size_t> setting_index;
  std::map<std::vector<std::string>, int> baselines;
  for (std::size_t gi = 0; gi < aggregate.groups.size(); ++gi) {
    const GroupAggregate& g = aggregate.groups[gi];
    const std::size_t row = g.rows.front();
    const double mean = g.summary[m].mean;
    if (kh.text.at(row) == "none") {
      if (g.summary[m].n == 0) continue;
      auto [it, inserted] = baselines.emplace(values_of(table, baseline_by, row), static_cast<int>(gi));
      if (!inserted && better(metric, mean, aggregate.groups[static_cast<std::size_t>(it->second)].summary[m].mean))
        it->second = static_cast<int>(gi);
      continue;
    }
    const std::vector<std::string> setting = values_of(table, by, row);
    auto [it, inserted] = setting_index.emplace(setting, out.size());
    if (inserted) {
      BestChoice choice;
      choice.setting = setting;
      out.push_back(std::move(choice));
    }
    BestChoice& choice = out[it->second];
    if (g.summary[m].n == 0) continue;
    ++choice.candidates;
    if (choice.best < 0 || better(metric, mean, aggregate.groups[static_cast<std::size_t>(choice.best)].summary[m].mean))
      choice.best = static_cast<int>(gi);
  }
  for (BestChoice& choice : out) {
    if (choice.best < 0) continue;
    const auto it = baselines.find(values_of(table, baseline_by, aggregate.groups[static_cast<std::size_t>(choice.best)].rows.front()));
    if (it != baselines.end()) choice.baseline = it->second;
  }
  return out;
}

}  // namespace khsweep::results
