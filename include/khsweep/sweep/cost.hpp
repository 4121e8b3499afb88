#pragma once
#include <cstddef>

#include "khsweep/sweep/run_params.hpp"

// A rough a priori cost of a run, for planning sweeps (model and calibration in cost.cpp).
namespace khsweep::sweep {

// Estimated seconds one run takes on one core, given its training and validation set sizes.
[[nodiscard]] double estimate_seconds(const RunParams& params, std::size_t train_samples,
                                      std::size_t validation_samples);

}  // namespace khsweep::sweep
