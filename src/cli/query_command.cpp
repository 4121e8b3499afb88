// `khsweep query STORE [--where ...] [--columns ...] [--sort COL [--desc]] [--limit N] [--format F]`:
// the runs of a store as a table, CSV or JSON. Read-only, safe beside a running sweep.
#include <cstdlib>
#include <iostream>
#include <optional>

#include "khsweep/cli/commands.hpp"
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

void print_problems(const std::string& message) {
  std::size_t start = 0;
  for (std::size_t at = message.find('\n'); at != std::string::npos; at = message.find('\n', start)) {
    std::cerr << "khsweep query: " << message.substr(start, at - start) << "\n";
    start = at + 1;
  }
  std::cerr << "khsweep query: " << message.substr(start) << "\n";
}

}  // namespace

int query_command(const std::vector<std::string>& args) {
  std::vector<std::string> problems;
  std::string store_path;
  results::QuerySpec spec;
  results::OutputFormat format = results::OutputFormat::table;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string option = args[i];
    std::optional<std::string> value;
    if (option == "--help" || option == "-h") {
      std::cout << kUsage;
      return kExitOk;
    }
    if (option.rfind("--", 0) != 0) {
      if (store_path.empty())
        store_path = option;
      else
        problems.push_back("unexpected argument '" + option + "' (one STORE only)");
      continue;
    }
    if (const auto eq = option.find('='); eq != std::string::npos) {  // --limit=10
      value = option.substr(eq + 1);
      option.resize(eq);
    }
    if (option == "--desc") {
      if (value) problems.push_back("--desc takes no value");
      spec.descending = true;
      continue;
    }
    if (option != "--where" && option != "--columns" && option != "--sort" && option != "--limit" &&
        option != "--format") {
      problems.push_back("unknown option '" + option + "' (see khsweep query --help)");
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        problems.push_back(option + " needs a value");
        continue;
      }
      value = args[++i];
    }
    if (option == "--where") {
      spec.where += (spec.where.empty() ? "" : ",") + *value;  // repeated --where: all must hold
    } else if (option == "--columns") {
      spec.columns = split_list(*value);
    } else if (option == "--sort") {
      spec.sort = *value;
      if (value->empty()) problems.push_back("--sort needs a column name");
    } else if (option == "--limit") {
      char* end = nullptr;
      const long long n = std::strtoll(value->c_str(), &end, 10);
      if (value->empty() || end != value->c_str() + value->size() || n < 1)
        problems.push_back("--limit must be a whole number >= 1, got '" + *value + "'");
      else
        spec.limit = static_cast<std::size_t>(n);
    } else {
      try {
        format = results::parse_output_format(*value);
      } catch (const Error& e) {
        problems.push_back(std::string("--format: ") + e.what());
      }
    }
  }
  if (store_path.empty()) problems.emplace_back("no STORE given");
  if (spec.descending && spec.sort.empty()) problems.emplace_back("--desc needs --sort COLUMN");

  store::IndexTable table;
  try {
    if (store_path.empty()) throw Error("no STORE given");
    table = results::read_store_index(store_path);
  } catch (const Error& e) {
    if (problems.empty()) {
      print_problems(e.what());
      return kExitInput;
    }
    for (const auto& p : problems) print_problems(p);
    std::cerr << kUsage;
    return kExitUsage;
  }

  results::QueryResult result;
  try {
    result = results::run_query(table, spec);
  } catch (const Error& e) {
    for (const auto& p : problems) print_problems(p);
    print_problems(e.what());
    return kExitUsage;
  }
  if (!problems.empty()) {
    for (const auto& p : problems) print_problems(p);
    return kExitUsage;
  }
  results::write_result(std::cout, table, result, format);
  std::cout.flush();
  return kExitOk;
}

}  // namespace khsweep::cli
