#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "khsweep/data/catalog.hpp"
#include "khsweep/data/dataset.hpp"
#include "khsweep/train/run_params.hpp"

namespace khsweep::sweep {

// Where a `data` value points. A value with a '/', or naming an existing directory, is that IDX
// directory; otherwise a known dataset's name (data::known_datasets) is data::data_directory()/NAME,
// checked against the catalogue when it is loaded.
struct DataSource {
  std::filesystem::path directory;
  const data::KnownDataset* known = nullptr;  // the catalogue entry when the value named one
};
[[nodiscard]] DataSource resolve_data(const std::string& value);

// What is wrong with a `data` value that can be told without reading data, or "": a path that is
// not a directory, or a name that is neither a directory nor a known dataset (with a did-you-mean).
// A known dataset's files are checked when it is loaded: missing data is an input error, not a
// mistake in the file that names it.
[[nodiscard]] std::string data_value_problem(const std::string& value);

// Whether `value` is meant as a path (it has a '/') and nothing is there.
[[nodiscard]] bool is_absent_path(const std::string& value);

// The sizes and checksums load_data gives a known dataset's selection, from the catalogue alone
// (nothing is read); nullopt when the selection's data is given by path.
[[nodiscard]] std::optional<data::DataSplitFacts> catalogued_selection_facts(const train::DataSelection& selection);

// The training and validation sets a run's data selection names: the IDX directory (a known
// dataset verified against the catalogue), binarised at its threshold, cut to its subsets.
// Throws khsweep::Error naming the file and the reason.
[[nodiscard]] data::DataSplit load_data(const train::DataSelection& selection);

// Equal for two selections exactly when they select the same data from the same directory (a
// dataset's name and its resolved path are the same directory).
[[nodiscard]] std::string selection_key(const train::DataSelection& selection);

}  // namespace khsweep::sweep
