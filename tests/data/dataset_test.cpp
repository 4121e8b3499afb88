#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../support/idx_files.hpp"
#include "../support/real_data.hpp"
#include "../support/scratch.hpp"
#include "khsweep/data/dataset.hpp"

namespace fs = std::filesystem;
using namespace khsweep::data;
using namespace khsweep::testing;

namespace {

// `count` 1x8 images whose pixels spell the image's index in binary (255 = set bit), labels index % 10.
IdxImages indexed_images(std::size_t count) {
  IdxImages images;
  images.count = count;
  images.rows = 1;
  images.cols = 8;
  for (std::size_t i = 0; i < count; ++i) {
    for (int bit = 0; bit < 8; ++bit) images.pixels.push_back((i >> bit) & 1 ? 255 : 0);
  }
  return images;
}

Bytes indexed_labels(std::size_t count) {
  Bytes labels;
  for (std::size_t i = 0; i < count; ++i) labels.push_back(static_cast<std::uint8_t>(i % 10));
  return labels;
}

// Recovers which image of indexed_images a binarised row came from.
std::size_t index_of(const Dataset& set, std::size_t row) {
  std::size_t index = 0;
  for (std::size_t bit = 0; bit < set.dim; ++bit) index |= std::size_t{set.row(row)[bit]} << bit;
  return index;
}

}  // namespace

