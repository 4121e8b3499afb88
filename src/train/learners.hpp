#pragma once
// The constructors make_learner chooses between (learner.cpp); one per model kind.
#include <memory>

#include "khsweep/train/learner.hpp"

namespace khsweep::train {

[[nodiscard]] std::unique_ptr<Learner> make_rbm_learner(const RunConfig&, const data::Dataset& train,
                                                        const data::Dataset& validation);
[[nodiscard]] std::unique_ptr<Learner> make_kh_bio_learner(const RunConfig&, const data::Dataset& train,
                                                           const data::Dataset& validation);
[[nodiscard]] std::unique_ptr<Learner> make_mhc_learner(const RunConfig&, const data::Dataset& train,
                                                        const data::Dataset& validation);

}  // namespace khsweep::train
