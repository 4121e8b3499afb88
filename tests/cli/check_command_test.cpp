// `khsweep check STORE [--repair]`, and the commands that refuse a store whose /runs and /run/<id>
// disagree: their exit codes and the lines a user reads.
#include <boost/test/unit_test.hpp>

#include "../support/command_output.hpp"
#include "../support/damaged_store.hpp"
#include "../support/scratch.hpp"
#include "../support/unit_store.hpp"
#include "khsweep/cli/commands.hpp"

using namespace khsweep;
using namespace khsweep::testing;

namespace {

const std::string kLost = unit_run_id(0xb1);      // its group is removed
const std::string kUnlisted = unit_run_id(0xb2);  // its row is removed
const std::string kFine = unit_run_id(0xb3);

std::string store_with_two_damaged_runs(const ScratchDir& dir) {
  const auto path = dir / "s.h5";
  write_store(path, test_job_info(),
              {unit_run(kLost, "a", 2, 1), unit_run(kUnlisted, "a", 2, 2), unit_run(kFine, "a", 2, 3)});
  remove_from_store(path, "run/" + kLost);
  drop_index_row(path, kUnlisted);
  return path.string();
}

CommandOutput check(const std::vector<std::string>& args) {
  return capture_output([&] { return cli::check_command(args); });
}

}  // namespace

BOOST_AUTO_TEST_CASE(check_says_a_sound_store_is_sound_and_exits_0) {
  ScratchDir dir("khsweep-check-command-test-");
  const auto path = dir / "s.h5";
  write_store(path, test_job_info(), {unit_run(kFine, "a", 2, 3)});
  const auto r = check({path.string()});
  BOOST_TEST(r.code == kExitOk);
  BOOST_TEST(r.out == path.string() + ": sound: /runs and the /run groups agree\n");
  BOOST_TEST(r.err.empty());
}

BOOST_AUTO_TEST_CASE(check_prints_a_line_per_problem_and_a_summary_and_exits_3) {
  ScratchDir dir("khsweep-check-command-test-");
  const std::string path = store_with_two_damaged_runs(dir);
  const auto r = check({path});
  BOOST_TEST(r.code == kExitInput);
  BOOST_TEST(r.out.find(kLost + ": its /runs row (completed) has no /run/" + kLost + " group") == 0u, r.out);
  KHSWEEP_CHECK_MESSAGE_HAS(r.out, "\n" + kUnlisted + ": /run/" + kUnlisted + " has no /runs row (--repair: ");
  KHSWEEP_CHECK_MESSAGE_HAS(r.out, "\n" + path + ": 2 problems; `khsweep check --repair " + path + "` fixes them\n");
  BOOST_TEST(r.out.find(kFine) == std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(readers_refuse_the_store_and_point_at_check_repair) {
  ScratchDir dir("khsweep-check-command-test-");
  const std::string path = store_with_two_damaged_runs(dir);
  for (const auto& r : {capture_output([&] { return cli::status_command({path}); }),
                        capture_output([&] { return cli::query_command({path}); }),
                        capture_output([&] { return cli::aggregate_command({path, "--no-write"}); })}) {
    BOOST_TEST(r.code == kExitInput);
    KHSWEEP_CHECK_MESSAGE_HAS(r.err, "disagree on 2 runs (" + kLost + ", " + kUnlisted);
    KHSWEEP_CHECK_MESSAGE_HAS(r.err, "run `khsweep check --repair " + path + "`");
  }
}

BOOST_AUTO_TEST_CASE(repair_reports_each_fix_and_the_store_reads_again) {
  ScratchDir dir("khsweep-check-command-test-");
  const std::string path = store_with_two_damaged_runs(dir);
  const auto r = check({path, "--repair"});
  BOOST_TEST(r.code == kExitOk, r.err);
  KHSWEEP_CHECK_MESSAGE_HAS(r.out, kLost + ": its /runs row (completed) has no /run/" + kLost +
                                       " group: its row removed; the next `khsweep run` retrains the run\n");
  KHSWEEP_CHECK_MESSAGE_HAS(r.out, kUnlisted + ": /run/" + kUnlisted + " has no /runs row: its row rebuilt from the group\n");
  KHSWEEP_CHECK_MESSAGE_HAS(r.out, path + ": repaired 2 problems in one commit, recorded as /jobs/2\n");
  KHSWEEP_CHECK_MESSAGE_HAS(r.out, path + ": sound");

  BOOST_TEST(check({path}).code == kExitOk);
  const auto query = capture_output([&] { return cli::query_command({path, "--columns", "id", "--format", "csv"}); });
  BOOST_TEST(query.code == kExitOk, query.err);
  BOOST_TEST(query.out == "id\r\n" + kFine + "\r\n" + kUnlisted + "\r\n");  // the rebuilt row last
  // A second repair finds nothing to do and records no job.
  const auto again = check({path, "--repair"});
  BOOST_TEST(again.code == kExitOk);
  BOOST_TEST(again.out == path + ": sound: /runs and the /run groups agree\n");
}

BOOST_AUTO_TEST_CASE(repair_is_refused_while_a_sweep_runs_on_the_store) {
  ScratchDir dir("khsweep-check-command-test-");
  const std::string path = (dir / "s.h5").string();
  write_store(path, test_job_info(), {unit_run(kFine, "a", 2, 3)});
  auto sweep = store::SweepStore::open_for_sweep(path, test_job_info());
  const auto r = check({path, "--repair"});
  BOOST_TEST(r.code == kExitInput);
  KHSWEEP_CHECK_MESSAGE_HAS(r.err, "khsweep check: " + path + ": the store is in use by another khsweep run");
}

BOOST_AUTO_TEST_CASE(check_usage_mistakes_exit_2_and_help_exits_0) {
  BOOST_TEST(check({}).code == kExitUsage);
  const auto unknown = check({"s.h5", "--fix"});
  BOOST_TEST(unknown.code == kExitUsage);
  KHSWEEP_CHECK_MESSAGE_HAS(unknown.err, "unknown option '--fix' (see khsweep check --help)");
  const auto help = check({"--help"});
  BOOST_TEST(help.code == kExitOk);
  KHSWEEP_CHECK_MESSAGE_HAS(help.out, "usage: khsweep check STORE.h5 [--repair]");
  ScratchDir dir("khsweep-check-command-test-");
  const auto missing = check({(dir / "none.h5").string()});
  BOOST_TEST(missing.code == kExitInput);
  KHSWEEP_CHECK_MESSAGE_HAS(missing.err, "no such store");
  BOOST_TEST(dir.listing().empty());  // no lock file or store made for a store that is not there
}
