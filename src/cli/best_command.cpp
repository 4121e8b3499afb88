// `khsweep best STORE --metric M [--by C1,C2,...] [--where ...] [--fragment]`: per setting, the KH
// eps0 / delta / S with the best seed-averaged metric, beside the setting's baseline (kh=none).
// Read-only, safe beside a running sweep.
#include <algorithm>
#include <iostream>
#include <optional>
#include <sstream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/results/aggregate.hpp"
#include "khsweep/train/run_params.hpp"
#include "khsweep/results/filter.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::cli {

namespace {

constexpr const char* kUsage =
    "usage: khsweep best STORE.h5 --metric M [--by C1,C2,...] [--where CONDITIONS] [--fragment]\n"
    "                   [--include-diverged]\n"
    "  For each setting (a combination of the --by columns) the KH group (eps0, delta, S) with the best\n"
    "  mean over seeds of M (lowest for mse, cross entropy, overlap and seconds; highest for accuracy and\n"
    "  pll), with n and se, beside the baseline (kh=none) of the same setting. Failed runs are ignored;\n"
    "  diverged runs are left out and counted (a configuration whose runs all diverged is never chosen)\n"
    "  unless --include-diverged.\n"
    "  --metric    max_val_accuracy final_val_accuracy final_train_accuracy final_accuracy_gap final_val_mse\n"
    "              min_val_mse final_val_cross_entropy min_val_cross_entropy final_val_pll\n"
    "              receptive_field_overlap train_seconds_per_epoch\n"
    "  --by        the columns of a setting (default: every configuration column except eps0, delta, S\n"
    "              and the seed), e.g. task,data,hidden,k,init,kh\n"
    "  --where     the runs considered, as for khsweep query\n"
    "  --fragment  print a YAML sweep fragment instead: one arms entry per setting with the chosen values\n";

constexpr const char* kPrefix = "khsweep best: ";

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, ',')) {
    const auto first = part.find_first_not_of(' ');
    parts.push_back(first == std::string::npos ? "" : part.substr(first, part.find_last_not_of(' ') - first + 1));
  }
  return parts;
}

// The sweep-file parameter a /runs column is set by (the same name), or "" when it is no parameter.
std::string parameter_of(const std::string& column) { return train::find_parameter(column) ? column : ""; }

std::string yaml_value(const store::IndexTable& table, const std::string& column, std::size_t row) {
  const std::string v = results::cell_text(table, column, row);
  if (const train::ParamSpec* spec = train::find_parameter(column); spec && spec->kind == train::ParamKind::boolean)
    return v == "0" ? "false" : "true";
  if (v.find_first_of(":#'\"{}[],&*!|>%@`") != std::string::npos || v.empty() || v.front() == ' ') {
    std::string quoted = "'";
    for (char c : v) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return quoted + "'";
  }
  return v;
}

}  // namespace

