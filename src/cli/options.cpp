#include "khsweep/cli/options.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "khsweep/core/error.hpp"
#include "khsweep/core/exit_codes.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/results/aggregate.hpp"
#include "khsweep/results/filter.hpp"

namespace khsweep::cli {

ArgReader::ArgReader(const std::vector<std::string>& args, std::string command)
    : args_(args), command_(std::move(command)) {}

bool ArgReader::next() {
  if (started_) ++at_;
  started_ = true;
  if (at_ >= args_.size()) return false;
  option_ = arg();
  inline_value_.reset();
  if (!positional()) {
    if (const auto eq = option_.find('='); eq != std::string::npos) {
      inline_value_ = option_.substr(eq + 1);
      option_.resize(eq);
    }
  }
  return true;
}

bool ArgReader::option_is_one_of(std::initializer_list<const char*> names) const {
  return std::any_of(names.begin(), names.end(), [&](const char* name) { return option_ == name; });
}

std::optional<std::string> ArgReader::value() {
  if (inline_value_) return inline_value_;
  if (at_ + 1 >= args_.size()) {
    problems_.push_back(option_ + " needs a value");
    return std::nullopt;
  }
  return args_[++at_];
}

std::optional<std::string> ArgReader::value_if_given() {
  if (inline_value_) return inline_value_;
  if (at_ + 1 >= args_.size() || args_[at_ + 1].rfind("--", 0) == 0) return std::nullopt;
  return args_[++at_];
}

std::optional<double> ArgReader::positive_number(const std::string& text, const char* what) {
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size() && number > 0 && std::isfinite(number)) return number;
  problems_.push_back(option_ + ": expected " + what + ", got '" + text + "'");
  return std::nullopt;
}

void ArgReader::take_store(std::string& store_path) {
  if (store_path.empty())
    store_path = arg();
  else
    problems_.push_back("unexpected argument '" + arg() + "' (one STORE only)");
}

void ArgReader::unknown_option() {
  problems_.push_back("unknown option '" + option_ + "' (see khsweep " + command_ + " --help)");
}

std::optional<int> read_store_and_flags(const std::vector<std::string>& args, const std::string& command,
                                        const char* usage, std::string& store_path, std::initializer_list<Flag> flags) {
  ArgReader in(args, command);
  while (in.next()) {
    if (in.help()) {
      std::cout << usage;
      return kExitOk;
    }
    const auto flag =
        std::find_if(flags.begin(), flags.end(), [&](const Flag& f) { return !in.positional() && in.option() == f.name; });
    if (in.positional())
      in.take_store(store_path);
    else if (flag != flags.end() && !in.inline_value())
      *flag->set = true;
    else
      in.unknown_option();
  }
  if (store_path.empty()) in.problem("no STORE given");
  if (in.problems().empty()) return std::nullopt;
  print_problems(command, in.problems());
  return kExitUsage;
}

void append_where(std::string& where, const std::string& more) { where += (where.empty() ? "" : ",") + more; }

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  const auto near = closest_match(name, candidates);
  return near.empty() ? "" : "; did you mean " + in_quotes(near) + "?";
}

void print_problem(const std::string& command, const std::string& message) {
  std::cerr << "khsweep " << command << ": " << message << "\n";
}

void print_problem_lines(const std::string& command, const std::string& message) {
  const std::string prefix = "khsweep " + command + ": ";
  std::size_t start = 0;
  for (std::size_t at = message.find('\n'); at != std::string::npos; at = message.find('\n', start)) {
    std::cerr << prefix << message.substr(start, at - start) << "\n";
    start = at + 1;
  }
  std::cerr << prefix << message.substr(start) << "\n";
}

void print_problems(const std::string& command, const std::vector<std::string>& messages) {
  for (const auto& message : messages) print_problem_lines(command, message);
}

std::optional<std::vector<std::size_t>> rows_where(const store::IndexTable& table, const std::string& where,
                                                   std::vector<std::string>& usage) {
  std::vector<std::size_t> rows;
  if (where.empty()) {
    for (std::size_t r = 0; r < table.rows; ++r) rows.push_back(r);
    return rows;
  }
  try {
    return results::matching_rows(table, results::parse_where(where, table));
  } catch (const Error& e) {
    usage.push_back(e.what());
    return std::nullopt;
  }
}

std::string unknown_summary_metric(const std::string& name) {
  std::string message = "unknown metric '" + name + "'";
  if (const auto near = did_you_mean(name, results::summary_metrics()); !near.empty()) return message + near;
  return message + " (one of: " + join(results::summary_metrics(), ", ") + ")";
}

bool is_summary_metric(const std::string& metric) {
  return std::find(results::summary_metrics().begin(), results::summary_metrics().end(), metric) !=
         results::summary_metrics().end();
}

std::size_t summary_index(const std::string& metric) {
  return static_cast<std::size_t>(
      std::find(results::summary_metrics().begin(), results::summary_metrics().end(), metric) -
      results::summary_metrics().begin());
}

void print_table(const std::vector<std::vector<std::string>>& rows, std::size_t first_right) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - row[i].size(), ' ');
      line += (i == 0 ? "" : "  ") + (i < first_right ? row[i] + pad : pad + row[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

}  // namespace khsweep::cli
