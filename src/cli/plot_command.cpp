// `khsweep plot STORE --metric M [--where W] [--out FILE.png|FILE.svg] [--title T] [--log-y]`:
// learning curves of a store's runs, one line per configuration, mean +- standard error over seeds.
#include <iostream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/results/plot.hpp"

namespace khsweep::cli {

namespace {

void plot_usage(std::ostream& out) {
  out << "usage: khsweep plot STORE.h5 [--metric M] [--where CONDITIONS] [--out FILE.png|FILE.svg]\n"
         "                             [--title TEXT] [--log-y] [--include-diverged]\n"
         "Learning curves: one line per configuration (runs that differ only by seed), the mean over\n"
         "seeds per epoch with a shaded band of +-1 standard error. Completed runs only: diverged runs\n"
         "are left out and counted unless --include-diverged; failed runs have no curves.\n"
         "  --metric M     a curve column (default val_mse): ";
  std::string known;
  for (const std::string& m : results::plot_metrics()) known += (known.empty() ? "" : ", ") + m;
  out << known << "\n"
      << "  --where C      select runs, e.g. 'hidden=100,kh!=none,seed in 1|2|3' (docs/results.md)\n"
         "  --out FILE     .png or .svg (default: <metric>.png)\n"
         "  --title TEXT   plot title (default: the store's file name)\n"
         "  --log-y        logarithmic y axis\n"
         "  --include-diverged  plot diverged runs too, up to their divergence\n"
         "Needs gnuplot (Debian package gnuplot-nox).\n";
}

}  // namespace

int plot_command(const std::vector<std::string>& args) {
  results::PlotRequest request;
  bool have_store = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) throw Error("option " + a + " needs a value");
      into = args[++i];
    };
    try {
      if (a == "--help" || a == "-h") {
        plot_usage(std::cout);
        return kExitOk;
      } else if (a == "--metric") {
        value(request.metric);
      } else if (a == "--where") {
        value(request.where);
      } else if (a == "--out") {
        std::string out;
        value(out);
        request.out = out;
      } else if (a == "--title") {
        value(request.title);
      } else if (a == "--log-y") {
        request.log_y = true;
      } else if (a == "--include-diverged") {
        request.include_diverged = true;
      } else if (a.size() > 1 && a[0] == '-') {
        throw Error("unknown option '" + a + "'");
      } else if (!have_store) {
        request.store = a;
        have_store = true;
      } else {
        throw Error("more than one store given ('" + request.store.string() + "' and '" + a + "')");
      }
    } catch (const Error& e) {
      print_problem("plot", e.what());
      plot_usage(std::cerr);
      return kExitUsage;
    }
  }
  if (!have_store) {
    print_problem("plot", "no store given");
    plot_usage(std::cerr);
    return kExitUsage;
  }
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
