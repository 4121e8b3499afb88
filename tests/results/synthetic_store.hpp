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

#include "../support/unit_store.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::testing {

inline constexpr int kSyntheticRuns = 6;
inline constexpr int kSyntheticEpochs = 4;

inline std::string synthetic_id(int i) { return unit_run_id(static_cast<unsigned>(i + 1)); }

inline store::CommittedRun synthetic_run(int i) {
  const int hidden = i < 3 ? 8 : 16;
  store::CommittedRun run = unit_run(synthetic_id(i), i < 3 ? "small" : "large", hidden,
                                     static_cast<unsigned>(1 + i % 3), 0.5, 0.25, -0.5);
  run.sweep = "synthetic";
  run.params.config.epochs = kSyntheticEpochs;
  run.params.config.metrics_every = 2;
  run.params.data.dataset = "data/synthetic";
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
  return run;
}

inline void write_synthetic_store(const std::filesystem::path& path) {
  const store::JobInfo job = test_job_info("synthetic", {{"data/synthetic", std::string(64, 'a')}});
  std::vector<store::CommittedRun> runs;
  for (int i = 0; i < kSyntheticRuns; ++i) runs.push_back(synthetic_run(i));
  store::CommittedRun failed = synthetic_run(0);
  failed.id = "00000000000000ff";
  failed.params.config.seed = 99;
  failed.failure = "synthetic failure";
  failed.result = train::RunResult{};
  runs.push_back(failed);
  write_store(path, job, runs);
}

}  // namespace khsweep::testing
