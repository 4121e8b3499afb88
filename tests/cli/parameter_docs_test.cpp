// The docs and `khsweep train --help` name every run parameter as the parameter table does, in its
// order: a parameter added, renamed or removed in the table fails here until the docs follow.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "khsweep/cli/train_request.hpp"
#include "khsweep/store/index.hpp"
#include "khsweep/train/run_params.hpp"

namespace fs = std::filesystem;
using khsweep::train::ParamSpec;

namespace {

const fs::path kSourceDir = KHSWEEP_SOURCE_DIR;

std::string read_doc(const std::string& relative) {
  std::ifstream in(kSourceDir / relative, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot read " << relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// 2 for "## Title", 0 for a line that is not a Markdown heading.
std::size_t heading_level(const std::string& line) {
  const std::size_t hashes = line.find_first_not_of('#');
  if (hashes == 0 || hashes == std::string::npos || line[hashes] != ' ') return 0;
  return hashes;
}

// A doc's part under one heading, e.g. "## Parameters": the lines after it up to the next heading
// of the same or a higher level. Only this part counts, so a name mentioned elsewhere in the file
// cannot stand in for a missing one. Lines inside ``` fences are never headings (a YAML comment).
struct Section {
  std::string where;  // "docs/store.md, section '### `/runs` columns'", for messages
  std::string text;
};

Section section(const std::string& doc, const std::string& heading) {
  Section found{doc + ", section '" + heading + "'", ""};
  std::istringstream lines(read_doc(doc));
  std::string line;
  std::size_t level = 0;  // the section's heading level once its heading was seen
  bool in_fence = false;
  bool seen = false;
  while (std::getline(lines, line)) {
    if (line.rfind("```", 0) == 0) in_fence = !in_fence;
    const std::size_t line_level = in_fence ? 0 : heading_level(line);
    if (!seen) {
      if (line_level > 0 && line == heading) {
        seen = true;
        level = line_level;
      }
      continue;
    }
    if (line_level > 0 && line_level <= level) break;
    found.text += line + "\n";
  }
  BOOST_REQUIRE_MESSAGE(seen, doc << " has no heading '" << heading << "'");
  return found;
}

// Each name must stand in `section` as `name` (backticked), each after the one before it.
void expect_in_order(const Section& section, const std::vector<std::string>& names) {
  std::size_t from = 0;
  std::string previous;
  for (const std::string& name : names) {
    const std::string quoted = "`" + name + "`";
    const std::size_t at = section.text.find(quoted, from);
    if (at != std::string::npos) {
      from = at + quoted.size();
      previous = name;
      continue;
    }
    if (section.text.find(quoted) == std::string::npos)
      BOOST_ERROR(section.where << ": parameter " << quoted << " is missing");
    else
      BOOST_ERROR(section.where << ": parameter " << quoted << " is out of order: it must come after `" << previous
                                << "`, as in the parameter table");
  }
}

// The first cell of each row of the section's table whose first cell is `name`: the names the
// table lists, so a row left behind by a removed or renamed parameter is caught too.
std::vector<std::string> table_row_names(const Section& section) {
  std::vector<std::string> names;
  std::istringstream lines(section.text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::size_t end = line.find('`', 3);
    if (end != std::string::npos) names.push_back(line.substr(3, end - 3));
  }
  return names;
}

void expect_no_other_rows(const Section& section, const std::vector<std::string>& names) {
  for (const std::string& row : table_row_names(section))
    if (std::find(names.begin(), names.end(), row) == names.end())
      BOOST_ERROR(section.where << ": the table has a row `" << row << "`, which is not one of these parameters");
}

std::vector<std::string> every_parameter() {
  return khsweep::train::parameter_names([](const ParamSpec&) { return true; });
}

// The /config attributes: every parameter except those that pick the data.
std::vector<std::string> model_parameters() {
  return khsweep::train::parameter_names([](const ParamSpec& spec) { return !spec.selects_data; });
}

}  // namespace

BOOST_AUTO_TEST_CASE(sweep_files_lists_every_parameter_in_table_order) {
  const Section parameters = section("docs/sweep-files.md", "## Parameters");
  expect_in_order(parameters, every_parameter());
  expect_no_other_rows(parameters, every_parameter());
}

BOOST_AUTO_TEST_CASE(store_lists_every_parameter_column_in_runs_order) {
  // /runs holds the model's parameters before the data's: the order h5py shows is index_fields'.
  std::vector<std::string> columns;
  for (const auto& field : khsweep::store::index_fields())
    if (khsweep::train::find_parameter(field.name) != nullptr) columns.push_back(field.name);
  std::vector<std::string> sorted_columns = columns, sorted_parameters = every_parameter();
  std::sort(sorted_columns.begin(), sorted_columns.end());
  std::sort(sorted_parameters.begin(), sorted_parameters.end());
  BOOST_CHECK_MESSAGE(sorted_columns == sorted_parameters, "every parameter must have exactly one /runs column");

  expect_in_order(section("docs/store.md", "### `/runs` columns"), columns);
}

BOOST_AUTO_TEST_CASE(run_file_lists_every_config_attribute_in_table_order) {
  const Section config = section("docs/run-file.md", "### `/config` attributes");
  expect_in_order(config, model_parameters());
  expect_no_other_rows(config, model_parameters());
}

BOOST_AUTO_TEST_CASE(train_usage_has_a_flag_for_every_parameter) {
  const std::string usage = khsweep::cli::train_usage();
  for (const std::string& name : every_parameter()) {
    // "--p X" must not pass for a missing --p because --persistent is there.
    const std::string flag = "--" + name;
    bool found = false;
    for (std::size_t at = usage.find(flag); at != std::string::npos && !found; at = usage.find(flag, at + 1)) {
      const std::size_t after = at + flag.size();
      found = after == usage.size() || usage[after] == ' ' || usage[after] == '\n' || usage[after] == '=';
    }
    BOOST_CHECK_MESSAGE(found, "khsweep train --help: no flag --" << name);
  }
}
