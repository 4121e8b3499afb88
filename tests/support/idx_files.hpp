#pragma once
// Test helpers: IDX files (the MNIST format) built in memory and written raw or gzip-compressed.
// write_gz needs zlib: link the test with ZLIB::ZLIB.
#include <zlib.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "khsweep/data/idx.hpp"

namespace khsweep::testing {

using Bytes = std::vector<std::uint8_t>;

// Appends `v` big-endian, as IDX headers store it.
inline void put_be32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (24 - 8 * i)));
}

// An IDX image file (magic 0x00000803) whose header declares count x rows x cols, followed by `pixels`
// as given: the header need not match them, so corrupt files can be made too.
inline Bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, const Bytes& pixels) {
  Bytes out;
  put_be32(out, 0x00000803);
  put_be32(out, count);
  put_be32(out, rows);
  put_be32(out, cols);
  out.insert(out.end(), pixels.begin(), pixels.end());
  return out;
}

inline Bytes idx_images(const data::IdxImages& images) {
  return idx_images(static_cast<std::uint32_t>(images.count), static_cast<std::uint32_t>(images.rows),
                    static_cast<std::uint32_t>(images.cols), images.pixels);
}

// An IDX label file (magic 0x00000801) declaring `count` labels, followed by `labels`.
inline Bytes idx_labels(const Bytes& labels, std::uint32_t count) {
  Bytes out;
  put_be32(out, 0x00000801);
  put_be32(out, count);
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

inline Bytes idx_labels(const Bytes& labels) { return idx_labels(labels, static_cast<std::uint32_t>(labels.size())); }

inline void write_raw(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void write_gz(const std::filesystem::path& path, const Bytes& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  BOOST_REQUIRE(gz != nullptr);
  if (!bytes.empty()) BOOST_REQUIRE(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) > 0);
  BOOST_REQUIRE(gzclose(gz) == Z_OK);
}

inline Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace khsweep::testing
