// khsweep: hyperparameter sweeps of RBMs and Krotov-Hopfield-modulated RBMs.
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "khsweep/cli/commands.hpp"
#include "khsweep/version.hpp"

namespace {

void print_usage(std::ostream& out) {
  out << "usage: khsweep <command> [options]\n\n"
         "commands:\n"
         "  train     train one RBM / KH-RBM run (no MPI); `khsweep train --help` lists its parameters\n"
         "  plan      validate a sweep file and list its runs, ids and estimated cost\n"
         "  run       run a sweep into an HDF5 store: `mpirun -np P khsweep run SWEEP.yaml --store S.h5`\n"
         "  status    what a store holds, and how a sweep running on it is doing\n"
         "  bench     seconds per epoch of each configuration against same-run yardsticks\n"
         "  query     the runs of a store, filtered and sorted, as a table, CSV or JSON\n"
         "  plot      learning curves from a store (mean +- SE over seeds), PNG or SVG via gnuplot\n"
         "  aggregate seed statistics per configuration (Table I notation), written back to /aggregates\n"
         "  best      the best KH eps0/delta/S per setting, beside its baseline; --fragment: sweep YAML\n"
         "  compare   each KH configuration minus its baseline, paired by seed: mean(se), t-test, wins\n"
         "  report    one self-contained HTML page about a store: jobs, runs, statistics, best, curves\n"
         "  recover   roll back a commit a killed writer left half done (readers say when it is needed)\n"
         "  check     whether a store's index and run groups agree; --repair makes them agree\n"
         "  version   print the code version\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace khsweep;
  using namespace khsweep::cli;
  const std::vector<std::string> args(argv + (argc > 1 ? 2 : 1), argv + argc);
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "train") return train_command(args);
    if (command == "plan") return plan_command(args);
    if (command == "run") return run_command(args);
    if (command == "status") return status_command(args);
    if (command == "bench") return bench_command(args);
    if (command == "query") return query_command(args);
    if (command == "plot") return plot_command(args);
    if (command == "aggregate") return aggregate_command(args);
    if (command == "best") return best_command(args);
    if (command == "compare") return compare_command(args);
    if (command == "report") return report_command(args);
    if (command == "recover") return recover_command(args);
    if (command == "check") return check_command(args);
    if (command == "version" || command == "--version") {
      std::cout << "khsweep " << khsweep::kVersion << " (" << khsweep::kGitDescribe << ")\n";
      return kExitOk;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      print_usage(std::cout);
      return kExitOk;
    }
    std::cerr << (command.empty() ? "khsweep: no command given\n" : "khsweep: unknown command '" + command + "'\n");
    print_usage(std::cerr);
    return kExitUsage;
  } catch (const std::bad_alloc&) {
    std::cerr << "khsweep: out of memory: the request needs more memory than this process can get "
                 "(fewer hidden units, a smaller batch_size or fewer ranks per node use less)\n";
    return kExitInput;
  } catch (const std::exception& e) {
    std::cerr << "khsweep: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
