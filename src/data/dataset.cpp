#include "khsweep/data/dataset.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <system_error>
#include <utility>

#include "khsweep/core/error.hpp"
#include "khsweep/core/random.hpp"
#include "khsweep/data/sha256.hpp"

namespace khsweep::data {

namespace {

namespace fs = std::filesystem;

void validate(std::size_t pixel_bytes, std::size_t count, std::size_t dim, const std::vector<std::uint8_t>& labels,
              int classes, const std::string& source) {
  if (classes < 1 || classes > 256) {
    throw error_at(source, "classes must lie in [1, 256], got " + std::to_string(classes));
  }
  if (count != labels.size()) {
    throw error_at(source, "count mismatch: " + std::to_string(count) + " images but " + std::to_string(labels.size()) +
                               " labels");
  }
  if (pixel_bytes != count * dim) {
    throw error_at(source, "image data holds " + std::to_string(pixel_bytes) + " bytes, expected " +
                               std::to_string(count) + " x " + std::to_string(dim));
  }
  const auto bad = std::find_if(labels.begin(), labels.end(), [&](std::uint8_t l) { return l >= classes; });
  if (bad != labels.end()) {
    throw error_at(source, "label " + std::to_string(*bad) + " at index " + std::to_string(bad - labels.begin()) +
                               " is out of range [0, " + std::to_string(classes) + ")");
  }
}

// Binarises `pixels` in place and takes ownership of it; the caller supplies the checksum.
Dataset assemble(std::vector<std::uint8_t> pixels, std::size_t count, std::size_t dim, std::vector<std::uint8_t> labels,
                 int threshold, int classes, const std::string& source, std::string checksum) {
  validate(pixels.size(), count, dim, labels, classes, source);
  // Thresholds outside [0, 255] are legal and give all ones or all zeros; clamp so the byte compare holds.
  const auto cut = static_cast<std::uint8_t>(std::clamp(threshold, 0, 255));
  const bool all_zero = threshold > 255;
  for (auto& p : pixels) p = static_cast<std::uint8_t>(!all_zero && p >= cut);

  Dataset set;
  set.count = count;
  set.dim = dim;
  set.classes = classes;
  set.bits = std::move(pixels);
  set.labels = std::move(labels);
  set.checksum = std::move(checksum);
  return set;
}

}  // namespace

// Dataset checksum: the hex SHA-256 of the ASCII text
//   "khsweep-dataset-v1\nimages <I>\nlabels <L>\nthreshold <t>\n"
// where <I> and <L> are idx_content_sha256 of the image and label files (equivalently, of the IDX
// bytes that hold exactly the in-memory content) and <t> is the threshold in decimal.
std::string dataset_checksum(const std::string& images_sha, const std::string& labels_sha, int threshold) {
  const std::string text = "khsweep-dataset-v1\nimages " + images_sha + "\nlabels " + labels_sha + "\nthreshold " +
                           std::to_string(threshold) + "\n";
  return sha256_hex(text.data(), text.size());
}

// Subset checksum: the hex SHA-256 of the ASCII text
//   "khsweep-subset-v1\nparent <P>\nmode first\nn <n>\n"               (first n)
//   "khsweep-subset-v1\nparent <P>\nmode random\nn <n>\nseed <s>\n"    (random n)
// where <P> is the full set's checksum. The seed is left out of "first": it does not change the selection.
// A "subset" of n == 0 or n >= count is the whole set, with its own checksum.
std::string subset_checksum(const std::string& parent, std::size_t full_count, std::size_t n, SubsetMode mode,
                            std::uint64_t seed) {
  if (n == 0 || n >= full_count) return parent;  // the whole set
  std::string text = "khsweep-subset-v1\nparent " + parent + "\nmode ";
  text += mode == SubsetMode::first ? "first" : "random";
  text += "\nn " + std::to_string(n) + "\n";
  if (mode == SubsetMode::random) text += "seed " + std::to_string(seed) + "\n";
  return sha256_hex(text.data(), text.size());
}


Dataset binarise(const IdxImages& images, std::vector<std::uint8_t> labels, int threshold, int classes,
                 const std::string& source) {
  const std::size_t dim = images.rows * images.cols;
  validate(images.pixels.size(), images.count, dim, labels, classes, source);  // before hashing 47 MB
  // Hash the content as the IDX files that hold it would hash, so this agrees with load_idx_pair.
  std::string checksum =
      dataset_checksum(detail::idx_images_sha256(images), detail::idx_labels_sha256(labels), threshold);
  return assemble(images.pixels, images.count, dim, std::move(labels), threshold, classes, source, std::move(checksum));
}

namespace {

// load_idx_pair, also handing out each file's idx_content_sha256.
Dataset load_hashed_pair(const fs::path& images, const fs::path& labels, int threshold, int classes,
                         std::string& images_sha, std::string& labels_sha) {
  IdxImages raw = detail::read_idx_images(images, images_sha);
  std::vector<std::uint8_t> label_bytes = detail::read_idx_labels(labels, labels_sha);
  const std::size_t dim = raw.rows * raw.cols;
  return assemble(std::move(raw.pixels), raw.count, dim, std::move(label_bytes), threshold, classes,
                  images.string() + " and " + labels.string(), dataset_checksum(images_sha, labels_sha, threshold));
}

}  // namespace

Dataset load_idx_pair(const fs::path& images, const fs::path& labels, int threshold, int classes) {
  std::string images_sha;
  std::string labels_sha;
  return load_hashed_pair(images, labels, threshold, classes, images_sha, labels_sha);
}

DataSplitFacts facts_of(const DataSplit& split) {
  const auto of = [](const Dataset& d) { return DatasetFacts{d.count, d.dim, d.classes, d.checksum}; };
  return {of(split.train), of(split.validation)};
}

DatasetFacts subset_facts(const DatasetFacts& full, std::size_t n, SubsetMode mode, std::uint64_t seed) {
  DatasetFacts part = full;
  if (n == 0 || n >= full.count) return part;
  part.count = n;
  part.checksum = subset_checksum(full.checksum, full.count, n, mode, seed);
  return part;
}

Dataset subset(const Dataset& full, std::size_t n, SubsetMode mode, std::uint64_t seed) {
  if (n == 0 || n >= full.count) return full;

  Dataset part;
  part.count = n;
  part.dim = full.dim;
  part.classes = full.classes;
  part.checksum = subset_checksum(full.checksum, full.count, n, mode, seed);
  part.bits.resize(n * full.dim);
  part.labels.resize(n);

  if (mode == SubsetMode::first) {
    std::copy_n(full.pixels(), n * full.dim, part.bits.begin());
    std::copy_n(full.labels.begin(), n, part.labels.begin());
    return part;
  }

  // Partial Fisher-Yates: the first n slots end up a uniform sample without replacement.
  std::vector<std::size_t> index(full.count);
  std::iota(index.begin(), index.end(), std::size_t{0});
  Rng rng(derive_seed(seed, stream::subset));
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.below(full.count - i));
    std::swap(index[i], index[j]);
  }
  index.resize(n);
  std::sort(index.begin(), index.end());  // keep the original order
  for (std::size_t k = 0; k < n; ++k) {
    std::copy_n(full.row(index[k]), full.dim, part.bits.begin() + static_cast<std::ptrdiff_t>(k * full.dim));
    part.labels[k] = full.labels[index[k]];
  }
  return part;
}