BOOST_AUTO_TEST_CASE(binarise_at_127) {
  IdxImages images;
  images.count = 2;
  images.rows = 2;
  images.cols = 3;
  images.pixels = {0, 1, 126, 127, 128, 255, 255, 127, 126, 0, 200, 100};
  const Dataset set = binarise(images, {3, 9}, kDefaultThreshold, 10, "test");
  BOOST_TEST(set.count == 2u);
  BOOST_TEST(set.dim == 6u);
  BOOST_TEST(set.classes == 10);
  BOOST_TEST(set.bits == Bytes({0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(set.labels == Bytes({3, 9}), boost::test_tools::per_element());
  BOOST_TEST(set.row(1)[1] == 1);
  BOOST_TEST(set.checksum.size() == 64u);

  const Dataset other = binarise(images, {3, 9}, 200, 10, "test");
  BOOST_TEST(other.bits == Bytes({0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(other.checksum != set.checksum);  // the threshold is part of the identity
  BOOST_TEST(binarise(images, {3, 8}, kDefaultThreshold, 10, "test").checksum != set.checksum);
  BOOST_TEST(binarise(images, {3, 9}, kDefaultThreshold, 10, "test").checksum == set.checksum);
}

BOOST_AUTO_TEST_CASE(binarise_rejects_bad_labels) {
  const IdxImages images = indexed_images(3);
  const std::string mismatch = error_of([&] { (void)binarise(images, {1, 2}, 127, 10, "imgs and lbls"); });
  KHSWEEP_CHECK_MESSAGE_HAS(mismatch, "imgs and lbls: ");
  KHSWEEP_CHECK_MESSAGE_HAS(mismatch, "3 images but 2 labels");

  const std::string range = error_of([&] { (void)binarise(images, {1, 2, 10}, 127, 10, "imgs and lbls"); });
  KHSWEEP_CHECK_MESSAGE_HAS(range, "imgs and lbls: ");
  KHSWEEP_CHECK_MESSAGE_HAS(range, "label 10 at index 2 is out of range [0, 10)");
  BOOST_CHECK_NO_THROW((void)binarise(images, {1, 2, 10}, 127, 11, "imgs and lbls"));
}

BOOST_AUTO_TEST_CASE(load_pair_raw_and_gzip) {
  ScratchDir dir("khsweep-dataset-test-");
  const IdxImages images = indexed_images(20);
  const Bytes labels = indexed_labels(20);
  write_raw(dir / "images", idx_images(images));
  write_raw(dir / "labels", idx_labels(labels));
  write_gz(dir / "images.gz", idx_images(images));
  write_gz(dir / "labels.gz", idx_labels(labels));

  const Dataset raw = load_idx_pair(dir / "images", dir / "labels");
  const Dataset gz = load_idx_pair(dir / "images.gz", dir / "labels.gz");
  BOOST_TEST(raw.count == 20u);
  BOOST_TEST(raw.dim == 8u);
  BOOST_TEST(raw.bits == gz.bits, boost::test_tools::per_element());
  BOOST_TEST(raw.labels == labels, boost::test_tools::per_element());
  BOOST_TEST(raw.checksum == gz.checksum);
  // Loading from files and binarising in memory identify the same content the same way.
  BOOST_TEST(raw.checksum == binarise(images, labels, kDefaultThreshold, 10, "memory").checksum);
  BOOST_TEST(load_idx_pair(dir / "images", dir / "labels", 100).checksum != raw.checksum);

  write_raw(dir / "short-labels", idx_labels(indexed_labels(19)));
  const std::string message = error_of([&] { (void)load_idx_pair(dir / "images", dir / "short-labels"); });
  KHSWEEP_CHECK_MESSAGE_HAS(message, (dir / "images").string());
  KHSWEEP_CHECK_MESSAGE_HAS(message, (dir / "short-labels").string());
  KHSWEEP_CHECK_MESSAGE_HAS(message, "20 images but 19 labels");
}

BOOST_AUTO_TEST_CASE(subset_first_n) {
  const Dataset full = binarise(indexed_images(100), indexed_labels(100), 127, 10, "test");
  const Dataset head = subset(full, 10, SubsetMode::first, 1);
  BOOST_TEST(head.count == 10u);
  BOOST_TEST(head.dim == full.dim);
  BOOST_TEST(head.bits == Bytes(full.bits.begin(), full.bits.begin() + 80), boost::test_tools::per_element());
  BOOST_TEST(head.labels == Bytes(full.labels.begin(), full.labels.begin() + 10), boost::test_tools::per_element());
  BOOST_TEST(head.checksum != full.checksum);
  BOOST_TEST(subset(full, 11, SubsetMode::first, 1).checksum != head.checksum);
  BOOST_TEST(subset(full, 10, SubsetMode::first, 2).checksum == head.checksum);  // the seed does not select

  for (std::size_t n : {std::size_t{0}, std::size_t{100}, std::size_t{1000}}) {
    for (SubsetMode mode : {SubsetMode::first, SubsetMode::random}) {
      const Dataset whole = subset(full, n, mode, 5);
      BOOST_TEST(whole.count == full.count);
      BOOST_TEST(whole.bits == full.bits);
      BOOST_TEST(whole.checksum == full.checksum);
    }
  }
}

BOOST_AUTO_TEST_CASE(subset_random_n) {
  const Dataset full = binarise(indexed_images(100), indexed_labels(100), 127, 10, "test");
  const Dataset pick = subset(full, 30, SubsetMode::random, 42);
  BOOST_TEST(pick.count == 30u);
  BOOST_TEST(pick.bits.size() == 30u * 8u);
  std::vector<std::size_t> chosen;
  for (std::size_t k = 0; k < pick.count; ++k) {
    chosen.push_back(index_of(pick, k));
    BOOST_TEST(pick.labels[k] == chosen.back() % 10);  // rows and labels move together
  }
  // Sorted and unique, and not simply the prefix.
  for (std::size_t k = 1; k < chosen.size(); ++k) BOOST_TEST(chosen[k - 1] < chosen[k]);
  BOOST_TEST(chosen.back() > 29u);

  const Dataset again = subset(full, 30, SubsetMode::random, 42);
  BOOST_TEST(again.bits == pick.bits);
  BOOST_TEST(again.checksum == pick.checksum);

  const Dataset other = subset(full, 30, SubsetMode::random, 43);
  BOOST_TEST(other.bits != pick.bits);
  BOOST_TEST(other.checksum != pick.checksum);
  BOOST_TEST(pick.checksum != full.checksum);
  BOOST_TEST(pick.checksum != subset(full, 30, SubsetMode::first, 42).checksum);
  BOOST_TEST(pick.checksum != subset(full, 31, SubsetMode::random, 42).checksum);

  // Every index is reachable: over many seeds each of the 100 images is picked at least once.
  std::vector<int> seen(100, 0);
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const Dataset s = subset(full, 5, SubsetMode::random, seed);
    for (std::size_t k = 0; k < s.count; ++k) ++seen[index_of(s, k)];
  }
  for (int c : seen) BOOST_TEST(c > 0);
}

BOOST_AUTO_TEST_CASE(directory_with_gz_names) {
  ScratchDir dir("khsweep-dataset-test-");
  write_gz(dir / "train-images-idx3-ubyte.gz", idx_images(indexed_images(30)));
  write_gz(dir / "train-labels-idx1-ubyte.gz", idx_labels(indexed_labels(30)));
  write_gz(dir / "t10k-images-idx3-ubyte.gz", idx_images(indexed_images(12)));
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx_labels(indexed_labels(12)));

  const DataSplit split = load_idx_directory(dir.path());
  BOOST_TEST(split.train.count == 30u);
  BOOST_TEST(split.validation.count == 12u);
  BOOST_TEST(split.train.dim == 8u);
  BOOST_TEST(split.train.checksum != split.validation.checksum);
  BOOST_TEST(index_of(split.train, 29) == 29u);

  // A raw twin wins over the .gz.
  write_raw(dir / "t10k-images-idx3-ubyte", idx_images(indexed_images(11)));
  write_raw(dir / "t10k-labels-idx1-ubyte", idx_labels(indexed_labels(11)));
  BOOST_TEST(load_idx_directory(dir.path()).validation.count == 11u);
}

BOOST_AUTO_TEST_CASE(directory_errors) {
  ScratchDir dir("khsweep-dataset-test-");
  write_raw(dir / "train-images-idx3-ubyte", idx_images(indexed_images(3)));
  write_gz(dir / "train-labels-idx1-ubyte.gz", idx_labels(indexed_labels(3)));
  write_raw(dir / "t10k-images-idx3-ubyte", idx_images(indexed_images(2)));

  const std::string missing = error_of([&] { (void)load_idx_directory(dir.path()); });
  KHSWEEP_CHECK_MESSAGE_HAS(missing, dir.path().string() + ": ");
  KHSWEEP_CHECK_MESSAGE_HAS(missing, "missing t10k-labels-idx1-ubyte");
  KHSWEEP_CHECK_MESSAGE_HAS(missing, "t10k-labels-idx1-ubyte.gz");
  BOOST_TEST(!contains(missing, "missing train"));

  const std::string no_dir = error_of([&] { (void)load_idx_directory(dir / "absent"); });
  KHSWEEP_CHECK_MESSAGE_HAS(no_dir, (dir / "absent").string());
  KHSWEEP_CHECK_MESSAGE_HAS(no_dir, "no such directory");

  // Validation images of another size than the training images.
  IdxImages wide = indexed_images(2);
  wide.cols = 4;
  wide.count = 4;
  write_raw(dir / "t10k-images-idx3-ubyte", idx_images(wide));
  write_raw(dir / "t10k-labels-idx1-ubyte", idx_labels(indexed_labels(4)));
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)load_idx_directory(dir.path()); }),
                            "train images have 8 pixels but t10k images have 4");
}

BOOST_AUTO_TEST_CASE(mnist_directory, *boost::unit_test::precondition(mnist_present)) {
  const fs::path dir = std::getenv("KHSWEEP_MNIST_DIR");
  const auto start = std::chrono::steady_clock::now();
  const DataSplit split = load_idx_directory(dir);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  BOOST_TEST_MESSAGE("loaded MNIST train + t10k in " << took.count() << " s");
  BOOST_TEST(split.train.count == 60000u);
  BOOST_TEST(split.validation.count == 10000u);
  BOOST_TEST(split.train.dim == 784u);
  BOOST_TEST(split.train.bits.size() == 60000u * 784u);
  std::size_t ones = 0;
  for (std::uint8_t b : split.train.bits) ones += b;
  // About 13% of binarised MNIST pixels are on; anything far off means a parsing slip.
  const double fraction = static_cast<double>(ones) / static_cast<double>(split.train.bits.size());
  BOOST_TEST(fraction > 0.10);
  BOOST_TEST(fraction < 0.16);
}
