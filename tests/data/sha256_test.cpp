#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "khsweep/data/idx.hpp"
#include "khsweep/data/sha256.hpp"

using khsweep::data::Sha256;
using khsweep::data::sha256_hex;

namespace {

std::string hash_of(const std::string& text) { return sha256_hex(text.data(), text.size()); }

}  // namespace

// FIPS 180-4 / NIST example vectors.
BOOST_AUTO_TEST_CASE(standard_vectors) {
  BOOST_TEST(hash_of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(hash_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(hash_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  BOOST_TEST(hash_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                     "mnopqrstnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

// Lengths around the padding boundaries (55 fits the length in one block, 56 needs a second).
BOOST_AUTO_TEST_CASE(padding_boundaries) {
  BOOST_TEST(hash_of(std::string(55, 'a')) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  BOOST_TEST(hash_of(std::string(56, 'a')) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  BOOST_TEST(hash_of(std::string(63, 'a')) == "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
  BOOST_TEST(hash_of(std::string(64, 'a')) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  BOOST_TEST(hash_of(std::string(119, 'a')) == "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb");
  BOOST_TEST(hash_of(std::string(120, 'a')) == "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c");
}

BOOST_AUTO_TEST_CASE(million_a_in_uneven_chunks) {
  const std::string million(1000000, 'a');
  Sha256 hash;
  // Chunk sizes cycle through values that straddle the 64-byte block in every way.
  const std::size_t sizes[] = {1, 63, 64, 65, 7, 128, 1000, 3, 4097};
  std::size_t done = 0;
  for (std::size_t k = 0; done < million.size(); ++k) {
    const std::size_t n = std::min(sizes[k % std::size(sizes)], million.size() - done);
    hash.update(million.data() + done, n);
    done += n;
  }
  BOOST_TEST(hash.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(every_split_matches_one_shot) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += static_cast<char>('A' + i % 53);
  const std::string expected = hash_of(text);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    Sha256 hash;
    hash.update(text.data(), cut);
    hash.update(text.data() + cut, text.size() - cut);
    BOOST_TEST(hash.hex_digest() == expected, "split at " << cut);
  }
}

BOOST_AUTO_TEST_CASE(digest_is_final) {
  Sha256 hash;
  hash.update("abc", 3);
  const std::string first = hash.hex_digest();
  BOOST_TEST(hash.hex_digest() == first);  // asking twice does not pad twice
  BOOST_CHECK_THROW(hash.update("d", 1), std::logic_error);
  const auto bytes = hash.digest();
  BOOST_TEST(bytes[0] == 0xba);
  BOOST_TEST(bytes[31] == 0xad);
}

// Runs only when KHSWEEP_MNIST_DIR names a directory holding the raw MNIST files.
boost::test_tools::assertion_result mnist_labels_present(boost::unit_test::test_unit_id) {
  const char* dir = std::getenv("KHSWEEP_MNIST_DIR");
  boost::test_tools::assertion_result present(
      dir != nullptr && *dir != '\0' &&
      std::filesystem::exists(std::filesystem::path(dir) / "train-labels-idx1-ubyte"));
  if (!present) present.message() << "KHSWEEP_MNIST_DIR is unset or holds no train-labels-idx1-ubyte";
  return present;
}

BOOST_AUTO_TEST_CASE(mnist_train_labels, *boost::unit_test::precondition(mnist_labels_present)) {
  const std::filesystem::path path =
      std::filesystem::path(std::getenv("KHSWEEP_MNIST_DIR")) / "train-labels-idx1-ubyte";
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::string expected = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5";
  BOOST_TEST(sha256_hex(bytes.data(), bytes.size()) == expected);
  BOOST_TEST(khsweep::data::idx_content_sha256(path) == expected);
}