DataSplit load_idx_directory(const fs::path& dir, int threshold, IdxDirectoryFiles* files) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw error_at(dir.string(), "no such directory");
  if (!fs::is_directory(dir, ec)) throw error_at(dir.string(), "not a directory");

  std::array<fs::path, 4> found;
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < kIdxFileNames.size(); ++i) {
    const fs::path raw = dir / kIdxFileNames[i];
    const fs::path gz = dir / (std::string(kIdxFileNames[i]) + ".gz");
    if (fs::exists(raw, ec)) {
      found[i] = raw;  // raw first: no decompression needed
    } else if (fs::exists(gz, ec)) {
      found[i] = gz;
    } else {
      missing.emplace_back(kIdxFileNames[i]);
    }
  }
  if (!missing.empty()) {
    std::string reason = "missing " + missing[0];
    for (std::size_t i = 1; i < missing.size(); ++i) reason += ", " + missing[i];
    reason += missing.size() == 1 ? " (looked for " + missing[0] + " and " + missing[0] + ".gz)"
                                  : " (looked for each raw and with .gz appended)";
    throw error_at(dir.string(), reason +
                                     "; an IDX directory holds train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                                     "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or .gz");
  }

  DataSplit split;
  std::array<std::string, 4> sha;
  split.train = load_hashed_pair(found[0], found[1], threshold, 10, sha[0], sha[1]);
  split.validation = load_hashed_pair(found[2], found[3], threshold, 10, sha[2], sha[3]);
  if (files != nullptr) {
    files->paths = found;
    files->content_sha256 = sha;
  }
  if (split.train.dim != split.validation.dim) {
    throw error_at(dir.string(), "train images have " + std::to_string(split.train.dim) +
                                     " pixels but t10k images have " + std::to_string(split.validation.dim));
  }
  return split;
}

}  // namespace khsweep::data
