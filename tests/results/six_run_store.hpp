#pragma once
// The six-run store that filter_test and query_test select from, as their comments describe:
// rows 0..5: hidden 16 16 32 32 100 100; init lecun lecun lecun std lecun std; kh none none top_down
// top_down bottom_up top_down; eps0 nan nan 0.01 0.02 0.01 0.05; seed 1 2 1 2 3 1;
// min_val_mse 0.3 0.2 0.1 `row3_mse` 0.15 nan (row 5 failed with reason `failure`).
#include <cstdint>
#include <filesystem>
#include <string>

#include "../support/unit_store.hpp"

namespace khsweep::testing {

// A finished run whose validation MSE ends at `mse` (the min over its 2 epochs).
inline store::CommittedRun six_store_run(const std::string& id, int hidden, model::Init init, model::KhVariant kh,
                                         double eps0, std::uint64_t seed, double mse) {
  store::CommittedRun run = unit_run(id, kh == model::KhVariant::none ? "baseline" : "kh", hidden, seed);
  run.params.config.init = init;
  run.params.config.kh = kh;
  run.params.config.kh_eps0 = eps0;
  for (int e = 0; e < 2; ++e) {
    train::EpochRecord r;
    r.epoch = e;
    r.evaluated = true;
    r.validation.mse = mse + 0.1 * (1 - e);
    run.result.curves.push_back(r);
  }
  return run;
}

inline void write_six_run_store(const std::filesystem::path& path, double row3_mse, const std::string& failure) {
  using model::Init;
  using model::KhVariant;
  store::CommittedRun failed = six_store_run("00000000000000a6", 100, Init::std_normal, KhVariant::top_down, 0.05, 1, 0);
  failed.failure = failure;
  failed.result = {};
  write_store(path, test_job_info(),
              {six_store_run("00000000000000a1", 16, Init::lecun, KhVariant::none, 0, 1, 0.30),
               six_store_run("00000000000000a2", 16, Init::lecun, KhVariant::none, 0, 2, 0.20),
               six_store_run("00000000000000a3", 32, Init::lecun, KhVariant::top_down, 0.01, 1, 0.10),
               six_store_run("00000000000000a4", 32, Init::std_normal, KhVariant::top_down, 0.02, 2, row3_mse),
               six_store_run("00000000000000a5", 100, Init::lecun, KhVariant::bottom_up, 0.01, 3, 0.15), failed});
}

}  // namespace khsweep::testing
