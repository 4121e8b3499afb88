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

// `khsweep plot STORE.h5 --metric M ...`: learning curves (mean +- SE over seeds) via gnuplot.
int plot_command(const std::vector<std::string>& args);

// `khsweep query STORE.h5 [--where ...] [--columns ...] [--sort C] ...`: the runs as a table, CSV or JSON.
int query_command(const std::vector<std::string>& args);

// `khsweep aggregate STORE.h5 [--where ...] [--pivot R:C --metric M]`: seed statistics per
// configuration, written back to /aggregates.
int aggregate_command(const std::vector<std::string>& args);

// `khsweep best STORE.h5 --metric M [--by ...]`: the best KH eps0/delta/S per setting, with its baseline.
int best_command(const std::vector<std::string>& args);

// `khsweep compare STORE.h5 --metric M`: each KH configuration against its baseline, paired by seed.
int compare_command(const std::vector<std::string>& args);

// `khsweep recover STORE.h5`: rolls back a dead writer's half-done commit.
int recover_command(const std::vector<std::string>& args);

// `khsweep check STORE.h5 [--repair]`: whether /runs and the /run/<id> groups agree; --repair makes them.
int check_command(const std::vector<std::string>& args);

// `khsweep bench`: seconds per epoch of each configuration, and ratios to same-run yardsticks.
int bench_command(const std::vector<std::string>& args);

// `khsweep report STORE --out FILE.html [--metric M]`: one self-contained HTML page about a store.
int report_command(const std::vector<std::string>& args);

}  // namespace khsweep::cli
