#pragma once
#include <cstddef>

#include "khsweep/core/random.hpp"
#include "khsweep/data/dataset.hpp"
#include "khsweep/model/rbm.hpp"
#include "khsweep/train/result.hpp"

namespace khsweep::train {

// Reconstruction MSE and cross entropy, pseudo-log-likelihood and (for a cRBM) accuracy on the
// first `limit` samples of a set (0: all). Sampling draws only from `rng`.
template <class Real>
[[nodiscard]] SetMetrics evaluate(const model::Params<Real>& params, const data::Dataset& set, std::size_t limit,
                                  Rng& rng);

// Mean over hidden units of the largest cosine similarity between the unit's image weights and
// any other unit's (docs/algorithms.md section 6). NaN for fewer than two hidden units.
template <class Real>
[[nodiscard]] double receptive_field_overlap(const model::Params<Real>& params);

}  // namespace khsweep::train
