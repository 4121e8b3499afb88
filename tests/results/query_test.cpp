// `khsweep query`: columns, sorting, limits, the three output formats, and the command's errors
// and exit codes, on a real store.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "../support/command_output.hpp"
#include "../support/scratch.hpp"
#include "six_run_store.hpp"
#include "khsweep/cli/commands.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/results/query.hpp"
#include "khsweep/store/sweep_store.hpp"

using namespace khsweep;
using namespace khsweep::testing;
using Rows = std::vector<std::size_t>;
using Names = std::vector<std::string>;

namespace {

// Rows 0..5: hidden 16 16 32 32 100 100; init lecun lecun lecun std lecun std; kh none none top_down
// top_down bottom_up top_down; eps0 nan nan 0.01 0.02 0.01 0.05; seed 1 2 1 2 3 1;
// min_val_mse 0.3 0.2 0.1 0.2 0.15 nan (row 5 failed, with a reason that needs quoting).
std::filesystem::path make_store(const ScratchDir& dir) {
  const auto path = dir / "s.h5";
  write_six_run_store(path, 0.20, "it \"broke\", badly");
  return path;
}

std::string joined(const Names& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

std::string printed(const store::IndexTable& table, const results::QueryResult& r, results::OutputFormat f) {
  std::ostringstream out;
  results::write_result(out, table, r, f);
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text, const std::string& end = "\n") {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t at = text.find(end); at != std::string::npos; at = text.find(end, start)) {
    lines.push_back(text.substr(start, at - start));
    start = at + end.size();
  }
  BOOST_TEST(start == text.size(), "text does not end with a line end");
  return lines;
}

CommandOutput run_query_command(const std::vector<std::string>& args) {
  return capture_output([&] { return cli::query_command(args); });
}

}  // namespace

BOOST_AUTO_TEST_CASE(default_columns_show_identity_what_varies_and_the_outcome) {
  ScratchDir dir("khsweep-query-test-");
  const auto table = results::read_store_index(make_store(dir));
  const auto all = results::run_query(table, {});
  BOOST_TEST(all.rows == (Rows{0, 1, 2, 3, 4, 5}));
  BOOST_TEST(joined(all.columns) == "id status sweep arm hidden init kh eps0 delta S l p R min_val_mse max_val_accuracy "
                                    "epochs_trained");
  results::QuerySpec spec;
  spec.where = "kh=top-down,M=32";
  BOOST_TEST(joined(results::run_query(table, spec).columns) ==
             "id status sweep arm init eps0 R min_val_mse max_val_accuracy epochs_trained");
  spec.columns = {"all"};
  BOOST_TEST(results::run_query(table, spec).columns.size() == table.columns.size());
  spec.columns = {"id", "M", "Delta", "learning-rate"};
  BOOST_TEST(results::run_query(table, spec).columns == (Names{"id", "hidden", "delta", "learning_rate"}));
}

BOOST_AUTO_TEST_CASE(sorting_is_stable_puts_nan_last_and_the_limit_applies_after_it) {
  ScratchDir dir("khsweep-query-test-");
  const auto table = results::read_store_index(make_store(dir));
  results::QuerySpec spec;
  spec.sort = "min_val_mse";
  BOOST_TEST(results::run_query(table, spec).rows == (Rows{2, 4, 1, 3, 0, 5}));  // 1 and 3 tie: table order
  spec.descending = true;
  BOOST_TEST(results::run_query(table, spec).rows == (Rows{0, 1, 3, 4, 2, 5}));
  spec.limit = 2;
  BOOST_TEST(results::run_query(table, spec).rows == (Rows{0, 1}));
  spec = {};
  spec.sort = "init";  // text sorts too
  BOOST_TEST(results::run_query(table, spec).rows == (Rows{0, 1, 2, 4, 3, 5}));
  spec.where = "status!=failed";
  spec.sort = "M";
  spec.descending = true;
  spec.limit = 3;
  BOOST_TEST(results::run_query(table, spec).rows == (Rows{4, 2, 3}));
  // the sort key joins the default columns
  spec.sort = "seed";
  const auto by_seed = results::run_query(table, spec);
  BOOST_TEST(by_seed.columns.back() == "seed");
}

