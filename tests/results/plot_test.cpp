// khsweep plot: the learning-curve statistics, the gnuplot script, and real PNG / SVG output.
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "../support/scratch.hpp"
#include "khsweep/results/plot.hpp"
#include "khsweep/store/run_file.hpp"
#include "khsweep/store/run_layout.hpp"
#include "synthetic_store.hpp"

using namespace khsweep;
using namespace khsweep::testing;

namespace {

results::PlotRequest request_for(const std::filesystem::path& store) {
  results::PlotRequest r;
  r.sources = {store};
  r.metric = "val_mse";
  return r;
}

bool have_gnuplot() {
  if (!results::find_gnuplot().empty()) return true;
  BOOST_TEST_MESSAGE("SKIPPED: gnuplot is not installed (apt-get install gnuplot-nox)");
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(curves_are_the_mean_and_standard_error_over_seeds_per_configuration) {
  ScratchDir dir("khsweep-plot-test-");
  write_synthetic_store(dir / "s.h5");
  const auto series = results::learning_curves(request_for(dir / "s.h5"));
  BOOST_TEST_REQUIRE(series.size() == 2u);  // the failed run is left out
  BOOST_TEST(series[0].label == "hidden=8");
  BOOST_TEST(series[1].label == "hidden=16");
  BOOST_TEST(series[0].runs == 3u);
  // Epoch 1 (0-based) is not evaluated: plotted epochs are 1, 3, 4 (1-based).
  BOOST_TEST(series[0].epochs == (std::vector<int>{1, 3, 4}), boost::test_tools::per_element());
  // Runs 0, 1, 2 at epoch index 2: 0.02, 0.12, 0.22 -> mean 0.12, sd 0.1, se 0.1/sqrt(3).
  BOOST_TEST(series[0].mean[1] == 0.12, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(series[0].se[1] == 0.1 / std::sqrt(3.0), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(series[0].n[1] == 3);
  BOOST_TEST(series[1].mean[0] == 0.4, boost::test_tools::tolerance(1e-12));
}

// Every column of a run's /curves but the epoch and its evaluated flag can be plotted, so a column
// added to the store (such as the MHC's noisy accuracy) cannot be left out of `plot --metric`.
BOOST_AUTO_TEST_CASE(every_curve_column_is_a_plot_metric) {
  std::vector<std::string> columns;
  for (const auto& field : store::curve_fields())
    if (field.name != "epoch" && field.name != "evaluated") columns.push_back(field.name);
  std::vector<std::string> metrics = results::plot_metrics();
  std::sort(columns.begin(), columns.end());
  std::sort(metrics.begin(), metrics.end());
  BOOST_TEST(metrics == columns, boost::test_tools::per_element());
  for (const std::string& metric : metrics) BOOST_TEST(!results::metric_axis_label(metric).empty());
}

BOOST_AUTO_TEST_CASE(diverged_runs_are_left_out_and_counted_unless_included) {
  ScratchDir dir("khsweep-plot-test-");
  std::vector<store::CommittedRun> runs;
  for (int i = 0; i < kSyntheticRuns; ++i) runs.push_back(synthetic_run(i));
  runs[1].result.status = train::RunStatus::diverged;  // hidden 8, seed 2
  runs[1].result.reason = "non-finite weights";
  write_store(dir / "s.h5", test_job_info("synthetic", {{"data/synthetic", std::string(64, 'a')}}), runs);
  int left_out = -1;
  auto series = results::learning_curves(request_for(dir / "s.h5"), &left_out);
  BOOST_TEST(left_out == 1);
  BOOST_TEST_REQUIRE(series.size() == 2u);
  BOOST_TEST(series[0].runs == 2u);
  auto with = request_for(dir / "s.h5");
  with.include_diverged = true;
  series = results::learning_curves(with, &left_out);
  BOOST_TEST(left_out == 0);
  BOOST_TEST(series[0].runs == 3u);
  with.include_diverged = false;
  with.where = "hidden=8,seed=2";
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)results::learning_curves(with); }),
                            "no completed runs match 'hidden=8,seed=2' (1 diverged left out: --include-diverged plots them)");
}

