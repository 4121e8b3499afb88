// `khsweep plot STORE --metric M [--where W] [--out FILE.png|FILE.svg] [--title T] [--log-y]`:
// learning curves of a store's runs, one line per configuration, mean +- standard error over seeds.
#include <iostream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/exit_codes.hpp"
#include "khsweep/results/plot.hpp"

namespace khsweep::cli {

namespace {

void plot_usage(std::ostream& out) {
  out << "usage: khsweep plot STORE.h5|RUN.h5... [--metric M] [--where CONDITIONS] [--out FILE.png|FILE.svg]\n"
         "                             [--by PARAMETER] [--title TEXT] [--log-y] [--include-diverged]\n"
         "Learning curves: one line per configuration (runs that differ only by seed), the mean over\n"
         "seeds per epoch with a shaded band of +-1 standard error. Completed runs only: diverged runs\n"
         "are left out and counted unless --include-diverged; failed runs have no curves. Several\n"
         "stores, and `khsweep train --out` run files (one line each), draw together, each line named\n"
         "by its file; baselines (kh=none) are dashed in black, and the legend is sorted.\n"
         "  --metric M     a curve column (default val_mse): ";
  std::string known;
  for (const std::string& m : results::plot_metrics()) known += (known.empty() ? "" : ", ") + m;
  out << known << "\n"
      << "  --where C      select runs, e.g. 'hidden=100,kh!=none,seed in 1|2|3' (docs/results.md);\n"
         "                 repeated, all must hold\n"
         "  --by P         one panel per value of parameter P (e.g. --by hidden), up to 3 a row\n"
         "  --out FILE     .png or .svg (default: <metric>.png)\n"
         "  --title TEXT   plot title (default: the store's file name)\n"
         "  --log-y        logarithmic y axis\n"
         "  --include-diverged  plot diverged runs too, up to their divergence\n"
         "Needs gnuplot (Debian package gnuplot-nox).\n";
}

}  // namespace

int plot_command(const std::vector<std::string>& args) {
  results::PlotRequest request;
  std::string out;
  ArgReader in(args, "plot");
  while (in.next()) {
    if (in.help()) {
      plot_usage(std::cout);
      return kExitOk;
    }
    if (in.positional()) {
      request.sources.emplace_back(in.arg());
    } else if (in.option_is_one_of({"--metric", "--where", "--out", "--title", "--by"})) {
      const auto value = in.value();
      if (!value) continue;
      if (in.option() == "--metric") request.metric = *value;
      else if (in.option() == "--by") request.by = *value;
      else if (in.option() == "--where") append_where(request.where, *value);
      else if (in.option() == "--out") out = *value;
      else request.title = *value;
    } else if (in.option_is_one_of({"--log-y", "--include-diverged"}) && !in.inline_value()) {
      (in.option() == "--log-y" ? request.log_y : request.include_diverged) = true;
    } else {
      in.unknown_option();
    }
  }
  if (request.sources.empty()) in.problem("no STORE given");
  if (!in.problems().empty()) {
    print_problems("plot", in.problems());
    plot_usage(std::cerr);
    return kExitUsage;
  }
  request.out = out;
  if (request.out.empty()) request.out = request.metric + ".png";
  try {  // user mistakes on the command line: reported before the store is read
    (void)results::metric_axis_label(request.metric);
    (void)results::plot_format(request.out);
  } catch (const Error& e) {
    print_problem("plot", e.what());
    return kExitUsage;
  }
  try {
    const results::PlotOutcome outcome = results::plot_learning_curves(request);
    std::cout << "wrote " << outcome.out.string() << ": " << request.metric << ", " << outcome.lines << " line"
              << (outcome.lines == 1 ? "" : "s") << " from " << outcome.runs << " run"
              << (outcome.runs == 1 ? "" : "s") << "\n";
    if (outcome.diverged_left_out > 0)
      std::cout << outcome.diverged_left_out << " diverged run" << (outcome.diverged_left_out == 1 ? "" : "s")
                << " left out: --include-diverged plots them\n";
    return kExitOk;
  } catch (const Error& e) {
    print_problem("plot", e.what());
    return kExitInput;
  }
}

}  // namespace khsweep::cli
