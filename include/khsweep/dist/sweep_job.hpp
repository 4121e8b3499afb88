#pragma once
// `khsweep run`: one sweep file into one store, on however many MPI ranks the job has. Rank 0
// coordinates (validates, hands out runs costliest first, commits results as the store's single
// writer) and sleeps between messages instead of spinning; every other rank trains the runs it is
// given. A single-rank job trains the runs itself. The same run gives the same bits whichever
// rank trains it: a run is a pure function of its parameters, data and seed.
#include <filesystem>

#include "khsweep/dist/mpi.hpp"

namespace khsweep::dist {

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

}  // namespace khsweep::dist
