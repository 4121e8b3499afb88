// `khsweep plan`: exit codes, and the real demo sweep when MNIST is at hand.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/command_output.hpp"
#include "../support/env_var.hpp"
#include "../support/real_data.hpp"
#include "../support/scratch.hpp"
#include "khsweep/cli/commands.hpp"

namespace fs = std::filesystem;
using khsweep::cli::plan_command;
using khsweep::testing::mnist_present;
using khsweep::testing::contains;
using khsweep::testing::capture_output;
using khsweep::testing::CommandOutput;

namespace {

// Runs plan_command with std::cout and std::cerr captured.
CommandOutput run_plan(const std::vector<std::string>& args) {
  return capture_output([&] { return plan_command(args); });
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(usage_and_validation_errors) {
  const CommandOutput help = run_plan({"--help"});
  BOOST_TEST(help.code == khsweep::kExitOk);
  BOOST_TEST(contains(help.out, "Usage: khsweep plan SWEEP.yaml"));

  const CommandOutput none = run_plan({});
  BOOST_TEST(none.code == khsweep::kExitUsage);
  BOOST_TEST(contains(none.err, "khsweep plan: command line: no sweep file given"));

  const CommandOutput bad_flag = run_plan({"x.yaml", "--format", "json", "--list", "some"});
  BOOST_TEST(bad_flag.code == khsweep::kExitUsage);
  BOOST_TEST(contains(bad_flag.err, "khsweep plan: command line: --format: must be one of table, csv"));
  BOOST_TEST(contains(bad_flag.err, "khsweep plan: command line: --list"));

  khsweep::testing::ScratchDir dir("khsweep-plan-");
  const fs::path sweep = dir / "s.yaml";
  std::ofstream(sweep) << "name: s\nfixed:\n  data: " << dir.path().string() << "\ngird:\n  hiden: [1]\n";
  const CommandOutput invalid = run_plan({sweep.string()});
  BOOST_TEST(invalid.code == khsweep::kExitUsage);
  // Every line is prefixed and placed.
  BOOST_TEST(contains(invalid.err, "khsweep plan: " + sweep.string() + ":4: key 'gird': unknown key; did you mean 'grid'?"),
             invalid.err);

  // A valid sweep whose data directory holds no IDX files: an input error, one line.
  std::ofstream(sweep) << "name: s\nfixed:\n  data: " << dir.path().string() << "\n";
  const CommandOutput no_data = run_plan({sweep.string()});
  BOOST_TEST(no_data.code == khsweep::kExitInput);
  BOOST_TEST(contains(no_data.err, "khsweep plan: "), no_data.err);
}

BOOST_AUTO_TEST_CASE(demo_sweep, *boost::unit_test::precondition(mnist_present)) {
  // The checked-in demo as it is: its `data: mnist` found through KHSWEEP_DATA_DIR, a directory
  // whose mnist is KHSWEEP_MNIST_DIR, and checked against the catalogue.
  const fs::path sweep = fs::path(KHSWEEP_SOURCE_DIR) / "sweeps" / "demo.yaml";
  BOOST_REQUIRE(contains(read(sweep), "data: mnist\n"));
  khsweep::testing::ScratchDir dir("khsweep-plan-");
  fs::create_directory_symlink(fs::absolute(std::getenv("KHSWEEP_MNIST_DIR")), dir / "mnist");
  khsweep::testing::ScopedEnv data_dir("KHSWEEP_DATA_DIR", dir.path().string());

  const CommandOutput table = run_plan({sweep.string()});
  BOOST_TEST(table.code == khsweep::kExitOk, table.err);
  BOOST_TEST_MESSAGE(table.out);
  BOOST_TEST(contains(table.out, "sweep demo"));
  BOOST_TEST(contains(table.out, "runs: 12\n"));
  BOOST_TEST(contains(table.out, "arm baseline: 4 runs"));
  BOOST_TEST(contains(table.out, "arm kh: 8 runs"));
  BOOST_TEST(contains(table.out, "datasets: 1"));
  BOOST_TEST(contains(table.out, "mnist (" + (dir / "mnist").string() + ", checksums verified): 2000 train + 500 validation samples"), table.out);
  BOOST_TEST(contains(table.out, "core-hours"));
  BOOST_TEST(contains(table.out, "64 workers"));

  const CommandOutput csv = run_plan({sweep.string(), "--format=csv"});
  BOOST_TEST(csv.code == khsweep::kExitOk);
  std::istringstream lines(csv.out);
  std::string header;
  std::getline(lines, header);
  BOOST_TEST(header == "index,id,arm,hidden,seed,kh,est_min");
  int rows = 0;
  for (std::string line; std::getline(lines, line);) ++rows;
  BOOST_TEST(rows == 12);

  const CommandOutput two = run_plan({sweep.string(), "--list", "2"});
  BOOST_TEST(contains(two.out, "... 10 more"));
}

// On a login node the data may not be fetched yet: a known dataset's ids and sizes then come from
// the catalogue and equal those computed from its files; the plan says the checks were skipped.
BOOST_AUTO_TEST_CASE(a_known_dataset_not_fetched_here_is_planned_from_the_catalogue_with_the_same_ids,
                     *boost::unit_test::precondition(mnist_present)) {
  khsweep::testing::ScratchDir dir("khsweep-plan-");
  const fs::path sweep = dir / "s.yaml";
  // Subsets of both kinds, so the catalogue's subset checksums are checked too.
  std::ofstream(sweep) << "name: s\nfixed: {data: mnist, epochs: 2, validation_subset: 300}\n"
                          "grid: {hidden: [8, 16], train_subset: [500, 0]}\n"
                          "arms:\n  - {name: first}\n  - {name: random, subset: random, subset_seed: 7}\n";
  fs::create_directory(dir / "with");
  fs::create_directory_symlink(fs::absolute(std::getenv("KHSWEEP_MNIST_DIR")), dir / "with" / "mnist");
  fs::create_directory(dir / "without");

  CommandOutput with, without;
  {
    khsweep::testing::ScopedEnv data_dir("KHSWEEP_DATA_DIR", (dir / "with").string());
    with = run_plan({sweep.string(), "--format", "csv"});
  }
  {
    khsweep::testing::ScopedEnv data_dir("KHSWEEP_DATA_DIR", (dir / "without").string());
    without = run_plan({sweep.string(), "--format", "csv"});
    BOOST_TEST(without.code == khsweep::kExitOk, without.err);
    const CommandOutput table = run_plan({sweep.string()});
    BOOST_TEST(table.code == khsweep::kExitOk, table.err);
    BOOST_TEST(contains(table.out, "sizes and checksums from the catalogue, files not checked"), table.out);
    BOOST_TEST(contains(table.out, "data checks skipped for 4 of 4 datasets"), table.out);
    BOOST_TEST(contains(table.out, "60000 train + 300 validation samples"), table.out);
    BOOST_TEST(!contains(table.out, "provisional"), table.out);
  }
  BOOST_TEST(with.code == khsweep::kExitOk, with.err);
  BOOST_TEST(with.out == without.out);  // every id and cost the same
  BOOST_TEST(std::count(with.out.begin(), with.out.end(), '\n') == 9);
}

// Data given by a path that is not there: ids are provisional (marked ?), the plan says so and
// still exits 0; `--workers N` adds N to the wall times.
BOOST_AUTO_TEST_CASE(data_given_by_an_absent_path_gives_provisional_ids) {
  khsweep::testing::ScratchDir dir("khsweep-plan-");
  const fs::path sweep = dir / "s.yaml";
  std::ofstream(sweep) << "name: s\nfixed: {data: " << (dir / "not-copied-yet" / "kmnist").string()
                       << ", epochs: 2, train_subset: 1000}\ngrid: {hidden: [8, 16]}\n";
  const CommandOutput table = run_plan({sweep.string(), "--workers", "128"});
  BOOST_TEST(table.code == khsweep::kExitOk, table.err);
  BOOST_TEST(contains(table.out, "not here: MNIST's sizes assumed, ids provisional): 1000 train + 10000 validation"),
             table.out);
  BOOST_TEST(contains(table.out, "ids marked ? are provisional"), table.out);
  BOOST_TEST(contains(table.out, "?  8 "), table.out);
  BOOST_TEST(contains(table.out, "128 workers"), table.out);

  const CommandOutput bad_workers = run_plan({sweep.string(), "--workers", "0"});
  BOOST_TEST(bad_workers.code == khsweep::kExitUsage);
  BOOST_TEST(contains(bad_workers.err, "--workers: expected a whole number >= 1, got '0'"), bad_workers.err);
}
