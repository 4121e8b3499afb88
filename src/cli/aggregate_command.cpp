// `khsweep aggregate STORE [--where ...] [--metrics m1,m2] [--format table|csv] [--no-write]`
// `khsweep aggregate STORE --pivot ROWS:COLUMNS --metric M [--where ...]`
// Seed statistics per configuration (every configuration column but the seed), in the paper's
// notation, written back into the store as /aggregates (docs/store.md, "Aggregates").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/results/aggregate.hpp"
#include "khsweep/results/filter.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::cli {

namespace {

constexpr const char* kUsage =
    "usage: khsweep aggregate STORE.h5 [--where CONDITIONS] [--metrics M1,M2,...] [--sort KEY] [--format table|csv]\n"
    "                                   [--no-write] [--include-diverged]\n"
    "       khsweep aggregate STORE.h5 --pivot ROWS:COLUMNS --metric M [--where CONDITIONS] [--no-write]\n"
    "  Groups the completed runs by every configuration column except the seed and reports, per group,\n"
    "  n and mean(se) over seeds in the paper's notation (\"96.5(1)\"). Failed runs have no results;\n"
    "  diverged runs are left out and counted per group (column 'diverged') unless --include-diverged.\n"
    "  The statistics, with per-epoch mean and se of the learning curves, are written back into the\n"
    "  store as /aggregates (replacing the previous ones; docs/store.md) unless --no-write is given.\n"
    "  --where    the runs to summarise, as for khsweep query (\"init=lecun,M=100,kh=top-down\")\n"
    "  --metrics  summary metrics shown (default: every measured one of max_val_accuracy, min_val_mse,\n"
    "             min_val_cross_entropy, receptive_field_overlap, train_seconds_per_epoch); any of:\n"
    "             max_val_accuracy final_val_accuracy final_train_accuracy final_accuracy_gap (train - val,\n"
    "             at the last epoch) final_val_mse min_val_mse final_val_cross_entropy min_val_cross_entropy\n"
    "             final_val_pll receptive_field_overlap train_seconds_per_epoch\n"
    "  --sort     the order of the groups: a summary metric (best mean first) or a column shown (ascending);\n"
    "             ':asc' or ':desc' after it reverses that, e.g. --sort min_val_mse, --sort hidden:desc.\n"
    "             The '#' column keeps each group's number in /aggregates\n"
    "  --format   table (default) or csv (raw mean, sd, se; accuracy as a fraction)\n"
    "  --include-diverged  summarise diverged runs too (their values up to the divergence), counted in\n"
    "             column 'diverged'\n"
    "  --pivot    Table I layout: one row per combination of the ROWS columns, one column per combination\n"
    "             of the COLUMNS columns, e.g. --pivot kh,k:hidden,init; each cell mean(se) of --metric,\n"
    "             '-' where no runs; a cell holding several groups shows the best of them\n";

constexpr const char* kPrefix = "khsweep aggregate: ";

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) {
    const auto first = part.find_first_not_of(' ');
    parts.push_back(first == std::string::npos ? "" : part.substr(first, part.find_last_not_of(' ') - first + 1));
  }
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

std::string unknown_column(const std::string& name, const store::IndexTable& table) {
  std::vector<std::string> names;
  for (const auto& c : table.columns) names.push_back(c.name);
  return "unknown column '" + name + "'" + did_you_mean(name, names);
}

