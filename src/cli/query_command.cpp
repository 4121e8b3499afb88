// `khsweep query STORE [--where ...] [--columns ...] [--sort COL [--desc]] [--limit N] [--format F]`:
// the runs of a store as a table, CSV or JSON. Read-only, safe beside a running sweep.
#include <cstdlib>
#include <iostream>
#include <optional>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/results/query.hpp"

namespace khsweep::cli {

namespace {

constexpr const char* kUsage =
    "usage: khsweep query STORE.h5 [--where CONDITIONS] [--columns C1,C2,...|all] [--sort COLUMN [--desc]]\n"
    "                     [--limit N] [--format table|csv|json]\n"
    "  --where    conditions separated by commas, all must hold: column OP value with OP one of\n"
    "             = != < <= > >=, or 'column in v1|v2|v3'; e.g. \"init=lecun,M=100,kh=top-down,eps0>=0.01\".\n"
    "             Columns are the /runs columns (docs/store.md), plus M (hidden), Delta (delta), eta\n"
    "             (learning_rate). Text compares exactly ('-' reads as '_'); nan matches only '=nan'.\n"
    "  --columns  what to show (default: id, status, sweep, arm, the configuration columns that vary\n"
    "             among the selected runs, min_val_mse, max_val_accuracy, epochs_trained); 'all': every column\n"
    "  --sort     order by a column, ascending (--desc: descending); stable, NaN last\n"
    "  --limit    show at most N runs (after sorting)\n"
    "  --format   table (default), csv (RFC 4180) or json (an array of objects)\n";

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  for (std::size_t at = text.find(','); at != std::string::npos; at = text.find(',', start)) {
    names.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  names.push_back(text.substr(start));
  for (auto& name : names) {
    const auto first = name.find_first_not_of(' ');
    name = first == std::string::npos ? "" : name.substr(first, name.find_last_not_of(' ') - first + 1);
  }
  return names;
}

}  // namespace

int query_command(const std::vector<std::string>& args) {
  ArgReader in(args, "query");
  std::string store_path;
  results::QuerySpec spec;
  results::OutputFormat format = results::OutputFormat::table;
  while (in.next()) {
    if (in.help()) {
      std::cout << kUsage;
      return kExitOk;
    }
    if (in.positional()) {
      in.take_store(store_path);
      continue;
    }
    const std::string& option = in.option();
    if (option == "--desc") {
      if (in.inline_value()) in.problem("--desc takes no value");
      spec.descending = true;
      continue;
    }
    if (!in.option_is_one_of({"--where", "--columns", "--sort", "--limit", "--format"})) {
      in.unknown_option();
      continue;
    }
    const std::optional<std::string> value = in.value();
    if (!value) continue;
    if (option == "--where") {
      append_where(spec.where, *value);
    } else if (option == "--columns") {
      spec.columns = split_list(*value);
    } else if (option == "--sort") {
      spec.sort = *value;
      if (value->empty()) in.problem("--sort needs a column name");
    } else if (option == "--limit") {
      char* end = nullptr;
      const long long n = std::strtoll(value->c_str(), &end, 10);
      if (value->empty() || end != value->c_str() + value->size() || n < 1)
        in.problem("--limit must be a whole number >= 1, got '" + *value + "'");
      else
        spec.limit = static_cast<std::size_t>(n);
    } else {
      try {
        format = results::parse_output_format(*value);
      } catch (const Error& e) {
        in.problem(std::string("--format: ") + e.what());
      }
    }
  }
  std::vector<std::string>& problems = in.problems();
  if (store_path.empty()) problems.emplace_back("no STORE given");
  if (spec.descending && spec.sort.empty()) problems.emplace_back("--desc needs --sort COLUMN");

  store::IndexTable table;
  try {
    if (store_path.empty()) throw Error("no STORE given");
    table = results::read_store_index(store_path);
  } catch (const Error& e) {
    if (problems.empty()) {
      print_problem_lines("query", e.what());
      return kExitInput;
    }
    print_problems("query", problems);
    std::cerr << kUsage;
    return kExitUsage;
  }

  results::QueryResult result;
  try {
    result = results::run_query(table, spec);
  } catch (const Error& e) {
    print_problems("query", problems);
    print_problem_lines("query", e.what());
    return kExitUsage;
  }
  if (!problems.empty()) {
    print_problems("query", problems);
    return kExitUsage;
  }
  results::write_result(std::cout, table, result, format);
  std::cout.flush();
  return kExitOk;
}

}  // namespace khsweep::cli
