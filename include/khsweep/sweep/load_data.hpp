#pragma once
#include <string>

#include "khsweep/data/dataset.hpp"
#include "khsweep/sweep/run_params.hpp"

namespace khsweep::sweep {

// The training and validation sets a run's data selection names: the IDX directory, binarised
// at its threshold, cut to its subsets. Throws khsweep::Error naming the file and the reason.
[[nodiscard]] data::DataSplit load_data(const DataSelection& selection);

// Equal for two selections exactly when they select the same data from the same path.
[[nodiscard]] std::string selection_key(const DataSelection& selection);

}  // namespace khsweep::sweep