std::string header_of(const std::string& metric) {
  const std::string unit = results::metric_display(metric).unit;
  return unit == "%" ? metric + " %" : metric;
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// What happened to the diverged runs, under a table: left out (counted) or included.
void print_diverged(const results::Aggregate& a) {
  if (const std::string note = results::diverged_note(a); !note.empty()) std::cout << note << "\n";
  if (!a.include_diverged) return;
  int included = 0;
  for (const auto& g : a.groups) included += g.diverged;
  if (included > 0)
    std::cout << included << " diverged run" << (included == 1 ? " is" : "s are")
              << " included in the statistics (column 'diverged')\n";
}

// The groups in the order --sort asks (first appearance without it); "" or the problem.
std::string sort_groups(const store::IndexTable& table, const results::Aggregate& a, std::string key,
                        std::vector<std::size_t>& order) {
  order.resize(a.groups.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (key.empty()) return "";
  bool reverse = false;
  if (const auto colon = key.rfind(':'); colon != std::string::npos) {
    const std::string direction = key.substr(colon + 1);
    if (direction != "asc" && direction != "desc") return "--sort: ':" + direction + "' must be ':asc' or ':desc'";
    key.resize(colon);
    reverse = true;  // the other way from the key's natural order, which is asc for columns, best-first for metrics
    if (is_summary_metric(key)) reverse = (direction == "asc") != results::lower_is_better(key);
    else reverse = direction == "desc";
  }
  if (is_summary_metric(key)) {
    const std::size_t m = summary_index(key);
    const bool lower = results::lower_is_better(key) != reverse;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      const double vx = a.groups[x].summary[m].mean, vy = a.groups[y].summary[m].mean;
      if (std::isnan(vx) || std::isnan(vy)) return !std::isnan(vx) && std::isnan(vy);  // unmeasured last
      return lower ? vx < vy : vx > vy;
    });
    return "";
  }
  const std::string column = results::resolve_column(key, table);
  if (column.empty()) return "--sort: " + unknown_column(key, table) + " (or a summary metric)";
  const store::IndexColumn& c = table.column(column);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const std::size_t rx = a.groups[x].rows.front(), ry = a.groups[y].rows.front();
    const bool before = c.is_text ? c.text[rx] < c.text[ry] : c.numbers[rx] < c.numbers[ry];
    const bool after = c.is_text ? c.text[ry] < c.text[rx] : c.numbers[ry] < c.numbers[rx];
    return reverse ? after : before;
  });
  return "";
}

void print_groups(const store::IndexTable& table, const results::Aggregate& a, const std::vector<std::string>& metrics,
                  const std::vector<std::size_t>& order, bool csv) {
  std::vector<std::size_t> index;
  for (const auto& m : metrics)
    index.push_back(summary_index(m));
  const bool any_diverged = std::any_of(a.groups.begin(), a.groups.end(), [](const auto& g) { return g.diverged > 0; });
  if (csv) {
    std::string header = "group";
    for (const auto& c : a.label_columns) header += "," + csv_field(c);
    header += ",n,diverged";
    for (const auto& m : metrics) header += "," + m + "_n," + m + "_mean," + m + "_sd," + m + "_se";
    std::cout << header << "\n";
    for (const std::size_t g : order) {
      const auto& group = a.groups[g];
      std::string line = std::to_string(g);
      for (const auto& c : a.label_columns) line += "," + csv_field(results::cell_text(table, c, group.rows.front()));
      line += "," + std::to_string(group.rows.size()) + "," + std::to_string(group.diverged);
      for (std::size_t m : index) {
        const results::Stats& s = group.summary[m];
        line += "," + std::to_string(s.n) + "," + csv_number(s.mean) + "," + csv_number(s.sd) + "," + csv_number(s.se);
      }
      std::cout << line << "\n";
    }
    return;
  }
  std::vector<std::string> same;
  std::vector<std::size_t> first_rows;  // a group's settings are its first run's
  for (const auto& group : a.groups) first_rows.push_back(group.rows.front());
  const std::vector<std::string> columns = results::distinguishing_columns(table, a.label_columns, first_rows, same);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"#"};
  for (const auto& c : columns) header.push_back(c);
  header.push_back("n");
  if (any_diverged) header.emplace_back("diverged");
  for (const auto& m : metrics) header.push_back(header_of(m));
  rows.push_back(header);
  for (const std::size_t g : order) {
    const auto& group = a.groups[g];
    std::vector<std::string> row = {std::to_string(g)};
    for (const auto& c : columns)
      row.push_back(results::unread_cell(table, c, group.rows.front()) ? "-" : results::cell_text(table, c, group.rows.front()));
    row.push_back(std::to_string(group.rows.size()));
    if (any_diverged) row.push_back(std::to_string(group.diverged));
    for (std::size_t i = 0; i < metrics.size(); ++i) row.push_back(results::format_stats(metrics[i], group.summary[index[i]]));
    rows.push_back(row);
  }
  print_table(rows, columns.size() + 1);
  std::cout << a.groups.size() << " group" << (a.groups.size() == 1 ? "" : "s") << " of " << a.summarised_runs
            << " runs; mean(se) over seeds, se in units of the last digit; '-': not read by the group's runs\n";
  if (!same.empty())
    std::cout << "not shown, the same in every group that reads it: " << join(same, ", ") << "\n";
  print_diverged(a);
}

