#pragma once
// `khsweep run`: one sweep file into one store, on however many MPI ranks the job has. Rank 0
// coordinates (validates, hands out runs costliest first, commits results as the store's single
// writer) and sleeps between messages instead of spinning; every other rank trains the runs it is
// given. A single-rank job trains the runs itself. The same run gives the same bits whichever
// rank trains it: a run is a pure function of its parameters, data and seed.
#include <filesystem>

#include "khsweep/runner/mpi.hpp"

namespace khsweep::runner {

struct JobOptions {
  std::filesystem::path sweep;
  std::filesystem::path store;
  bool quiet = false;                // only errors and the final line
  bool retry_failed = false;         // train the store's failed runs of this sweep again, in place
  double progress_every_seconds = 10;
};

// Runs the job on this rank; returns the process exit code (khsweep::ExitCode). Every rank returns
// the coordinator's code, and workers return only after the coordinator's last commit.
[[nodiscard]] int run_sweep(const mpi::Communicator& comm, const JobOptions& options);

// The same job in this one process, without MPI: for `khsweep run` started without mpirun, which
// then needs no MPI runtime. Same store, checkpoints, signals and results as one rank under mpirun.
[[nodiscard]] int run_sweep_alone(const JobOptions& options);

// Whether this process was started by an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx), going
// by the environment each of them sets for its ranks.
[[nodiscard]] bool launched_by_mpi();

}  // namespace khsweep::runner
