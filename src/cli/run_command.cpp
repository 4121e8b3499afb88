// `khsweep run`: parse the few job options, then run the job in this process alone, or start MPI
// and hand over to the distributed job when an MPI launcher started this process.
#include <iostream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/runner/mpi.hpp"
#include "khsweep/runner/sweep_job.hpp"

namespace khsweep::cli {

namespace {

const char* kRunUsage =
    "usage: khsweep run SWEEP.yaml [--store STORE.h5] [--quiet] [--progress-every SECONDS] [--retry-failed]\n"
    "  mpirun -np P khsweep run ...: all P ranks train, rank 0 also coordinates (start one rank per\n"
    "  core). Without mpirun it trains every run in this one process and needs no MPI runtime.\n"
    "  --store           the HDF5 store (default results/<sweep name>.h5); created if absent\n"
    "  --quiet           print only errors and the final line\n"
    "  --retry-failed    train the store's failed runs of this sweep again; each new result replaces\n"
    "                    its failed row, and /jobs/<n>/retried keeps the old reasons\n"
    "  --progress-every  seconds between progress lines (default 10)\n"
    "Running the same command again resumes: committed runs are skipped, runs in progress\n"
    "continue from their checkpoints. SIGUSR1 to mpirun (or SIGTERM/SIGINT/SIGUSR1 to the khsweep\n"
    "processes) stops handing out runs, checkpoints the runs in flight, commits and exits with 75.\n";

// Returns the options, or an error message ("" on --help).
bool parse(const std::vector<std::string>& args, runner::JobOptions& options, std::string& problem) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= args.size()) {
        problem = std::string(flag) + " needs a value";
        return {};
      }
      return args[++i];
    };
    if (a == "--help" || a == "-h") return false;
    if (a == "--store") {
      options.store = value("--store");
    } else if (a == "--quiet") {
      options.quiet = true;
    } else if (a == "--retry-failed") {
      options.retry_failed = true;
    } else if (a == "--progress-every") {
      const std::string text = value("--progress-every");
      try {
        std::size_t used = 0;
        options.progress_every_seconds = std::stod(text, &used);
        if (used != text.size() || !(options.progress_every_seconds > 0)) throw std::invalid_argument(text);
      } catch (const std::exception&) {
        problem = "--progress-every: expected a number of seconds > 0, got '" + text + "'";
      }
    } else if (!a.empty() && a[0] == '-') {
      problem = "unknown option '" + a + "'";
    } else if (options.sweep.empty()) {
      options.sweep = a;
    } else {
      problem = "more than one sweep file given ('" + options.sweep.string() + "' and '" + a + "')";
    }
    if (!problem.empty()) return false;
  }
  if (options.sweep.empty()) problem = "no sweep file given";
  return problem.empty();
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
  runner::JobOptions options;
  std::string problem;
  const bool parsed = parse(args, options, problem);
  // The usage, or the problem and the usage; `speak` false on every rank but 0 (all parsed the same).
  const auto refuse = [&](bool speak) {
    if (speak) {
      if (!problem.empty()) std::cerr << "khsweep run: " << problem << "\n";
      (problem.empty() ? std::cout : std::cerr) << kRunUsage;
    }
    return problem.empty() ? kExitOk : kExitUsage;
  };
  if (!runner::launched_by_mpi()) {
    if (!parsed) return refuse(true);
    try {
      return runner::run_sweep_alone(options);
    } catch (const std::exception& e) {
      std::cerr << "khsweep run: internal error: " << e.what() << "\n";
      return kExitInternal;
    }
  }
  mpi::Environment mpi;
  const auto comm = mpi::Communicator::world();
  if (!parsed) return refuse(comm.rank() == 0);
  try {
    return runner::run_sweep(comm, options);
  } catch (const std::exception& e) {
    std::cerr << "khsweep run: rank " << comm.rank() << ": internal error: " << e.what() << "\n";
    // The other ranks may be waiting on this one: end the job rather than hang it.
    if (comm.size() > 1) mpi::Environment::abort(kExitInternal);
    return kExitInternal;
  }
}

}  // namespace khsweep::cli