void print_pivot(const store::IndexTable& table, const results::Aggregate& a, const results::Pivot& p,
                 const std::string& metric) {
  const std::size_t m = summary_index(metric);
  const auto label = [](const std::vector<std::string>& columns, const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? " " : "") + columns[i] + "=" + values[i];
    return out;
  };
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  for (const auto& c : p.row_columns) header.push_back(c);
  for (const auto& v : p.column_values) header.push_back(label(p.column_columns, v));
  rows.push_back(header);
  int n_min = 0, n_max = 0;
  for (std::size_t r = 0; r < p.row_values.size(); ++r) {
    std::vector<std::string> row = p.row_values[r];
    for (std::size_t c = 0; c < p.column_values.size(); ++c) {
      const int g = p.cells[r][c];
      if (g < 0) {
        row.emplace_back("-");
        continue;
      }
      const results::Stats& s = a.groups[static_cast<std::size_t>(g)].summary[m];
      n_min = n_min == 0 ? s.n : std::min(n_min, s.n);
      n_max = std::max(n_max, s.n);
      row.push_back(results::format_stats(metric, s));
    }
    rows.push_back(row);
  }
  (void)table;
  print_table(rows, p.row_columns.size());
  const std::string unit = results::metric_display(metric).unit;
  std::cout << metric << (unit.empty() ? "" : " (" + unit + ")") << ": mean(se) over seeds, n = " << n_min
            << (n_max != n_min ? ".." + std::to_string(n_max) : "") << " per cell\n";
  if (p.crowded_cells > 0) {
    std::cout << p.crowded_cells << " cell" << (p.crowded_cells == 1 ? " holds" : "s hold")
              << " several groups (differing in " << join(p.other_columns, ", ") << "): each shows the best of them\n";
  }
  print_diverged(a);
}

}  // namespace

