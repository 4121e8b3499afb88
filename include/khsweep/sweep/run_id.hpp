#pragma once
#include <string>

#include "khsweep/train/run_params.hpp"

// Run ids: equal exactly when two runs would produce the same result, so no run is trained twice.
namespace khsweep::sweep {

// Bump whenever a change to the training code changes results: every run id changes with it.
inline constexpr int kNumericsVersion = 2;  // 2: lane kernels and counter-based Gibbs draws

// The text a run id hashes: "numerics_version=N", "train_checksum=...", "validation_checksum=...",
// then one "name=value" line per table parameter in table order that affects the result (rule in
// run_id.cpp), value as the table's get() prints it after "0 means default" values are resolved.
[[nodiscard]] std::string canonical_run_text(const train::RunParams& params, const std::string& train_checksum,
                                             const std::string& validation_checksum);

// 16 lowercase hex characters: the first 64 bits of SHA-256 over canonical_run_text.
[[nodiscard]] std::string run_id(const train::RunParams& params, const std::string& train_checksum,
                                 const std::string& validation_checksum);

}  // namespace khsweep::sweep
