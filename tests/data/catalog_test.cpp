// The catalogue of known datasets: where they live, and that a wrong or missing file is a one-line
// error naming it and the fix.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "../support/env_var.hpp"
#include "../support/idx_files.hpp"
#include "../support/real_data.hpp"
#include "../support/scratch.hpp"
#include "khsweep/data/catalog.hpp"
#include "khsweep/data/sha256.hpp"

namespace fs = std::filesystem;
using namespace khsweep::data;
using namespace khsweep::testing;

namespace {

std::string sha256_of(const Bytes& bytes) { return sha256_hex(bytes.data(), bytes.size()); }

// A data directory holding one tiny dataset "tiny" (4 train and 2 t10k 2x2 images), and a
// catalogue entry that knows its files.
struct TinyData {
  ScratchDir root{"khsweep-catalog-test-"};
  fs::path dataset = root / "tiny";
  Bytes files[4] = {idx_images(4, 2, 2, Bytes(16, 200)), idx_labels({0, 1, 2, 3}), idx_images(2, 2, 2, Bytes(8, 9)),
                    idx_labels({4, 5})};
  KnownDataset known{"tiny", "a test", "--tiny", {}};

  TinyData() {
    fs::create_directories(dataset);
    for (std::size_t i = 0; i < 4; ++i) {
      write_raw(dataset / kIdxFileNames[i], files[i]);
      known.content_sha256[i] = sha256_of(files[i]);
    }
  }
};

bool one_line(const std::string& message) { return message.find('\n') == std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(known_names) {
  BOOST_REQUIRE(find_known_dataset("mnist") != nullptr);
  BOOST_REQUIRE(find_known_dataset("fashion-mnist") != nullptr);
  BOOST_TEST(find_known_dataset("fashion-mnist")->fetch_options == "--fashion");
  BOOST_TEST(find_known_dataset("kmnist") == nullptr);  // no checked digests: named by path
  BOOST_TEST(find_known_dataset("MNIST") == nullptr);
  for (const auto& known : known_datasets())
    for (const auto& sha : known.content_sha256) BOOST_TEST(sha.size() == 64u);
}

BOOST_AUTO_TEST_CASE(mnist_digests_agree_with_fetch_data) {
  // scripts/fetch-data.sh pins the same raw MNIST files by SHA-256 before installing them: the two
  // lists must not drift apart. (Its Fashion-MNIST digests are of the .gz files, not comparable.)
  std::ifstream in(fs::path(KHSWEEP_SOURCE_DIR) / "scripts" / "fetch-data.sh");
  const std::string script((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_REQUIRE(!script.empty());
  const KnownDataset& mnist = *find_known_dataset("mnist");
  for (std::size_t i = 0; i < kIdxFileNames.size(); ++i)
    BOOST_TEST(contains(script, std::string("[") + kIdxFileNames[i] + "]=" + mnist.content_sha256[i]),
               kIdxFileNames[i]);
}

BOOST_AUTO_TEST_CASE(data_directory_from_the_environment) {
  {
    ScopedEnv env("KHSWEEP_DATA_DIR", std::nullopt);
    BOOST_TEST(data_directory() == fs::path("data"));
  }
  {
    ScopedEnv env("KHSWEEP_DATA_DIR", std::string());
    BOOST_TEST(data_directory() == fs::path("data"));
  }
  ScopedEnv env("KHSWEEP_DATA_DIR", std::string("/srv/datasets"));
  BOOST_TEST(data_directory() == fs::path("/srv/datasets"));
}

BOOST_AUTO_TEST_CASE(matching_files_load_raw_or_gz) {
  TinyData tiny;
  const DataSplit raw = load_known_dataset(tiny.known, tiny.root.path());
  BOOST_TEST(raw.train.count == 4u);
  BOOST_TEST(raw.validation.count == 2u);
  // The digests are of the decompressed bytes: a .gz copy is the same dataset.
  fs::remove(tiny.dataset / kIdxFileNames[0]);
  write_gz(tiny.dataset / (std::string(kIdxFileNames[0]) + ".gz"), tiny.files[0]);
  BOOST_TEST(load_known_dataset(tiny.known, tiny.root.path()).train.checksum == raw.train.checksum);
}

BOOST_AUTO_TEST_CASE(wrong_content_names_file_digests_and_fix) {
  TinyData tiny;
  Bytes changed = tiny.files[3];
  changed.back() = 6;  // still a valid label: only the digest can tell
  write_raw(tiny.dataset / kIdxFileNames[3], changed);
  const std::string m = error_of([&] { (void)load_known_dataset(tiny.known, tiny.root.path()); });
  BOOST_TEST(one_line(m), m);
  const fs::path file = tiny.dataset / kIdxFileNames[3];
  KHSWEEP_CHECK_MESSAGE_HAS(m, file.string() + ": content SHA-256 " + sha256_of(changed).substr(0, 12) +
                                   "... is not tiny's (expected " + tiny.known.content_sha256[3].substr(0, 12) + "...)");
  KHSWEEP_CHECK_MESSAGE_HAS(m, "to fetch tiny (a test): bash scripts/fetch-data.sh --tiny " + tiny.root.path().string());
}

BOOST_AUTO_TEST_CASE(missing_file_or_directory_names_path_and_fix) {
  TinyData tiny;
  fs::remove(tiny.dataset / kIdxFileNames[1]);
  const std::string m = error_of([&] { (void)load_known_dataset(tiny.known, tiny.root.path()); });
  BOOST_TEST(one_line(m), m);
  KHSWEEP_CHECK_MESSAGE_HAS(m, tiny.dataset.string() + ": missing train-labels-idx1-ubyte");
  KHSWEEP_CHECK_MESSAGE_HAS(m, "bash scripts/fetch-data.sh --tiny " + tiny.root.path().string());

  const fs::path elsewhere = tiny.root / "empty";
  fs::create_directories(elsewhere);
  const std::string gone = error_of([&] { (void)load_known_dataset(*find_known_dataset("fashion-mnist"), elsewhere); });
  BOOST_TEST(one_line(gone), gone);
  KHSWEEP_CHECK_MESSAGE_HAS(gone, (elsewhere / "fashion-mnist").string() + ": no such directory");
  KHSWEEP_CHECK_MESSAGE_HAS(gone, "bash scripts/fetch-data.sh --fashion " + elsewhere.string());
}

// The real files against the real catalogue entries, when they are on this machine.
namespace {

// Where scripts/fetch-data.sh --fashion links Fashion-MNIST from (Debian's dataset-fashion-mnist).
const fs::path kDebianFashion = "/usr/share/datasets/fashion-mnist";

boost::test_tools::assertion_result fashion_present(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result present(fs::is_directory(kDebianFashion));
  if (!present) present.message() << kDebianFashion.string() << " is absent (Debian package dataset-fashion-mnist)";
  return present;
}

// Loads `source` through the catalogue entry `name`, as DATA_DIR/name (a link in a scratch dir).
DataSplit load_real(const std::string& name, const fs::path& source) {
  ScratchDir data_dir("khsweep-catalog-real-");
  fs::create_directory_symlink(fs::absolute(source), data_dir / name);
  return load_known_dataset(*find_known_dataset(name), data_dir.path());
}

}  // namespace

BOOST_AUTO_TEST_CASE(real_mnist_matches_the_catalogue, *boost::unit_test::precondition(mnist_present)) {
  const DataSplit split = load_real("mnist", std::getenv("KHSWEEP_MNIST_DIR"));
  BOOST_TEST(split.train.count == 60000u);
  BOOST_TEST(split.validation.count == 10000u);
}

BOOST_AUTO_TEST_CASE(real_fashion_mnist_matches_the_catalogue, *boost::unit_test::precondition(fashion_present)) {
  const DataSplit split = load_real("fashion-mnist", kDebianFashion);
  BOOST_TEST(split.train.count == 60000u);
  BOOST_TEST(split.validation.count == 10000u);
}
