// `khsweep compare STORE --metric M [--where ...] [--include-diverged] [--format table|csv|json]`:
// each KH configuration against its baseline (kh=none, same configuration otherwise), paired by
// seed. Read-only, safe beside a running sweep.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/results/aggregate.hpp"
#include "khsweep/results/compare.hpp"
#include "khsweep/results/query.hpp"

namespace khsweep::cli {

namespace {

constexpr const char* kUsage =
    "usage: khsweep compare STORE.h5 --metric M [--where CONDITIONS] [--include-diverged]\n"
    "                       [--format table|csv|json]\n"
    "  Each KH configuration against its baseline: the kh=none runs with the same configuration except\n"
    "  the KH parameters (kh, eps0, delta, S, l, p, R), paired by seed. A KH run and its baseline with the\n"
    "  same seed see the same data order and the same CD draws, so the per-seed difference cancels most\n"
    "  of the seed noise. Per configuration: pairs, KH and baseline mean(se), the mean difference\n"
    "  KH - baseline and its se in the paper's notation (\"+1.0(2)\"), the two-sided paired t-test\n"
    "  p-value, and the pairs where KH is better. Seeds only one side has are ignored and listed;\n"
    "  failed runs never pair; diverged runs are left out and counted unless --include-diverged.\n"
    "  --metric            max_val_accuracy final_val_accuracy final_train_accuracy final_accuracy_gap\n"
    "                      (train - val accuracy at the last epoch) final_val_mse min_val_mse\n"
    "                      final_val_cross_entropy min_val_cross_entropy final_val_pll\n"
    "                      receptive_field_overlap train_seconds_per_epoch\n"
    "  --where             the KH runs to compare, as for khsweep query (baselines are found in the\n"
    "                      whole store)\n"
    "  --include-diverged  pair diverged runs too, marked in the output\n"
    "  --format            table (default), csv (raw values; accuracy as a fraction) or json\n";


struct Columns {
  std::vector<std::string> setting;  // non-KH configuration columns that tell configurations apart
  std::vector<std::string> kh;       // the KH parameters shown
};

Columns shown_columns(const store::IndexTable& table, const std::vector<results::Comparison>& comparisons) {
  std::vector<std::size_t> rows;
  for (const auto& c : comparisons) rows.push_back(c.kh_rows.front());
  Columns out;
  const auto& kh_columns = results::kh_parameter_columns();
  const std::vector<std::string> varying = results::varying_columns(table, rows);
  for (const std::string& column : varying) {
    if (std::find(kh_columns.begin(), kh_columns.end(), column) != kh_columns.end()) continue;
    // The data checksums tell datasets apart; the data's name says it better.
    const std::string shown = column == "train_checksum" || column == "validation_checksum" ? "data" : column;
    if (std::find(out.setting.begin(), out.setting.end(), shown) == out.setting.end()) out.setting.push_back(shown);
  }
  // kh and the tuned KH settings for every configuration; the other KH settings only when they vary.
  const auto& always_shown = results::kh_choice_columns();
  out.kh = always_shown;
  for (const std::string& column : kh_columns)
    if (std::find(always_shown.begin(), always_shown.end(), column) == always_shown.end() &&
        std::find(varying.begin(), varying.end(), column) != varying.end())
      out.kh.push_back(column);
  return out;
}

std::string seed_list(const std::vector<std::uint64_t>& seeds) {
  std::string out;
  for (std::uint64_t s : seeds) out += (out.empty() ? "" : ",") + std::to_string(s);
  return out;
}

// "seeds 4,5: no baseline run with this seed"-style lines, one per reason.
std::vector<std::string> notes_of(const results::Comparison& c) {
  std::vector<std::string> notes;
  if (c.baseline_rows == 0) notes.emplace_back("no baseline (kh=none) runs of this configuration in the store");
  std::map<results::Unpaired, std::vector<std::uint64_t>> by_reason;
  for (const auto& l : c.left_out) by_reason[l.why].push_back(l.seed);
  for (const auto& [why, seeds] : by_reason) {
    if (why == results::Unpaired::no_baseline_run && c.baseline_rows == 0) continue;
    std::string line = std::string(seeds.size() == 1 ? "seed " : "seeds ") + seed_list(seeds) + ": " +
                       results::unpaired_text(why);
    switch (why) {
      case results::Unpaired::no_baseline_run:
      case results::Unpaired::no_kh_run: line += ", ignored"; break;
      case results::Unpaired::diverged: line += ", left out (--include-diverged pairs them)"; break;
      default: line += ", left out"; break;
    }
    notes.push_back(line);
  }
  if (const int d = c.diverged_pairs(); d > 0)
    notes.push_back(std::to_string(d) + (d == 1 ? " pair includes" : " pairs include") + " a diverged run");
  if (c.pairs.size() == 1) notes.emplace_back("one pair: no standard error or p-value");
  if (c.pairs.empty() && c.baseline_rows > 0) notes.emplace_back("no pairs: nothing compared");
  return notes;
}

std::string signed_notation(const std::string& metric, const results::Stats& s) {
  if (s.n == 0) return "-";
  const std::string text = results::format_stats(metric, s);
  return s.mean >= 0 && text.front() != '-' ? "+" + text : text;
}

std::string p_text(double p) {
  if (std::isnan(p)) return "-";
  char text[32];
  if (p < 1e-4)
    std::snprintf(text, sizeof text, "%.0e", p);
  else
    std::snprintf(text, sizeof text, "%.2g", p);
  return text;
}

std::string setting_value(const store::IndexTable& table, const std::string& column, std::size_t row) {
  return results::cell_text(table, column, row);
}

void print_text(const store::IndexTable& table, const std::vector<results::Comparison>& comparisons,
                const Columns& columns, const std::string& metric) {
  const std::string unit = results::metric_display(metric).unit;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"#"};
  header.insert(header.end(), columns.setting.begin(), columns.setting.end());
  header.insert(header.end(), columns.kh.begin(), columns.kh.end());
  for (const char* h : {"pairs", "KH", "baseline", "KH - baseline", "p", "KH better"}) header.emplace_back(h);
  rows.push_back(header);
  for (std::size_t i = 0; i < comparisons.size(); ++i) {
    const results::Comparison& c = comparisons[i];
    const std::size_t row = c.kh_rows.front();
    std::vector<std::string> line = {std::to_string(i + 1)};
    for (const auto& column : columns.setting) line.push_back(setting_value(table, column, row));
    for (const auto& column : columns.kh) line.push_back(setting_value(table, column, row));
    line.push_back(std::to_string(c.pairs.size()) + (c.diverged_pairs() > 0 ? "*" : ""));
    line.push_back(results::format_stats(metric, c.kh));
    line.push_back(results::format_stats(metric, c.baseline));
    line.push_back(signed_notation(metric, c.difference));
    line.push_back(p_text(c.p_value));
    line.push_back(c.pairs.empty() ? "-" : std::to_string(c.kh_wins) + "/" + std::to_string(c.pairs.size()));
    rows.push_back(line);
  }
  std::cout << "khsweep compare: " << metric << (unit.empty() ? "" : " (" + unit + ")")
            << ", each KH configuration minus its baseline, paired by seed\n";
  print_table(rows, 1 + columns.setting.size() + columns.kh.size());