BOOST_AUTO_TEST_CASE(where_selects_runs_and_accuracy_is_in_percent) {
  ScratchDir dir("khsweep-plot-test-");
  write_synthetic_store(dir / "s.h5");
  auto r = request_for(dir / "s.h5");
  r.where = "hidden=16,seed in 1|2";
  const auto series = results::learning_curves(r);
  BOOST_TEST_REQUIRE(series.size() == 1u);
  BOOST_TEST(series[0].label == "all runs");
  BOOST_TEST(series[0].runs == 2u);
  BOOST_TEST(series[0].mean[0] == 0.35, boost::test_tools::tolerance(1e-12));  // runs 3 and 4 at epoch 0
  BOOST_TEST(results::metric_scale("val_accuracy") == 100.0);
  BOOST_TEST(results::metric_axis_label("val_accuracy").find("%") != std::string::npos);
  BOOST_TEST(results::metric_axis_label("val_cross_entropy").find("nats per pixel") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_metrics_formats_and_selections_are_clear_errors) {
  ScratchDir dir("khsweep-plot-test-");
  write_synthetic_store(dir / "s.h5");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([] { (void)results::metric_axis_label("val_mes"); }), "did you mean 'val_mse'");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([] { (void)results::plot_format("x.pdf"); }), ".png or .svg");
  auto r = request_for(dir / "s.h5");
  r.where = "hidden=1000";
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)results::learning_curves(r); }), "no completed runs");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)results::learning_curves(request_for(dir / "none.h5")); }),
                            "no such store");
}

BOOST_AUTO_TEST_CASE(titles_and_labels_are_escaped_in_the_script) {
  results::CurveSeries s;
  s.label = "kh=top_down 'quoted'";
  s.runs = 2;
  s.epochs = {1, 2};
  s.mean = {0.1, 0.05};
  s.se = {0.01, 0.01};
  s.n = {2, 2};
  results::PlotRequest r;
  r.sources = {"s.h5"};
  r.metric = "val_mse";
  r.title = "it's a\ntitle";
  const std::string script = results::gnuplot_script({s}, r, "/tmp/d", "/tmp/d/plot.svg");
  BOOST_TEST(script.find("set title 'it''s a title'") != std::string::npos);
  BOOST_TEST(script.find("title 'kh=top_down ''quoted'' (2 runs)'") != std::string::npos);
  BOOST_TEST(script.find("set terminal svg") != std::string::npos);
  BOOST_TEST(script.find("MSE (per pixel)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(png_output_is_a_png_image) {
  if (!have_gnuplot()) return;
  ScratchDir dir("khsweep-plot-test-");
  write_synthetic_store(dir / "s.h5");
  auto r = request_for(dir / "s.h5");
  r.out = dir / "curves.png";
  r.title = "synthetic \"store\" 'test' {x}_y^2 @ \\";
  const auto outcome = results::plot_learning_curves(r);
  BOOST_TEST(outcome.lines == 2u);
  BOOST_TEST(outcome.runs == 6u);
  const std::string png = file_bytes(dir / "curves.png");
  BOOST_TEST_REQUIRE(png.size() > 1000u);
  BOOST_TEST(png.compare(0, 4, "\x89PNG") == 0);
}

BOOST_AUTO_TEST_CASE(svg_output_is_an_svg_image_with_a_log_axis) {
  if (!have_gnuplot()) return;
  ScratchDir dir("khsweep-plot-test-");
  write_synthetic_store(dir / "s.h5");
  auto r = request_for(dir / "s.h5");
  r.metric = "val_cross_entropy";
  r.out = dir / "curves.SVG";
  r.log_y = true;
  (void)results::plot_learning_curves(r);
  const std::string svg = file_bytes(dir / "curves.SVG");
  BOOST_TEST(svg.find("<svg") != std::string::npos);
  BOOST_TEST(svg.find("hidden=16 (3 runs)") != std::string::npos);
  BOOST_TEST(svg.find("nats per pixel") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_gnuplot_says_what_to_install) {
  ScratchDir dir("khsweep-plot-test-");
  write_synthetic_store(dir / "s.h5");
  ::setenv("KHSWEEP_GNUPLOT", (dir / "no-gnuplot").c_str(), 1);
  auto r = request_for(dir / "s.h5");
  r.out = dir / "x.png";
  const std::string message = error_of([&] { (void)results::plot_learning_curves(r); });
  ::unsetenv("KHSWEEP_GNUPLOT");
  KHSWEEP_CHECK_MESSAGE_HAS(message, "install gnuplot-nox");
  BOOST_TEST(!std::filesystem::exists(dir / "x.png"));
}

BOOST_AUTO_TEST_CASE(log_y_refuses_non_positive_values) {
  if (!have_gnuplot()) return;
  ScratchDir dir("khsweep-plot-test-");
  write_synthetic_store(dir / "s.h5");
  auto r = request_for(dir / "s.h5");
  r.out = dir / "x.png";
  r.metric = "kh_epsilon";  // 0 for kh = none
  r.log_y = true;
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)results::plot_learning_curves(r); }), "--log-y needs positive");
}

