// Every command reads its arguments the same way (cli::ArgReader): --help prints the usage to
// stdout and exits 0; a mistake names the command and the option on stderr and exits 2, every
// mistake of the line at once, before anything is read or trained.
#include <boost/test/unit_test.hpp>

#include <functional>
#include <string>
#include <vector>

#include "../support/command_output.hpp"
#include "khsweep/cli/commands.hpp"
#include "khsweep/core/exit_codes.hpp"

using khsweep::testing::capture_output;
using khsweep::testing::CommandOutput;
namespace cli = khsweep::cli;

namespace {

struct Command {
  std::string name;
  std::function<int(const std::vector<std::string>&)> run;
};

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"train", cli::train_command},     {"plan", cli::plan_command},       {"run", cli::run_command},
      {"status", cli::status_command},   {"bench", cli::bench_command},     {"query", cli::query_command},
      {"plot", cli::plot_command},       {"aggregate", cli::aggregate_command}, {"best", cli::best_command},
      {"compare", cli::compare_command}, {"recover", cli::recover_command}, {"check", cli::check_command},
  };
  return all;
}

CommandOutput run(const Command& c, const std::vector<std::string>& args) {
  return capture_output([&] { return c.run(args); });
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(help_prints_the_usage_to_stdout_and_exits_0) {
  for (const Command& c : commands())
    for (const char* flag : {"--help", "-h"}) {
      BOOST_TEST_CONTEXT("khsweep " << c.name << " " << flag) {
        const CommandOutput out = run(c, {flag});
        BOOST_TEST(out.code == khsweep::kExitOk);
        BOOST_TEST(has(out.out, "khsweep " + c.name), out.out);
        BOOST_TEST(out.err.empty(), out.err);
      }
    }
}

BOOST_AUTO_TEST_CASE(an_unknown_option_names_the_command_and_the_option_and_exits_2) {
  for (const Command& c : commands()) {
    BOOST_TEST_CONTEXT("khsweep " << c.name) {
      const CommandOutput out = run(c, {"x.yaml", "--bogus-option"});
      BOOST_TEST(out.code == khsweep::kExitUsage);
      BOOST_TEST(has(out.err, "khsweep " + c.name + ": "), out.err);
      BOOST_TEST(has(out.err, "--bogus-option"), out.err);
      BOOST_TEST(has(out.err, "unknown option"), out.err);
      BOOST_TEST(out.out.empty(), out.out);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_option_whose_value_is_missing_says_so) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plan", "--list"}, {"run", "--store"}, {"bench", "--hidden"}, {"plot", "--metric"}, {"query", "--where"}};
  for (const auto& [name, option] : cases) {
    const auto c = std::find_if(commands().begin(), commands().end(), [&](const Command& x) { return x.name == name; });
    BOOST_TEST_CONTEXT("khsweep " << name << " " << option) {
      const CommandOutput out = run(*c, {"x.h5", option});
      BOOST_TEST(out.code == khsweep::kExitUsage);
      BOOST_TEST(has(out.err, option + " needs a value"), out.err);
    }
  }
}

// "--x=v" and "--x v" are the same, and every mistake of the line is reported, not the first only.
BOOST_AUTO_TEST_CASE(every_mistake_is_reported_at_once_and_equals_signs_are_values) {
  const Command& run_command = commands()[2];
  const CommandOutput out = run(run_command, {"a.yaml", "b.yaml", "--progress-every=0", "--bogus", "--quiet=yes"});
  BOOST_TEST(out.code == khsweep::kExitUsage);
  BOOST_TEST(has(out.err, "khsweep run: more than one sweep file given ('a.yaml' and 'b.yaml')"), out.err);
  BOOST_TEST(has(out.err, "khsweep run: --progress-every: expected a number of seconds > 0, got '0'"), out.err);
  BOOST_TEST(has(out.err, "khsweep run: unknown option '--bogus'"), out.err);
  BOOST_TEST(has(out.err, "khsweep run: unknown option '--quiet'"), out.err);  // a flag takes no value

  const Command& plan = commands()[1];
  const CommandOutput bad = run(plan, {"--list=many", "--format", "xml"});
  BOOST_TEST(bad.code == khsweep::kExitUsage);
  BOOST_TEST(has(bad.err, "--list: expected a whole number >= 0 or 'all', got 'many'"), bad.err);
  BOOST_TEST(has(bad.err, "--format: must be one of table, csv, got 'xml'"), bad.err);
}
