#pragma once
#include <string>
#include <vector>

#include "khsweep/core/exit_codes.hpp"

namespace khsweep::cli {

// `khsweep train ARGS...`: one run, no MPI. Returns the process exit code.
int train_command(const std::vector<std::string>& args);

// `khsweep plan SWEEP.yaml`: validates a sweep and lists its runs, ids and estimated cost.
int plan_command(const std::vector<std::string>& args);

// `khsweep run SWEEP.yaml --store STORE.h5`: the sweep over MPI ranks (or one process).
int run_command(const std::vector<std::string>& args);

// `khsweep status STORE.h5`: what a store holds and how a live sweep on it is doing.
int status_command(const std::vector<std::string>& args);

}  // namespace khsweep::cli