BOOST_AUTO_TEST_CASE(bad_columns_and_sort_keys_are_reported_with_the_where_problems) {
  ScratchDir dir("khsweep-query-test-");
  const auto table = results::read_store_index(make_store(dir));
  results::QuerySpec spec;
  spec.where = "hiden=1";
  spec.columns = {"id", "min_val_mes"};
  spec.sort = "sed";
  const std::string message = error_of([&] { (void)results::run_query(table, spec); });
  KHSWEEP_CHECK_MESSAGE_HAS(message, "'hiden=1': unknown column 'hiden'; did you mean 'hidden'?");
  KHSWEEP_CHECK_MESSAGE_HAS(message, "--columns: unknown column 'min_val_mes'; did you mean 'min_val_mse'?");
  KHSWEEP_CHECK_MESSAGE_HAS(message, "--sort: unknown column 'sed'; did you mean 'seed'?");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([] { (void)results::parse_output_format("xml"); }),
                            "unknown format 'xml' (expected table, csv or json)");
}

BOOST_AUTO_TEST_CASE(the_three_formats_print_the_same_cells) {
  ScratchDir dir("khsweep-query-test-");
  const auto table = results::read_store_index(make_store(dir));
  results::QuerySpec spec;
  spec.where = "hidden>=32";
  spec.columns = {"id", "hidden", "kh", "eps0", "min_val_mse", "reason"};
  spec.sort = "hidden";
  const auto result = results::run_query(table, spec);
  BOOST_TEST_REQUIRE(result.rows == (Rows{2, 3, 4, 5}));

  // table: a header, numbers right-aligned, text left-aligned, no trailing blanks
  const auto text = lines_of(printed(table, result, results::OutputFormat::table));
  BOOST_TEST_REQUIRE(text.size() == 5u);
  BOOST_TEST(text[0] == "id                hidden  kh         eps0  min_val_mse  reason");
  BOOST_TEST(text[1] == "00000000000000a3      32  top_down   0.01          0.1");
  BOOST_TEST(text[3] == "00000000000000a5     100  bottom_up  0.01         0.15");
  BOOST_TEST(text[4] == "00000000000000a6     100  top_down   0.05          nan  it \"broke\", badly");

  // csv: RFC 4180, CRLF line ends, the failure's quotes and comma survive
  const auto csv = lines_of(printed(table, result, results::OutputFormat::csv), "\r\n");
  BOOST_TEST_REQUIRE(csv.size() == 5u);
  BOOST_TEST(csv_fields(csv[0]) == (Names{"id", "hidden", "kh", "eps0", "min_val_mse", "reason"}));
  BOOST_TEST(csv_fields(csv[2]) == (Names{"00000000000000a4", "32", "top_down", "0.02", "0.2", ""}));
  BOOST_TEST(csv_fields(csv[4]) == (Names{"00000000000000a6", "100", "top_down", "0.05", "nan", "it \"broke\", badly"}));
  BOOST_TEST(csv[4] == "00000000000000a6,100,top_down,0.05,nan,\"it \"\"broke\"\", badly\"");

  // json: one object per row, numbers as numbers, NaN as null, strings escaped
  const std::string json = printed(table, result, results::OutputFormat::json);
  const auto objects = lines_of(json);
  BOOST_TEST_REQUIRE(objects.size() == 6u);
  BOOST_TEST(objects.front() == "[");
  BOOST_TEST(objects.back() == "]");
  BOOST_TEST(objects[1] == "  {\"id\": \"00000000000000a3\", \"hidden\": 32, \"kh\": \"top_down\", \"eps0\": 0.01, "
                           "\"min_val_mse\": 0.1, \"reason\": \"\"},");
  BOOST_TEST(objects[4] == "  {\"id\": \"00000000000000a6\", \"hidden\": 100, \"kh\": \"top_down\", \"eps0\": 0.05, "
                           "\"min_val_mse\": null, \"reason\": \"it \\\"broke\\\", badly\"}");
  results::QuerySpec none;
  none.where = "hidden=7";
  BOOST_TEST(printed(table, results::run_query(table, none), results::OutputFormat::json) == "[]\n");
}

