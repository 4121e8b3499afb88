#pragma once
// Command-line mechanics shared by the commands: ArgReader walks every command's arguments
// ("--x v" / "--x=v" options, collecting problems); then printing "khsweep <cmd>: " lines, and for
// the results commands (query, aggregate, best, compare, plot) the rows a --where selects and the
// plain-text table they print.
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "khsweep/store/index.hpp"

namespace khsweep::cli {

// Walks a command's arguments. Each step is one argument: --help/-h, a positional one, or an option
// whose value is the part after '=' ("--limit=10") or, when asked for, the next argument. Mistakes
// are collected in problems() rather than thrown, so that a command can report all of them at once.
class ArgReader {
 public:
  ArgReader(const std::vector<std::string>& args, std::string command);

  // Advances to the next argument; false when there are none left.
  bool next();

  [[nodiscard]] const std::string& arg() const { return args_[at_]; }  // as given, "--x=v" included
  [[nodiscard]] std::size_t position() const { return at_; }            // of arg() among the arguments
  [[nodiscard]] bool help() const { return arg() == "--help" || arg() == "-h"; }
  // Not an option: text that does not start with '-' (or a lone "-").
  [[nodiscard]] bool positional() const { return arg().empty() || arg()[0] != '-' || arg() == "-"; }
  [[nodiscard]] const std::string& option() const { return option_; }  // the name, without "=value"
  [[nodiscard]] const std::optional<std::string>& inline_value() const { return inline_value_; }
  [[nodiscard]] bool option_is_one_of(std::initializer_list<const char*> names) const;

  // The option's value: after '=', else the next argument (consumed). When there is none, records
  // "<option> needs a value" and returns nothing.
  std::optional<std::string> value();
  // The option's value when one is there: after '=', else the next argument unless that is another
  // "--option" (consumed). Nothing, and no problem, otherwise: for a value that may be left out.
  std::optional<std::string> value_if_given();
  // Whether the value text is a number > 0 (seconds, a rate); records "<option>: expected <what>,
  // got '<text>'" otherwise.
  std::optional<double> positive_number(const std::string& text, const char* what);

  // A positional argument as the one STORE: the first fills `store_path`, later ones are problems.
  void take_store(std::string& store_path);
  // Records "unknown option '<option>' (see khsweep <command> --help)".
  void unknown_option();

  void problem(std::string message) { problems_.push_back(std::move(message)); }
  [[nodiscard]] std::vector<std::string>& problems() { return problems_; }

 private:
  const std::vector<std::string>& args_;
  std::string command_;
  std::size_t at_ = 0;
  bool started_ = false;
  std::string option_;
  std::optional<std::string> inline_value_;
  std::vector<std::string> problems_;
};

// An on/off option of a command that takes one STORE and such flags (recover, check).
struct Flag {
  const char* name;  // "--repair"
  bool* set;
};
// Reads "STORE [FLAG...]" into `store_path` and the flags. Returns the exit code to stop with after
// printing `usage` (--help, exit 0) or the mistakes (exit 2), or nothing to go on.
[[nodiscard]] std::optional<int> read_store_and_flags(const std::vector<std::string>& args, const std::string& command,
                                                      const char* usage, std::string& store_path,
                                                      std::initializer_list<Flag> flags = {});

// Appends one --where to the ones before (repeated --where: all must hold).
void append_where(std::string& where, const std::string& more);

// "; did you mean 'x'?" when one of `candidates` is close to `name`, else "".
[[nodiscard]] std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

// Prints "khsweep <command>: <message>" to stderr, the message as it is.
void print_problem(const std::string& command, const std::string& message);
// Prints each line of `message` to stderr as "khsweep <command>: <line>".
void print_problem_lines(const std::string& command, const std::string& message);
// print_problem_lines for each message.
void print_problems(const std::string& command, const std::vector<std::string>& messages);

// The rows `where` selects (every row when it is empty); a mistake in it goes to `usage` and gives
// nothing.
[[nodiscard]] std::optional<std::vector<std::size_t>> rows_where(const store::IndexTable& table,
                                                                 const std::string& where,
                                                                 std::vector<std::string>& usage);

// "unknown metric 'x'" with a did-you-mean, or else the list of summary metrics.
[[nodiscard]] std::string unknown_summary_metric(const std::string& name);

// Whether `metric` is one of results::summary_metrics(), and its position there.
[[nodiscard]] bool is_summary_metric(const std::string& metric);
[[nodiscard]] std::size_t summary_index(const std::string& metric);

// Prints rows to stdout: text columns left-aligned, right-aligned from `first_right` on, two
// spaces apart, no trailing blanks.
void print_table(const std::vector<std::vector<std::string>>& rows, std::size_t first_right);

}  // namespace khsweep::cli
