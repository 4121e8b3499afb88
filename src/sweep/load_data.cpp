#include "khsweep/sweep/load_data.hpp"

#include <system_error>

#include "khsweep/core/text.hpp"

namespace khsweep::sweep {

namespace fs = std::filesystem;

namespace {

// A value the user meant as a path rather than a dataset name.
bool is_path(const std::string& value) {
  std::error_code ec;
  return value.find('/') != std::string::npos || fs::exists(value, ec);
}

}  // namespace

DataSource resolve_data(const std::string& value) {
  if (!is_path(value))
    if (const data::KnownDataset* known = data::find_known_dataset(value))
      return {data::data_directory() / known->name, known};
  return {fs::path(value), nullptr};
}

std::string data_value_problem(const std::string& value) {
  std::error_code ec;
  if (is_path(value)) {
    if (fs::is_directory(value, ec)) return "";
    return (fs::exists(value, ec) ? "not a directory: '" : "no such directory: '") + value + "'";
  }
  if (data::find_known_dataset(value)) return "";
  std::vector<std::string> names;
  for (const auto& known : data::known_datasets()) names.push_back(known.name);
  std::string why = "no such directory: " + in_quotes(value) + ", nor a known dataset (" + join(names, ", ") + ")";
  if (const std::string near = closest_match(value, names); !near.empty()) why += "; did you mean " + in_quotes(near) + "?";
  return why;
}

bool is_absent_path(const std::string& value) {
  std::error_code ec;
  return value.find('/') != std::string::npos && !fs::exists(value, ec);
}

std::optional<data::DataSplitFacts> catalogued_selection_facts(const train::DataSelection& selection) {
  const DataSource source = resolve_data(selection.dataset);
  if (source.known == nullptr) return std::nullopt;
  data::DataSplitFacts facts = data::catalogued_facts(*source.known, selection.threshold);
  facts.train = data::subset_facts(facts.train, selection.train_subset, selection.subset_mode, selection.subset_seed);
  facts.validation =
      data::subset_facts(facts.validation, selection.validation_subset, selection.subset_mode, selection.subset_seed);
  return facts;
}

data::DataSplit load_data(const train::DataSelection& selection) {
  const DataSource source = resolve_data(selection.dataset);
  // A known dataset's directory is always DATA_DIR/NAME.
  data::DataSplit split = source.known != nullptr
                              ? data::load_known_dataset(*source.known, source.directory.parent_path(), selection.threshold)
                              : data::load_idx_directory(source.directory, selection.threshold);
  split.train = data::subset(split.train, selection.train_subset, selection.subset_mode, selection.subset_seed);
  split.validation =
      data::subset(split.validation, selection.validation_subset, selection.subset_mode, selection.subset_seed);
  return split;
}

std::string selection_key(const train::DataSelection& s) {
  // By directory, not by value: `mnist` and the data/mnist it resolves to are loaded once.
  return resolve_data(s.dataset).directory.string() + "|t" + std::to_string(s.threshold) + "|n" + std::to_string(s.train_subset) + "," +
         std::to_string(s.validation_subset) + "|" + (s.subset_mode == data::SubsetMode::first ? "first" : "random") +
         "|s" + std::to_string(s.subset_seed);
}

}  // namespace khsweep::sweep
