#include "khsweep/sweep/load_data.hpp"

namespace khsweep::sweep {

data::DataSplit load_data(const DataSelection& selection) {
  data::DataSplit split = data::load_idx_directory(selection.dataset, selection.threshold);
  split.train = data::subset(split.train, selection.train_subset, selection.subset_mode, selection.subset_seed);
  split.validation =
      data::subset(split.validation, selection.validation_subset, selection.subset_mode, selection.subset_seed);
  return split;
}

std::string selection_key(const DataSelection& s) {
  return s.dataset + "|t" + std::to_string(s.threshold) + "|n" + std::to_string(s.train_subset) + "," +
         std::to_string(s.validation_subset) + "|" + (s.subset_mode == data::SubsetMode::first ? "first" : "random") +
         "|s" + std::to_string(s.subset_seed);
}

}  // namespace khsweep::sweep