  int pairs = 0, ignored = 0, diverged = 0, failed = 0, unmeasured = 0, included = 0;
  for (std::size_t i = 0; i < comparisons.size(); ++i) {
    const results::Comparison& c = comparisons[i];
    pairs += static_cast<int>(c.pairs.size());
    ignored += c.count(results::Unpaired::no_baseline_run) + c.count(results::Unpaired::no_kh_run);
    diverged += c.count(results::Unpaired::diverged);
    failed += c.count(results::Unpaired::failed);
    unmeasured += c.count(results::Unpaired::not_measured);
    included += c.diverged_pairs();
    for (const std::string& note : notes_of(c)) std::cout << "#" << (i + 1) << ": " << note << "\n";
  }
  std::cout << "mean(se) over the pairs, se in units of the last digit; p: two-sided paired t-test; "
               "KH better: pairs where KH's "
            << metric << " is " << (results::lower_is_better(metric) ? "lower" : "higher") << "\n";
  std::cout << pairs << " pair" << (pairs == 1 ? "" : "s") << " in " << comparisons.size() << " configuration"
            << (comparisons.size() == 1 ? "" : "s") << "; left out: " << diverged << " diverged, " << failed
            << " failed, " << unmeasured << " not measured; " << ignored << " unpaired seed"
            << (ignored == 1 ? "" : "s") << " ignored";
  if (included > 0) std::cout << "; " << included << " pair" << (included == 1 ? "" : "s") << " with a diverged run included (*)";
  std::cout << "\n";
}

std::string csv_value(double v) {
  const std::string text = json_number(v);
  return text == "null" ? "" : text;
}

void print_csv(const store::IndexTable& table, const std::vector<results::Comparison>& comparisons,
               const Columns& columns, const std::string& metric) {
  std::string header = "index";
  for (const auto& c : columns.setting) header += "," + csv_field(c);
  for (const auto& c : columns.kh) header += "," + csv_field(c);
  header +=
      ",metric,pairs,paired_seeds,diverged_pairs,kh_mean,kh_se,baseline_mean,baseline_se,difference_mean,"
      "difference_sd,difference_se,t,df,p_value,kh_better,baseline_better,ties,no_baseline_run,no_kh_run,"
      "diverged_left_out,failed,not_measured,notes";
  std::cout << header << "\n";
  for (std::size_t i = 0; i < comparisons.size(); ++i) {
    const results::Comparison& c = comparisons[i];
    const std::size_t row = c.kh_rows.front();
    std::string line = std::to_string(i + 1);
    for (const auto& column : columns.setting) line += "," + csv_field(setting_value(table, column, row));
    for (const auto& column : columns.kh) line += "," + csv_field(setting_value(table, column, row));
    std::vector<std::uint64_t> seeds;
    for (const auto& p : c.pairs) seeds.push_back(p.seed);
    const std::string notes = join(notes_of(c), "; ");
    line += "," + metric + "," + std::to_string(c.pairs.size()) + "," + csv_field(seed_list(seeds)) + "," +
            std::to_string(c.diverged_pairs()) + "," + csv_value(c.kh.mean) + "," + csv_value(c.kh.se) + "," +
            csv_value(c.baseline.mean) + "," + csv_value(c.baseline.se) + "," + csv_value(c.difference.mean) + "," +
            csv_value(c.difference.sd) + "," + csv_value(c.difference.se) + "," + csv_value(c.t) + "," +
            (c.pairs.size() >= 2 ? std::to_string(c.pairs.size() - 1) : "") + "," + csv_value(c.p_value) + "," +
            std::to_string(c.kh_wins) + "," + std::to_string(c.baseline_wins) + "," + std::to_string(c.ties) + "," +
            std::to_string(c.count(results::Unpaired::no_baseline_run)) + "," +
            std::to_string(c.count(results::Unpaired::no_kh_run)) + "," +
            std::to_string(c.count(results::Unpaired::diverged)) + "," +
            std::to_string(c.count(results::Unpaired::failed)) + "," +
            std::to_string(c.count(results::Unpaired::not_measured)) + "," + csv_field(notes);
    std::cout << line << "\n";
  }
}

std::string json_cell(const store::IndexTable& table, const std::string& column, std::size_t row) {
  const store::IndexColumn* c = table.find(column);
  if (c != nullptr && !c->is_text) return json_number(c->numbers.at(row));
  return json_string(setting_value(table, column, row));
}

void print_json(const store::IndexTable& table, const std::vector<results::Comparison>& comparisons,
                const Columns& columns, const std::string& metric) {
  const auto stats = [](const results::Stats& s) {
    return "{\"n\": " + std::to_string(s.n) + ", \"mean\": " + json_number(s.mean) + ", \"sd\": " + json_number(s.sd) +
           ", \"se\": " + json_number(s.se) + "}";
  };
  std::cout << "[";
  for (std::size_t i = 0; i < comparisons.size(); ++i) {
    const results::Comparison& c = comparisons[i];
    const std::size_t row = c.kh_rows.front();
    std::cout << (i ? ",\n " : "\n ") << "{\"configuration\": {";
    bool first = true;
    for (const auto* list : {&columns.setting, &columns.kh})
      for (const auto& column : *list) {
        std::cout << (first ? "" : ", ") << json_string(column) << ": " << json_cell(table, column, row);
        first = false;
      }
    std::cout << "}, \"metric\": " << json_string(metric) << ", \"pairs\": [";
    for (std::size_t p = 0; p < c.pairs.size(); ++p) {
      const auto& pair = c.pairs[p];
      std::cout << (p ? ", " : "") << "{\"seed\": " << pair.seed << ", \"kh\": " << json_number(pair.kh)
                << ", \"baseline\": " << json_number(pair.baseline)
                << ", \"diverged\": " << (pair.diverged ? "true" : "false") << "}";
    }
    std::cout << "], \"kh\": " << stats(c.kh) << ", \"baseline\": " << stats(c.baseline)
              << ", \"difference\": " << stats(c.difference) << ", \"t\": " << json_number(c.t)
              << ", \"df\": " << (c.pairs.size() >= 2 ? std::to_string(c.pairs.size() - 1) : "null")
              << ", \"p_value\": " << json_number(c.p_value) << ", \"kh_better\": " << c.kh_wins
              << ", \"baseline_better\": " << c.baseline_wins << ", \"ties\": " << c.ties << ", \"left_out\": [";
    for (std::size_t l = 0; l < c.left_out.size(); ++l)
      std::cout << (l ? ", " : "") << "{\"seed\": " << c.left_out[l].seed
                << ", \"why\": " << json_string(results::unpaired_text(c.left_out[l].why)) << "}";
    std::cout << "], \"notes\": [";
    const auto notes = notes_of(c);
    for (std::size_t n = 0; n < notes.size(); ++n) std::cout << (n ? ", " : "") << json_string(notes[n]);
    std::cout << "]}";
  }
  std::cout << (comparisons.empty() ? "]\n" : "\n]\n");
}

}  // namespace

