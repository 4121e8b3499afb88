#pragma once
// A small sweep store with known values, shared by plot_test and make_test_store (whose store the
// Python test reads): 2 configurations (hidden 8 and 16) x 3 seeds, committed in that order, plus
// one failed run. Run i (0..5, commit order) has id "00000000000000" + two hex digits of i + 1,
// 4 epochs, and epoch e (0-based) has
//   val_mse = 0.1 * i + 0.01 * e, train_mse = 0.2 * i + 0.01 * e, val_cross_entropy = 0.5 + i + e,
// except that epoch 1 is not evaluated (its metrics are NaN). The failed run has id
// "00000000000000ff", status "failed" and no /run group.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "khsweep/store/sweep_store.hpp"

namespace khsweep::testing {

inline constexpr int kSyntheticRuns = 6;
inline constexpr int kSyntheticEpochs = 4;

inline std::string synthetic_id(int i) {
  char id[17];
  std::snprintf(id, sizeof id, "%016x", i + 1);
  return id;
}

inline store::CommittedRun synthetic_run(int i) {
  store::CommittedRun run;
  run.id = synthetic_id(i);
  run.sweep = "synthetic";
  run.arm = i < 3 ? "small" : "large";
  run.params.config.hidden = i < 3 ? 8 : 16;
  run.params.config.seed = static_cast<unsigned>(1 + i % 3);
  run.params.config.epochs = kSyntheticEpochs;
  run.params.config.metrics_every = 2;
  run.params.config.precision = train::Precision::f64;
  run.params.data.dataset = "data/synthetic";
  run.train_checksum = std::string(64, 'a');
  run.validation_checksum = std::string(64, 'b');
  run.train_samples = 10;
  run.validation_samples = 5;
  const int hidden = run.params.config.hidden;
  run.result.params.layout = {4, 0, hidden};
  run.result.params.W = model::Matrix<double>::Constant(4, hidden, 0.5);
  run.result.params.a = model::Vector<double>::Constant(4, 0.25);
  run.result.params.b = model::Vector<double>::Constant(hidden, -0.5);
  for (int e = 0; e < kSyntheticEpochs; ++e) {
    train::EpochRecord r;
    r.epoch = e;
    r.train_seconds = 1.0;
    r.evaluated = e != 1;
    if (r.evaluated) {
      r.metric_seconds = 0.5;
      r.validation.mse = 0.1 * i + 0.01 * e;
      r.train.mse = 0.2 * i + 0.01 * e;
      r.validation.cross_entropy = 0.5 + i + e;
    }
    run.result.curves.push_back(r);
  }
  run.result.receptive_field_overlap = 0.5;
  run.host = "here";
  return run;
}

inline void write_synthetic_store(const std::filesystem::path& path) {
  store::JobInfo job;
  job.sweep_name = "synthetic";
  job.sweep_path = "synthetic.yaml";
  job.sweep_text = "name: synthetic\n";
  job.hosts = {"here"};
  job.mpi_version = "none";
  job.datasets = {{"data/synthetic", std::string(64, 'a')}};
  auto s = store::SweepStore::open_for_sweep(path, job);
  std::vector<store::CommittedRun> runs;
  for (int i = 0; i < kSyntheticRuns; ++i) runs.push_back(synthetic_run(i));
  store::CommittedRun failed = synthetic_run(0);
  failed.id = "00000000000000ff";
  failed.params.config.seed = 99;
  failed.failure = "synthetic failure";
  failed.result = train::RunResult{};
  runs.push_back(failed);
  s.commit(runs);
  s.finish_job("completed");
}

}  // namespace khsweep::testing