int best_command(const std::vector<std::string>& args) {
  ArgReader in(args, "best");
  std::string store_path, where, metric;
  std::optional<std::vector<std::string>> by;
  bool fragment = false, include_diverged = false;
  while (in.next()) {
    if (in.help()) {
      std::cout << kUsage;
      return kExitOk;
    }
    if (in.positional()) {
      in.take_store(store_path);
      continue;
    }
    if (in.arg() == "--fragment") {
      fragment = true;
      continue;
    }
    if (in.arg() == "--include-diverged") {
      include_diverged = true;
      continue;
    }
    const std::string& option = in.option();
    if (!in.option_is_one_of({"--where", "--metric", "--by"})) {
      in.unknown_option();
      continue;
    }
    const std::optional<std::string> value = in.value();
    if (!value) continue;
    if (option == "--where") {
      append_where(where, *value);
    } else if (option == "--by") {
      by = split(*value);
    } else {
      metric = *value;
      if (!is_summary_metric(metric))
        in.problem(unknown_summary_metric(metric));
    }
  }
  std::vector<std::string>& problems = in.problems();
  if (store_path.empty()) problems.emplace_back("no STORE given");
  if (metric.empty()) problems.emplace_back("--metric M is required (e.g. min_val_mse or max_val_accuracy)");
  if (!problems.empty()) {
    print_problems("best", problems);
    return kExitUsage;
  }

  store::IndexTable table;
  results::Aggregate aggregate;
  std::vector<std::string> by_columns = by ? *by : results::default_best_by();
  try {
    std::vector<std::string> usage;
    store::read_store(store_path, 60.0, [&](const h5::File& file) {
      usage.clear();  // a read retried after a commit starts afresh
      table = store::read_index(file);
      const auto rows = rows_where(table, where, usage);
      if (!rows) return;
      for (auto& c : by_columns) {
        const std::string canonical = results::resolve_column(c, table);
        if (canonical.empty()) {
          std::vector<std::string> names;
          for (const auto& column : table.columns) names.push_back(column.name);
          usage.push_back("unknown column '" + c + "' in --by" + did_you_mean(c, names));
        } else {
          c = canonical;
        }
      }
      if (usage.empty()) aggregate = results::aggregate_runs(table, *rows, nullptr, include_diverged);
    });
    if (!usage.empty()) {
      print_problems("best", usage);
      return kExitUsage;
    }
  } catch (const Error& e) {
    print_problem("best", e.what());
    return kExitInput;
  }
  if (aggregate.summarised_runs == 0) {
    std::cout << kPrefix << "no runs match" << (where.empty() ? "" : " --where " + where)
              << " (only completed runs count";
    if (const std::string note = results::diverged_note(aggregate); !note.empty()) std::cout << "; " << note;
    std::cout << ")\n";
    return kExitOk;
  }
  const std::vector<results::BestChoice> choices = results::best_choices(table, aggregate, by_columns, metric);
  const std::size_t m = summary_index(metric);
  const bool any = std::any_of(choices.begin(), choices.end(), [](const results::BestChoice& c) { return c.best >= 0; });
  if (!any) {
    std::cout << kPrefix << "no KH runs with a measured " << metric << " among the "
              << aggregate.summarised_runs << " runs\n";
    return kExitOk;
  }
  // Show only the setting columns that tell the settings apart (all of them if there is one setting).
  std::vector<std::size_t> shown;
  for (std::size_t i = 0; i < by_columns.size(); ++i) {
    if (by_columns[i] == "kh") continue;  // shown with the choice
    for (const auto& c : choices)
      if (c.setting[i] != choices.front().setting[i]) {
        shown.push_back(i);
        break;
      }
  }
  const auto group_at = [&](int g) -> const results::GroupAggregate& { return aggregate.groups[static_cast<std::size_t>(g)]; };

  const std::string diverged = results::diverged_note(aggregate);
  if (fragment) {
    std::cout << "# khsweep best --metric " << metric << (where.empty() ? "" : " --where " + where) << " (" << store_path
              << ")\n# Paste under arms:. A column an arm sets must not also be in fixed or grid.\n";
    if (!diverged.empty()) std::cout << "# " << diverged << "\n";
    int number = 0;
    for (const auto& c : choices) {
      if (c.best < 0) continue;
      const auto& g = group_at(c.best);
      const std::size_t row = g.rows.front();
      std::cout << "  - name: best-" << ++number << "    # " << metric << " "
                << results::format_stats(metric, g.summary[m]) << " over " << g.summary[m].n << " seeds";
      if (c.baseline >= 0) std::cout << "; baseline " << results::format_stats(metric, group_at(c.baseline).summary[m]);
      std::cout << "\n";
      std::vector<std::string> written;
      for (std::size_t i : shown) {
        const std::string parameter = parameter_of(by_columns[i]);
        if (parameter.empty()) continue;
        std::cout << "    " << parameter << ": " << yaml_value(table, by_columns[i], row) << "\n";
      }
      for (const std::string& column : results::kh_choice_columns())
        std::cout << "    " << column << ": " << yaml_value(table, column, row) << "\n";
    }
    return kExitOk;
  }

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  for (std::size_t i : shown) header.push_back(by_columns[i]);
  for (const std::string& c : results::kh_choice_columns()) header.push_back(c);
  const std::string unit = results::metric_display(metric).unit;
  const std::string title = metric + (unit == "%" ? " %" : "");
  for (const std::string& h : {title, std::string("n"), std::string("of"), "baseline " + title, std::string("n")})
    header.push_back(h);
  rows.push_back(header);
  for (const auto& c : choices) {
    std::vector<std::string> row;
    for (std::size_t i : shown) row.push_back(c.setting[i]);
    if (c.best < 0) {
      for (std::size_t i = 0; i < results::kh_choice_columns().size(); ++i) row.emplace_back("-");
      row.insert(row.end(), {"-", "0", std::to_string(c.candidates)});
    } else {
      const auto& g = group_at(c.best);
      for (const std::string& column : results::kh_choice_columns()) row.push_back(results::cell_text(table, column, g.rows.front()));
      row.push_back(results::format_stats(metric, g.summary[m]));
      row.push_back(std::to_string(g.summary[m].n));
      row.push_back(std::to_string(c.candidates));
    }
    if (c.baseline >= 0) {
      const auto& b = group_at(c.baseline);
      row.push_back(results::format_stats(metric, b.summary[m]));
      row.push_back(std::to_string(b.summary[m].n));
    } else {
      row.insert(row.end(), {"-", "-"});
    }
    rows.push_back(row);
  }
  print_table(rows, shown.size() + 4);
  std::cout << "best of the KH groups per setting by " << (results::lower_is_better(metric) ? "lowest" : "highest")
            << " mean over seeds; mean(se), se in units of the last digit; 'of': KH groups compared\n";
  if (!diverged.empty()) std::cout << diverged << "\n";
  return kExitOk;
}

}  // namespace khsweep::cli
