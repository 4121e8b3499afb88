#pragma once
// The yardstick of `khsweep bench`: a CD-1 epoch written the plain way, with dense Eigen products
// on float matrices (what a straightforward port of the published numpy code does). It is not used
// for training; it only measures what the sparse trainer is compared against.
#include <cstddef>

#include "khsweep/data/dataset.hpp"

namespace khsweep::train {

// Seconds for one CD-1 training epoch of a plain RBM with `hidden` units on `train` (batch 100,
// eta 0.1), dense float GEMMs throughout, one thread.
[[nodiscard]] double dense_cd1_epoch_seconds(const data::Dataset& train, int hidden, std::uint64_t seed);

// Float GEMM throughput in GFLOP/s for C (rows x cols) = A (rows x inner) * B (inner x cols),
// best of `repeats` timings.
[[nodiscard]] double gemm_gflops(int rows, int inner, int cols, int repeats);

}  // namespace khsweep::train