// Stores and `khsweep train --out` run files draw together: each line named by its file, a run
// file one line of its run's values; the legend sorted with numbers by value; baselines marked.
BOOST_AUTO_TEST_CASE(stores_and_run_files_draw_together_in_a_sorted_legend) {
  ScratchDir dir("khsweep-plot-test-");
  write_synthetic_store(dir / "s.h5");
  const store::CommittedRun run = synthetic_run(4);  // hidden 16, a baseline
  store::write_run_file(dir / "one.h5", run.params.config, run.result, {}, run.params.config.weights_precision());

  results::PlotRequest request = request_for(dir / "s.h5");
  request.sources.push_back(dir / "one.h5");
  const auto series = results::learning_curves(request);
  BOOST_TEST_REQUIRE(series.size() == 3u);
  BOOST_TEST(series[0].label == "one.h5: kh=none hidden=16");
  BOOST_TEST(series[1].label == "s.h5: hidden=8");  // 8 before 16: numbers by value
  BOOST_TEST(series[2].label == "s.h5: hidden=16");
  for (const auto& s : series) BOOST_TEST(s.baseline, s.label);
  BOOST_TEST(series[0].runs == 1u);
  BOOST_TEST(series[0].epochs == (std::vector<int>{1, 3, 4}), boost::test_tools::per_element());
  for (std::size_t j = 0; j < series[0].epochs.size(); ++j) {
    const int epoch = series[0].epochs[j] - 1;
    BOOST_TEST(series[0].mean[j] == run.result.curves[static_cast<std::size_t>(epoch)].validation.mse);
  }

  const std::string script = results::gnuplot_script(series, request, dir.path(), dir / "p.svg");
  BOOST_TEST(script.find("lc rgb '#000000' title 'one.h5: kh=none hidden=16 (1 run)'") != std::string::npos, script);
  BOOST_TEST(script.find("dt 2") != std::string::npos, script);  // baselines dashed

  request.sources.push_back(dir / "absent.h5");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)results::learning_curves(request); }), "absent.h5: no such store or run file");
}

// --by: one panel per value (in natural order), each line labelled without the panel's parameter,
// and a line keeps its style in every panel.
BOOST_AUTO_TEST_CASE(by_draws_one_panel_per_value) {
  ScratchDir dir("khsweep-plot-test-");
  write_synthetic_store(dir / "s.h5");
  results::PlotRequest request = request_for(dir / "s.h5");
  request.by = "M";  // an alias of hidden, as everywhere
  const auto series = results::learning_curves(request);
  BOOST_TEST_REQUIRE(series.size() == 2u);
  BOOST_TEST(series[0].panel == "hidden=8");
  BOOST_TEST(series[1].panel == "hidden=16");
  BOOST_TEST(series[0].label == "all runs");
  const std::string script = results::gnuplot_script(series, request, dir.path(), dir / "p.png");
  BOOST_TEST(script.find("set multiplot layout 1,2") != std::string::npos, script);
  BOOST_TEST(script.find("set title 'hidden=8'") < script.find("set title 'hidden=16'"), script);
  BOOST_TEST(script.find("unset multiplot") != std::string::npos, script);

  request.by = "hiden";
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)results::learning_curves(request); }), "did you mean 'hidden'?");
  if (!have_gnuplot()) return;
  request.by = "hidden";
  request.out = dir / "panels.png";
  BOOST_TEST(results::plot_learning_curves(request).lines == 2u);
  BOOST_TEST(file_bytes(dir / "panels.png").substr(1, 3) == "PNG");
}
