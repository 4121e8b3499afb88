#pragma once
// Building blocks for small sweep stores in tests: the job record and a finished run of the "unit"
// sweep, which each test then shapes (configuration, weights, curves) to the values it checks.
#include <cstdint>
#include <filesystem>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "khsweep/store/sweep_store.hpp"

namespace khsweep::testing {

// The job that writes sweep `name` (from `name`.yaml) on host "here" without MPI, reading `datasets`.
inline store::JobInfo test_job_info(const std::string& name = "unit",
                                    std::vector<std::pair<std::string, std::string>> datasets = {}) {
  store::JobInfo job;
  job.sweep_name = name;
  job.sweep_path = name + ".yaml";
  job.sweep_text = "name: " + name + "\n";
  job.hosts = {"here"};
  job.mpi_version = "none";
  job.datasets = std::move(datasets);
  return job;
}

// "%016x" of `number`: a valid run id.
inline std::string unit_run_id(unsigned number) {
  char id[17];
  std::snprintf(id, sizeof id, "%016x", number);
  return id;
}

// A finished f64 run of the "unit" sweep on data/x (10 training and 5 validation samples, checksums
// 'a' x 64 and 'b' x 64, host "here") with 4 visible and `hidden` hidden units, parameters
// W = `w`, a = `a`, b = `b` everywhere, and no curves yet.
inline store::CommittedRun unit_run(const std::string& id, const std::string& arm, int hidden, std::uint64_t seed,
                                    double w = 0.0, double a = 0.0, double b = 0.0) {
  store::CommittedRun run;
  run.id = id;
  run.sweep = "unit";
  run.arm = arm;
  run.params.config.hidden = hidden;
  run.params.config.seed = seed;
  run.params.config.precision = train::Precision::f64;
  run.params.data.dataset = "data/x";
  run.train_checksum = std::string(64, 'a');
  run.validation_checksum = std::string(64, 'b');
  run.train_samples = 10;
  run.validation_samples = 5;
  run.result.params.layout = {4, 0, hidden};
  run.result.params.W = model::Matrix<double>::Constant(4, hidden, w);
  run.result.params.a = model::Vector<double>::Constant(4, a);
  run.result.params.b = model::Vector<double>::Constant(hidden, b);
  run.host = "here";
  return run;
}

// Gives `run` `epochs` evaluated epochs of 1 s each, validation MSE 0.1, 0.09, 0.08, ...
inline void add_unit_curves(store::CommittedRun& run, int epochs) {
  for (int e = 0; e < epochs; ++e) {
    train::EpochRecord r;
    r.epoch = e;
    r.evaluated = true;
    r.validation.mse = 0.1 - 0.01 * e;
    r.train_seconds = 1.0;
    run.result.curves.push_back(r);
  }
}

// Commits `runs` to a new store at `path` written by `job`, and finishes the job.
inline void write_store(const std::filesystem::path& path, const store::JobInfo& job,
                        const std::vector<store::CommittedRun>& runs) {
  auto s = store::SweepStore::open_for_sweep(path, job);
  s.commit(runs);
  s.finish_job("completed");
}

}  // namespace khsweep::testing
