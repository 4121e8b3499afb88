// `khsweep run`: parse the few job options, then run the job in this process alone, or start MPI
// and hand over to the distributed job when an MPI launcher started this process.
#include <iostream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
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

// Reads the job options; false on --help or a mistake (`problems` says which: empty on --help).
bool parse(const std::vector<std::string>& args, runner::JobOptions& options, std::vector<std::string>& problems) {
  ArgReader in(args, "run");
  bool help = false;
  while (in.next()) {
    if (in.help()) {
      help = true;
    } else if (in.positional()) {
      if (options.sweep.empty()) options.sweep = in.arg();
      else in.problem("more than one sweep file given ('" + options.sweep.string() + "' and '" + in.arg() + "')");
    } else if (in.option() == "--store") {
      if (const auto v = in.value()) options.store = *v;
    } else if (in.option() == "--progress-every") {
      if (const auto v = in.value())
        if (const auto seconds = in.positive_number(*v, "a number of seconds > 0")) options.progress_every_seconds = *seconds;
    } else if (in.option_is_one_of({"--quiet", "--retry-failed"}) && !in.inline_value()) {
      (in.option() == "--quiet" ? options.quiet : options.retry_failed) = true;
    } else {
      in.unknown_option();
    }
  }
  if (help) return false;
  if (options.sweep.empty()) in.problem("no sweep file given");
  problems = std::move(in.problems());
  return problems.empty();
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
  runner::JobOptions options;
  std::vector<std::string> problems;
  const bool parsed = parse(args, options, problems);
  // The usage, or the problems and the usage; `speak` false on every rank but 0 (all parsed the same).
  const auto refuse = [&](bool speak) {
    if (speak) {
      print_problems("run", problems);
      (problems.empty() ? std::cout : std::cerr) << kRunUsage;
    }
    return problems.empty() ? kExitOk : kExitUsage;
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
