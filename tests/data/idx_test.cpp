#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "../support/idx_files.hpp"
#include "../support/scratch.hpp"
#include "khsweep/data/idx.hpp"
#include "khsweep/data/sha256.hpp"

namespace fs = std::filesystem;
using namespace khsweep::data;
using namespace khsweep::testing;

namespace {

// Three 2x3 images with distinct, compressible pixels.
Bytes sample_pixels() {
  Bytes p(3 * 2 * 3);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i * 15);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_raw_and_gzip_alike) {
  ScratchDir dir("khsweep-idx-test-");
  const Bytes images = idx_images(3, 2, 3, sample_pixels());
  const Bytes labels = idx_labels({7, 0, 9});
  write_raw(dir / "images", images);
  write_raw(dir / "labels", labels);
  // gzip named without .gz and raw named with .gz: detection must go by content.
  write_gz(dir / "images-compressed", images);
  write_gz(dir / "labels-compressed", labels);
  write_raw(dir / "plain.gz", labels);

  for (const char* name : {"images", "images-compressed"}) {
    const IdxImages got = read_idx_images(dir / name);
    BOOST_TEST(got.count == 3u);
    BOOST_TEST(got.rows == 2u);
    BOOST_TEST(got.cols == 3u);
    BOOST_TEST(got.pixels == sample_pixels(), boost::test_tools::per_element());
  }
  for (const char* name : {"labels", "labels-compressed", "plain.gz"}) {
    const Bytes got = read_idx_labels(dir / name);
    BOOST_TEST(got == Bytes({7, 0, 9}), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(content_hash_ignores_compression) {
  ScratchDir dir("khsweep-idx-test-");
  const Bytes images = idx_images(3, 2, 3, sample_pixels());
  write_raw(dir / "raw", images);
  write_gz(dir / "gz", images);
  const std::string expected = sha256_hex(images.data(), images.size());
  BOOST_TEST(idx_content_sha256(dir / "raw") == expected);
  BOOST_TEST(idx_content_sha256(dir / "gz") == expected);

  std::string one_pass;
  const IdxImages parsed = detail::read_idx_images(dir / "gz", one_pass);
  BOOST_TEST(one_pass == expected);
  BOOST_TEST(detail::idx_images_sha256(parsed) == expected);

  const Bytes labels = idx_labels({1, 2, 3, 4});
  write_gz(dir / "labels", labels);
  std::string labels_pass;
  const Bytes parsed_labels = detail::read_idx_labels(dir / "labels", labels_pass);
  BOOST_TEST(labels_pass == sha256_hex(labels.data(), labels.size()));
  BOOST_TEST(detail::idx_labels_sha256(parsed_labels) == labels_pass);
}

BOOST_AUTO_TEST_CASE(missing_file_and_directory) {
  ScratchDir dir("khsweep-idx-test-");
  const fs::path missing = dir / "nope-idx3-ubyte";
  const std::string message = error_of([&] { (void)read_idx_images(missing); });
  KHSWEEP_CHECK_MESSAGE_HAS(message, missing.string());
  KHSWEEP_CHECK_MESSAGE_HAS(message, "cannot open: No such file or directory");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)idx_content_sha256(missing); }), "No such file or directory");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_labels(dir.path()); }), "cannot open");
}

BOOST_AUTO_TEST_CASE(wrong_magic_says_found_and_expected) {
  ScratchDir dir("khsweep-idx-test-");
  write_raw(dir / "labels", idx_labels({1, 2, 3}));
  write_gz(dir / "images.gz", idx_images(3, 2, 3, sample_pixels()));
  write_raw(dir / "text", Bytes{'h', 'e', 'l', 'l', 'o', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});

  const std::string as_images = error_of([&] { (void)read_idx_images(dir / "labels"); });
  KHSWEEP_CHECK_MESSAGE_HAS(as_images, (dir / "labels").string());
  KHSWEEP_CHECK_MESSAGE_HAS(as_images, "bad magic 0x00000801");
  KHSWEEP_CHECK_MESSAGE_HAS(as_images, "expected 0x00000803");
  KHSWEEP_CHECK_MESSAGE_HAS(as_images, "is this an IDX image file?");

  const std::string as_labels = error_of([&] { (void)read_idx_labels(dir / "images.gz"); });
  KHSWEEP_CHECK_MESSAGE_HAS(as_labels, (dir / "images.gz").string());
  KHSWEEP_CHECK_MESSAGE_HAS(as_labels, "bad magic 0x00000803");
  KHSWEEP_CHECK_MESSAGE_HAS(as_labels, "expected 0x00000801");
  KHSWEEP_CHECK_MESSAGE_HAS(as_labels, "is this an IDX label file?");

  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_images(dir / "text"); }), "bad magic 0x68656c6c");
}