BOOST_AUTO_TEST_CASE(the_command_prints_the_query_and_exits_zero) {
  ScratchDir dir("khsweep-query-test-");
  const std::string store = make_store(dir).string();
  const auto r = run_query_command({store, "--where", "init=lecun,M=32,kh=top-down,eps0>=0.01", "--columns",
                                    "id,hidden,eps0,min_val_mse", "--sort", "min_val_mse", "--desc", "--limit", "10",
                                    "--format", "csv"});
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.err == "");
  BOOST_TEST(r.out == "id,hidden,eps0,min_val_mse\r\n00000000000000a3,32,0.01,0.1\r\n");
  const auto json = run_query_command({store, "--format=json", "--limit=1", "--sort=eps0", "--columns=id,eps0"});
  BOOST_TEST(json.out == "[\n  {\"id\": \"00000000000000a3\", \"eps0\": 0.01}\n]\n");
  const auto table = run_query_command({store});
  BOOST_TEST(table.code == 0);
  BOOST_TEST(lines_of(table.out).size() == 7u);
}

BOOST_AUTO_TEST_CASE(the_command_lists_every_usage_problem_and_exits_2) {
  ScratchDir dir("khsweep-query-test-");
  const std::string store = make_store(dir).string();
  const auto r = run_query_command({store, "--where", "hiden=100,eps0>>1", "--sort", "sed", "--format", "xml",
                                    "--limit", "0", "--colour"});
  BOOST_TEST(r.code == kExitUsage);
  BOOST_TEST(r.out == "");
  KHSWEEP_CHECK_MESSAGE_HAS(r.err, "khsweep query: 'hiden=100': unknown column 'hiden'; did you mean 'hidden'?\n");
  KHSWEEP_CHECK_MESSAGE_HAS(r.err, "khsweep query: 'eps0>>1': expected column OP value");
  KHSWEEP_CHECK_MESSAGE_HAS(r.err, "khsweep query: --sort: unknown column 'sed'; did you mean 'seed'?\n");
  KHSWEEP_CHECK_MESSAGE_HAS(r.err, "khsweep query: --format: unknown format 'xml'");
  KHSWEEP_CHECK_MESSAGE_HAS(r.err, "khsweep query: --limit must be a whole number >= 1, got '0'\n");
  KHSWEEP_CHECK_MESSAGE_HAS(r.err, "khsweep query: unknown option '--colour'");
  BOOST_TEST(run_query_command({store, "--where", "init<lecun"}).code == kExitUsage);
  BOOST_TEST(run_query_command({store, "--limit", "ten"}).code == kExitUsage);
  BOOST_TEST(run_query_command({}).code == kExitUsage);
}

BOOST_AUTO_TEST_CASE(a_missing_or_corrupt_store_exits_3) {
  ScratchDir dir("khsweep-query-test-");
  const auto missing = run_query_command({(dir / "none.h5").string()});
  BOOST_TEST(missing.code == kExitInput);
  KHSWEEP_CHECK_MESSAGE_HAS(missing.err, "khsweep query: ");
  KHSWEEP_CHECK_MESSAGE_HAS(missing.err, "no such store");
  std::ofstream(dir / "junk.h5") << "not an HDF5 file";
  const auto junk = run_query_command({(dir / "junk.h5").string()});
  BOOST_TEST(junk.code == kExitInput);
  KHSWEEP_CHECK_MESSAGE_HAS(junk.err, "junk.h5");
}

BOOST_AUTO_TEST_CASE(a_store_can_be_queried_while_its_coordinator_holds_it) {
  ScratchDir dir("khsweep-query-test-");
  const auto path = make_store(dir);
  auto live = store::SweepStore::open_for_sweep(path, test_job_info());  // holds the coordinator lock
  BOOST_TEST(results::read_store_index(path).rows == 6u);
  live.finish_job("completed");
}
