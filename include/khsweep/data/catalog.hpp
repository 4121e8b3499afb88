#pragma once
#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "khsweep/data/dataset.hpp"

// The datasets khsweep knows by name, with the content each of their files must hold, so that a
// sweep can say `data: mnist` and be sure of what it trains on wherever it runs.
namespace khsweep::data {

struct KnownDataset {
  std::string name;    // as written in `data:`; also its directory under the data directory
  std::string source;  // where scripts/fetch-data.sh gets it, for messages
  std::string fetch_options;  // scripts/fetch-data.sh's options that install it ("" or "--fashion")
  // idx_content_sha256 of each file, in kIdxFileNames order: the decompressed IDX bytes, so a raw
  // file and its .gz twin both match.
  std::array<std::string, 4> content_sha256;
  // What the files hold, so a sweep on it can be planned before it is fetched.
  std::size_t train_count = 0;
  std::size_t validation_count = 0;
  std::size_t pixels = 0;  // per image
  int classes = 0;
};

// Every known dataset, in the order messages list them.
[[nodiscard]] const std::vector<KnownDataset>& known_datasets();

// The known dataset called exactly `name`, or nullptr.
[[nodiscard]] const KnownDataset* find_known_dataset(std::string_view name);

// Where named datasets live: $KHSWEEP_DATA_DIR when set and not empty, else "data" (relative to
// the current directory, as scripts/fetch-data.sh fills it from the repository root).
[[nodiscard]] std::filesystem::path data_directory();

// The checksums and sizes load_known_dataset gives the dataset (at `threshold`), from the
// catalogue alone: nothing is read.
[[nodiscard]] DataSplitFacts catalogued_facts(const KnownDataset& known, int threshold = kDefaultThreshold);

// Loads data_dir/<name> like load_idx_directory and checks every file's content against the
// catalogue. Any problem (missing directory or file, unreadable or corrupt file, wrong content) is
// one-line khsweep::Error naming the path, and for wrong content the expected and actual digest
// prefixes, ending with the scripts/fetch-data.sh command that puts the dataset right.
[[nodiscard]] DataSplit load_known_dataset(const KnownDataset& known, const std::filesystem::path& data_dir,
                                           int threshold = kDefaultThreshold);

}  // namespace khsweep::data
