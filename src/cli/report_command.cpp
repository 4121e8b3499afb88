// `khsweep report STORE --out FILE.html [--metric M]`: one self-contained HTML page about a store.
#include <iostream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/exit_codes.hpp"
#include "khsweep/results/aggregate.hpp"
#include "khsweep/results/report.hpp"

namespace khsweep::cli {

namespace {

const char* kUsage =
    "usage: khsweep report STORE.h5 --out FILE.html [--metric M]\n"
    "  One HTML page about the store, self-contained (no network; plots inlined as SVG), to open in\n"
    "  a browser or send: the jobs that wrote it, runs by status, mean(se) over seeds per\n"
    "  configuration, the best KH setting per setting beside its baseline, learning curves (with\n"
    "  gnuplot), and every failed or diverged run with its reason. Read-only on the store.\n"
    "  --out FILE   the page (replaced atomically)\n"
    "  --metric M   the summary metric the best setting is chosen by (default max_val_accuracy when\n"
    "               measured, else min_val_mse)\n";

}  // namespace

int report_command(const std::vector<std::string>& args) {
  results::ReportRequest request;
  std::string store, out;
  ArgReader in(args, "report");
  while (in.next()) {
    if (in.help()) {
      std::cout << kUsage;
      return kExitOk;
    }
    if (in.positional()) {
      in.take_store(store);
    } else if (in.option_is_one_of({"--out", "--metric"})) {
      const auto value = in.value();
      if (!value) continue;
      if (in.option() == "--out") out = *value;
      else if (is_summary_metric(*value)) request.metric = *value;
      else in.problem(unknown_summary_metric(*value));
    } else {
      in.unknown_option();
    }
  }
  if (store.empty()) in.problem("no STORE given");
  if (out.empty() && !store.empty()) in.problem("no --out FILE.html given");
  if (!in.problems().empty()) {
    print_problems("report", in.problems());
    std::cerr << kUsage;
    return kExitUsage;
  }
  request.store = store;
  request.out = out;
  try {
    const results::ReportOutcome outcome = results::write_report(request);
    std::cout << "wrote " << out << ": " << outcome.runs << " runs, " << outcome.groups << " configurations, "
              << outcome.plots << " plots" << (outcome.plots_skipped ? " (none: gnuplot is not installed)" : "")
              << "\n";
    return kExitOk;
  } catch (const Error& e) {
    print_problem("report", e.what());
    return kExitInput;
  }
}

}  // namespace khsweep::cli