int aggregate_command(const std::vector<std::string>& args) {
  ArgReader in(args, "aggregate");
  std::string store_path, where, pivot_text, metric, format = "table", sort_key;
  std::optional<std::vector<std::string>> metrics;
  bool write = true, include_diverged = false;
  while (in.next()) {
    if (in.help()) {
      std::cout << kUsage;
      return kExitOk;
    }
    if (in.positional()) {
      in.take_store(store_path);
      continue;
    }
    if (in.arg() == "--no-write") {
      write = false;
      continue;
    }
    if (in.arg() == "--include-diverged") {
      include_diverged = true;
      continue;
    }
    const std::string& option = in.option();
    if (!in.option_is_one_of({"--where", "--metrics", "--metric", "--format", "--pivot", "--sort"})) {
      in.unknown_option();
      continue;
    }
    const std::optional<std::string> value = in.value();
    if (!value) continue;
    if (option == "--where") {
      append_where(where, *value);
    } else if (option == "--metrics") {
      metrics = split(*value, ',');
      for (const auto& m : *metrics)
        if (!is_summary_metric(m)) in.problem(unknown_summary_metric(m));
    } else if (option == "--metric") {
      metric = *value;
      if (!is_summary_metric(metric)) in.problem(unknown_summary_metric(metric));
    } else if (option == "--sort") {
      sort_key = *value;
    } else if (option == "--format") {
      format = *value;
      if (format != "table" && format != "csv") in.problem("--format must be table or csv, got '" + format + "'");
    } else {
      pivot_text = *value;
    }
  }
  std::vector<std::string>& problems = in.problems();
  std::vector<std::string> pivot_rows, pivot_columns;
  if (store_path.empty()) problems.emplace_back("no STORE given");
  if (!pivot_text.empty()) {
    const auto colon = pivot_text.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == pivot_text.size())
      problems.push_back("--pivot needs ROWS:COLUMNS, e.g. kh,k:hidden,init; got '" + pivot_text + "'");
    else {
      pivot_rows = split(pivot_text.substr(0, colon), ',');
      pivot_columns = split(pivot_text.substr(colon + 1), ',');
    }
    if (metric.empty()) problems.emplace_back("--pivot needs --metric M (e.g. max_val_accuracy)");
    if (metrics) problems.emplace_back("--pivot shows one --metric, not --metrics");
    if (format != "table") problems.emplace_back("--pivot prints a table only");
    if (!sort_key.empty()) problems.emplace_back("--pivot orders its rows and columns itself; --sort goes without it");
  } else if (!metric.empty()) {
    problems.emplace_back("--metric goes with --pivot; use --metrics to choose the columns shown");
  }
  if (!problems.empty()) {
    print_problems("aggregate", problems);
    return kExitUsage;
  }

  store::IndexTable table;
  results::Aggregate aggregate;
  try {
    std::vector<std::string> usage;
    store::read_store(store_path, 60.0, [&](const h5::File& file) {
      usage.clear();  // a read retried after a commit starts afresh
      table = store::read_index(file);
      const auto rows = rows_where(table, where, usage);
      if (!rows) return;
      for (auto* list : {&pivot_rows, &pivot_columns})
        for (auto& c : *list) {
          const std::string canonical = results::resolve_column(c, table);
          if (canonical.empty())
            usage.push_back(unknown_column(c, table));
          else
            c = canonical;
        }
      if (usage.empty()) aggregate = results::aggregate_runs(table, *rows, &file, include_diverged);
    });
    if (!usage.empty()) {
      print_problems("aggregate", usage);  // parse_where lists one problem per line
      return kExitUsage;
    }
  } catch (const Error& e) {
    print_problem("aggregate", e.what());
    return kExitInput;
  }
  if (aggregate.summarised_runs == 0) {
    std::cout << kPrefix << "no runs match" << (where.empty() ? "" : " --where " + where)
              << " (only completed runs are summarised";
    if (const std::string note = results::diverged_note(aggregate); !note.empty()) std::cout << "; " << note;
    std::cout << ")\n";
    return kExitOk;
  }
  if (write) {
    try {
      results::store_aggregates(store_path, aggregate, where, 60.0);
    } catch (const Error& e) {
      print_problem("aggregate", std::string("cannot write /aggregates: ") + e.what());
      return kExitInput;
    }
  }

  if (!pivot_text.empty()) {
    print_pivot(table, aggregate, results::pivot(table, aggregate, pivot_rows, pivot_columns, metric), metric);
  } else {
    if (!metrics) {
      metrics.emplace();
      for (const char* m : {"max_val_accuracy", "min_val_mse", "min_val_cross_entropy", "receptive_field_overlap",
                            "train_seconds_per_epoch"}) {
        const std::size_t index = summary_index(m);
        if (std::any_of(aggregate.groups.begin(), aggregate.groups.end(),
                        [&](const results::GroupAggregate& g) { return g.summary[index].n > 0; }))
          metrics->push_back(m);
      }
    }
    std::vector<std::size_t> order;
    if (const std::string problem = sort_groups(table, aggregate, sort_key, order); !problem.empty()) {
      print_problem("aggregate", problem);
      return kExitUsage;
    }
    print_groups(table, aggregate, *metrics, order, format == "csv");
  }
  if (write && format == "table")
    std::cout << "written to " << store_path << ":/aggregates (with per-epoch curves)\n";
  return kExitOk;
}

}  // namespace khsweep::cli
