// The progress file a running sweep writes beside its store: what `khsweep status` reads back, and
// how it tells a live job from a dead one where no file lock can.
#include "khsweep/store/job_progress.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

#include "khsweep/core/clock.hpp"

using namespace khsweep;

namespace {

store::JobProgress progress_written(const std::string& state, double seconds_ago, double refresh = 10) {
  store::JobProgress p;
  p.values = {{"state", state}, {"written_at", std::to_string(unix_seconds_now() - seconds_ago)},
              {"refresh_seconds", std::to_string(refresh)}};
  return p;
}
}  // namespace

BOOST_AUTO_TEST_CASE(what_is_written_reads_back) {
  store::JobProgress p;
  p.values = {{"sweep", "demo"}, {"total", "20"}, {"done", "3"}, {"host", "node-1"}};
  p.runs.push_back({"00000000000000aa", "node-2", "val_mse", 3, 7, 100, 0.0625});
  p.runs.push_back({"00000000000000bb", "", "", 0, 0, 100, 0});  // before its first evaluation
  const store::JobProgress back = store::parse_progress(store::format_progress(p));
  BOOST_TEST(back.get("sweep") == "demo");
  BOOST_TEST(back.number("total") == 20);
  BOOST_TEST(back.number("eta_seconds") == -1);  // not said
  BOOST_TEST(back.get("eta_seconds") == "?");
  BOOST_REQUIRE(back.runs.size() == 2u);
  BOOST_TEST(back.runs[0].id == "00000000000000aa");
  BOOST_TEST(back.runs[0].host == "node-2");
  BOOST_TEST(back.runs[0].rank == 3);
  BOOST_TEST(back.runs[0].epoch == 7);
  BOOST_TEST(back.runs[0].total_epochs == 100);
  BOOST_TEST(back.runs[0].metric == "val_mse");
  BOOST_TEST(back.runs[0].value == 0.0625);
  BOOST_TEST(back.runs[1].host == "?");
  BOOST_TEST(back.runs[1].metric == "-");
}

BOOST_AUTO_TEST_CASE(a_job_looks_live_while_it_runs_and_writes) {
  double age = -1;
  BOOST_TEST(store::progress_looks_live(progress_written("running", 5), age));
  BOOST_TEST(age >= 4.0);
  BOOST_TEST(age < 60.0);
  // Patience is 3 refresh intervals, and never less than a minute.
  BOOST_TEST(store::progress_looks_live(progress_written("running", 50, 1), age));
  BOOST_TEST(!store::progress_looks_live(progress_written("running", 70, 10), age));
  BOOST_TEST(age >= 69.0);
  BOOST_TEST(store::progress_looks_live(progress_written("running", 70, 30), age));
  // A job that said it ended is not live, however fresh its file.
  BOOST_TEST(!store::progress_looks_live(progress_written("ended", 1), age));
  // A file with no time in it (an older khsweep's) proves nothing.
  store::JobProgress old;
  old.values = {{"state", "running"}};
  BOOST_TEST(!store::progress_looks_live(old, age));
  BOOST_TEST(age == -1);
  BOOST_TEST(!store::progress_looks_live(store::JobProgress{}, age));
}