BOOST_AUTO_TEST_CASE(truncated_data) {
  ScratchDir dir("khsweep-idx-test-");
  Bytes images = idx_images(3, 2, 3, sample_pixels());
  images.resize(images.size() - 11);  // 7 of 18 pixel bytes left
  write_raw(dir / "raw", images);
  write_gz(dir / "gz", images);
  for (const char* name : {"raw", "gz"}) {
    const std::string message = error_of([&] { (void)read_idx_images(dir / name); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, (dir / name).string());
    KHSWEEP_CHECK_MESSAGE_HAS(message, "truncated: expected 18 bytes of pixel data, found 7");
  }

  Bytes labels = idx_labels({1, 2, 3});
  labels.pop_back();
  write_raw(dir / "labels", labels);
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_labels(dir / "labels"); }),
                            "truncated: expected 3 bytes of label data, found 2");

  write_raw(dir / "empty", {});
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_images(dir / "empty"); }),
                            "truncated: expected a 16-byte IDX header, found 0 bytes");
  write_raw(dir / "short-header", Bytes{0, 0, 8, 3, 0, 0, 0, 3, 0, 0});
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_images(dir / "short-header"); }),
                            "truncated: expected a 16-byte IDX header, found 10 bytes");
}

BOOST_AUTO_TEST_CASE(trailing_bytes) {
  ScratchDir dir("khsweep-idx-test-");
  Bytes images = idx_images(3, 2, 3, sample_pixels());
  images.push_back(42);
  images.push_back(43);
  write_raw(dir / "raw", images);
  write_gz(dir / "gz", images);
  for (const char* name : {"raw", "gz"}) {
    const std::string message = error_of([&] { (void)read_idx_images(dir / name); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, (dir / name).string());
    KHSWEEP_CHECK_MESSAGE_HAS(message, "trailing bytes: 2 bytes follow the 18 bytes of pixel data");
  }
  write_raw(dir / "labels", idx_labels({1, 2, 3}, 2));
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_labels(dir / "labels"); }),
                            "trailing bytes: 1 byte follows the 2 bytes of label data");
}

BOOST_AUTO_TEST_CASE(zero_sized_dimensions) {
  ScratchDir dir("khsweep-idx-test-");
  write_raw(dir / "no-rows", idx_images(3, 0, 3, {}));
  write_raw(dir / "no-images", idx_images(0, 28, 28, {}));
  write_gz(dir / "no-labels", idx_labels({}));
  const std::string no_rows = error_of([&] { (void)read_idx_images(dir / "no-rows"); });
  KHSWEEP_CHECK_MESSAGE_HAS(no_rows, (dir / "no-rows").string());
  KHSWEEP_CHECK_MESSAGE_HAS(no_rows, "zero-sized dimension");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_images(dir / "no-images"); }), "0 images of 28 x 28");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_labels(dir / "no-labels"); }), "zero-sized dimension");
}

// A corrupt header claiming ~3 TB must fail on the data actually present, not on a huge allocation.
BOOST_AUTO_TEST_CASE(huge_declared_sizes) {
  ScratchDir dir("khsweep-idx-test-");
  const Bytes huge = idx_images(0xffffffffu, 28, 28, Bytes(100, 1));
  write_raw(dir / "raw", huge);
  write_gz(dir / "gz", huge);
  for (const char* name : {"raw", "gz"}) {
    const std::string message = error_of([&] { (void)read_idx_images(dir / name); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, (dir / name).string());
    KHSWEEP_CHECK_MESSAGE_HAS(message, "truncated: expected 3367254359280 bytes of pixel data, found 100");
  }
  write_raw(dir / "overflow", idx_images(0xffffffffu, 0xffffffffu, 0xffffffffu, Bytes(8, 1)));
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_images(dir / "overflow"); }), "overflows");
  write_gz(dir / "labels", idx_labels(Bytes(5, 1), 0xffffffffu));
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_labels(dir / "labels"); }),
                            "truncated: expected 4294967295 bytes of label data, found 5");
}

BOOST_AUTO_TEST_CASE(corrupt_gzip_stream) {
  ScratchDir dir("khsweep-idx-test-");
  // Big and compressible, so the deflate stream spans many bytes.
  Bytes pixels(200 * 28 * 28);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>((i % 28) * 9);
  write_gz(dir / "good", idx_images(200, 28, 28, pixels));
  const Bytes good = read_file(dir / "good");
  BOOST_REQUIRE(good.size() > 40);

  Bytes cut = good;
  cut.resize(good.size() / 2);
  write_raw(dir / "cut", cut);
  Bytes bad_crc = good;
  bad_crc[good.size() - 6] ^= 0x5a;  // inside the CRC-32 of the trailer
  write_raw(dir / "bad-crc", bad_crc);
  Bytes no_trailer = good;
  no_trailer.resize(good.size() - 8);
  write_raw(dir / "no-trailer", no_trailer);

  for (const char* name : {"cut", "bad-crc", "no-trailer"}) {
    const std::string message = error_of([&] { (void)read_idx_images(dir / name); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, (dir / name).string());
    KHSWEEP_CHECK_MESSAGE_HAS(message, "corrupt gzip stream");
    KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)idx_content_sha256(dir / name); }), "corrupt gzip stream");
  }
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_images(dir / "cut"); }), "unexpected end of file");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)read_idx_images(dir / "bad-crc"); }), "incorrect data check");
  // The message stays one line and names the path once: zlib's own path prefix is dropped.
  const std::string message = error_of([&] { (void)read_idx_images(dir / "bad-crc"); });
  BOOST_TEST(message.find('\n') == std::string::npos);
  BOOST_TEST(message.find((dir / "bad-crc").string(), 1) == std::string::npos);
}
