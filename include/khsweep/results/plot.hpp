#pragma once
// Learning curves from a sweep store, drawn by gnuplot (Debian package gnuplot-nox), like the
// paper's Figs. 3-5: one line per configuration (results::group_runs over the selected completed
// and diverged runs, labelled by results::varying_columns), each the per-epoch mean over seeds with
// a shaded band of +-1 standard error. Epochs without a measured value are left out.
//
// The work is split so that only the last step needs gnuplot: learning_curves reads and averages,
// gnuplot_script / write_plot_files write text, render runs gnuplot once.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace khsweep::results {

// The /run/<id>/curves columns a plot can show (docs/store.md), in file order: every curve column
// but epoch and evaluated (aggregate.hpp's curve_metrics() are the metric columns only).
[[nodiscard]] const std::vector<std::string>& plot_metrics();

// The y-axis label of a metric, with its unit: "validation MSE (per pixel)",
// "validation cross-entropy (nats per pixel)", "validation accuracy (%)", ...
// Throws khsweep::Error for an unknown metric, with a did-you-mean when one is close.
[[nodiscard]] std::string metric_axis_label(const std::string& metric);

// Accuracy is stored as a fraction and plotted in percent: the factor the stored values are multiplied by.
[[nodiscard]] double metric_scale(const std::string& metric);

enum class PlotFormat { png, svg };

// The output format chosen by the file name's extension (.png or .svg, case-insensitive);
// throws khsweep::Error for anything else.
[[nodiscard]] PlotFormat plot_format(const std::filesystem::path& out);

// One line of the plot: a configuration's per-epoch statistics over its seeds.
struct CurveSeries {
  std::string label;        // the group key ("hidden=16 kh=top_down"), or "all runs" when nothing varies;
                            // with several sources, after the source's file name ("a.h5: hidden=16")
  bool baseline = false;    // kh = none RBM runs: drawn dashed in black, so the KH lines stand out
  std::string panel;        // with --by: "hidden=16", the panel it is drawn in (its label leaves it out)
  std::size_t runs = 0;     // runs in the group
  std::vector<int> epochs;  // 1-based epoch numbers with at least one measured value
  std::vector<double> mean; // already scaled (metric_scale)
  std::vector<double> se;   // NaN where fewer than 2 runs were measured
  std::vector<int> n;       // runs measured at that epoch
};

struct PlotRequest {
  // Sweep stores and `khsweep train --out` run files, drawn together (a run file is one line).
  std::vector<std::filesystem::path> sources;
  std::string metric = "val_mse";
  std::string where;                 // --where text (filter.hpp); empty selects every run
  std::string by;                    // --by: one panel per value of this parameter; empty: one plot
  std::filesystem::path out;         // empty: "<metric>.png"
  std::string title;                 // empty: the sources' file names
  bool log_y = false;
  bool include_diverged = false;     // plot diverged runs too (their curves up to the divergence)
  double patience_seconds = 10.0;    // how long to wait for a live sweep's commit (as read_overview)
};

// Reads every source read-only (safe beside a running sweep) and computes one series per
// configuration among its selected completed runs (and diverged ones when request.include_diverged;
// otherwise their number goes to `diverged_left_out`); a run file is one series, which --where does
// not filter. Series come in legend order: by label, numbers by value (hidden=16 before hidden=100).
// Throws khsweep::Error for an unusable source, metric or --where, or when a store has nothing selected.
[[nodiscard]] std::vector<CurveSeries> learning_curves(const PlotRequest& request, int* diverged_left_out = nullptr);

// The gnuplot script that draws `series` from the data files data_dir/series-<i>.dat (columns:
// epoch mean se n) into `out`. Titles and labels are escaped for gnuplot's string syntax.
[[nodiscard]] std::string gnuplot_script(const std::vector<CurveSeries>& series, const PlotRequest& request,
                                         const std::filesystem::path& data_dir, const std::filesystem::path& out);

// The gnuplot executable ("gnuplot" on PATH, or $KHSWEEP_GNUPLOT), or "" when there is none.
[[nodiscard]] std::string find_gnuplot();

struct PlotOutcome {
  std::filesystem::path out;
  std::size_t lines = 0;
  std::size_t runs = 0;
  int diverged_left_out = 0;  // selected diverged runs not plotted
};

// learning_curves, then gnuplot into request.out (or <metric>.png). Throws khsweep::Error when
// gnuplot is missing ("install gnuplot-nox") or fails (with its messages).
PlotOutcome plot_learning_curves(const PlotRequest& request);

}  // namespace khsweep::results