int compare_command(const std::vector<std::string>& args) {
  ArgReader in(args, "compare");
  std::string store_path, where, metric, format = "table";
  results::CompareOptions options;
  while (in.next()) {
    if (in.help()) {
      std::cout << kUsage;
      return kExitOk;
    }
    if (in.positional()) {
      in.take_store(store_path);
      continue;
    }
    if (in.arg() == "--include-diverged") {
      options.include_diverged = true;
      continue;
    }
    const std::string& option = in.option();
    if (!in.option_is_one_of({"--where", "--metric", "--format"})) {
      in.unknown_option();
      continue;
    }
    const std::optional<std::string> value = in.value();
    if (!value) continue;
    if (option == "--where") {
      append_where(where, *value);
    } else if (option == "--format") {
      format = *value;
      if (format != "table" && format != "csv" && format != "json")
        in.problem("--format must be table, csv or json, got '" + format + "'");
    } else {
      metric = *value;
      if (!is_summary_metric(metric))
        in.problem(unknown_summary_metric(metric));
    }
  }
  std::vector<std::string>& problems = in.problems();
  if (store_path.empty()) problems.emplace_back("no STORE given");
  if (metric.empty()) problems.emplace_back("--metric M is required (e.g. max_val_accuracy or min_val_mse)");
  if (!problems.empty()) {
    print_problems("compare", problems);
    return kExitUsage;
  }

  store::IndexTable table;
  std::vector<results::Comparison> comparisons;
  try {
    table = results::read_store_index(store_path, 60.0);
    std::vector<std::string> usage;
    const auto rows = rows_where(table, where, usage);
    if (!rows) {
      print_problems("compare", usage);
      return kExitUsage;
    }
    comparisons = results::compare_to_baselines(table, *rows, metric, options);
  } catch (const Error& e) {
    print_problem("compare", e.what());
    return kExitInput;
  }
  if (comparisons.empty()) {
    std::cout << "khsweep compare: no KH runs (kh != none)" << (where.empty() ? "" : " match --where " + where)
              << " in " << store_path << ": nothing to compare\n";
    return kExitOk;
  }
  const Columns columns = shown_columns(table, comparisons);
  if (format == "csv")
    print_csv(table, comparisons, columns, metric);
  else if (format == "json")
    print_json(table, comparisons, columns, metric);
  else
    print_text(table, comparisons, columns, metric);
  return kExitOk;
}

}  // namespace khsweep::cli
