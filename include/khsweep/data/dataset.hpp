#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "khsweep/data/idx.hpp"

namespace khsweep::data {

// Pixels >= this value become 1, the rest 0 (docs/algorithms.md section 1).
inline constexpr int kDefaultThreshold = 127;

// A binarised, labelled image set held as bytes (0 or 1), never as floats: MNIST's 60 000
// training images are 47 MB this way.
struct Dataset {
  std::size_t count = 0;  // number of samples
  std::size_t dim = 0;    // pixels per sample (784 for MNIST)
  int classes = 10;       // labels lie in [0, classes)
  std::vector<std::uint8_t> bits;    // count * dim, each 0 or 1 (empty when `shared_pixels` holds them)
  std::vector<std::uint8_t> labels;  // count
  std::string checksum;              // identifies the content the set was made from (hex SHA-256)
  // The pixels in memory shared by the ranks of a node (runner/ sets this), instead of `bits`.
  const std::uint8_t* shared_pixels = nullptr;

  [[nodiscard]] const std::uint8_t* pixels() const { return shared_pixels != nullptr ? shared_pixels : bits.data(); }
  [[nodiscard]] const std::uint8_t* row(std::size_t i) const { return pixels() + i * dim; }
};

// Room an index buffer needs past its largest count: with AVX-512 the functions below write
// indices 16 at a time, some past the last one they count.
inline constexpr int kIndexSlack = 16;

// Writes first + j for every set bit j of `bits` to `on`, in increasing order, and returns how
// many. With AVX-512 each 16 bits become one compress of 16 consecutive indices (no branch per
// bit, which mispredicts on random bits); elsewhere the bits are peeled off one by one.
// `on` must have room for kIndexSlack more ints than the count.
inline int indices_of_set_bits(std::uint64_t bits, int first, int* on) {
  int n = 0;
#if defined(__AVX512F__)
  __m512i index = _mm512_add_epi32(_mm512_set1_epi32(first),
                                   _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  for (; bits != 0; bits >>= 16) {
    const auto chunk = static_cast<__mmask16>(bits);
    _mm512_storeu_si512(on + n, _mm512_maskz_compress_epi32(chunk, index));
    n += __builtin_popcount(chunk);
    index = _mm512_add_epi32(index, _mm512_set1_epi32(16));
  }
#else
  for (; bits != 0; bits &= bits - 1) on[n++] = first + __builtin_ctzll(bits);
#endif
  return n;
}

// Writes offset + i for every i < count with bytes[i] != 0 to `on`, in increasing order, and
// returns how many there are. The bytes become bit masks a vector at a time (64 with AVX-512BW,
// 32 with AVX2, otherwise a word's 8). `on` must have room for kIndexSlack more ints than the count.
inline int indices_of_ones(const std::uint8_t* bytes, int count, int* on, int offset = 0) {
  int n = 0;
  int i = 0;
#if defined(__AVX512BW__)
  for (; i < count; i += 64) {
    const int length = count - i < 64 ? count - i : 64;
    const __mmask64 in_range = length == 64 ? ~__mmask64{0} : (__mmask64{1} << length) - 1;
    const __m512i v = _mm512_maskz_loadu_epi8(in_range, bytes + i);  // masked: never reads past count
    n += indices_of_set_bits(_mm512_test_epi8_mask(v, v), offset + i, on + n);
  }
#elif defined(__AVX2__)
  for (; i + 32 <= count; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes + i));
    const auto zero = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_setzero_si256())));
    n += indices_of_set_bits(~zero, offset + i, on + n);
  }
#endif
  for (; i + 8 <= count; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes + i, 8);  // little-endian: byte k is bits 8k .. 8k+7
    for (; word != 0; word &= word - 1) on[n++] = offset + i + __builtin_ctzll(word) / 8;
  }
  for (; i < count; ++i)
    if (bytes[i]) on[n++] = offset + i;
  return n;
}

// Binarise images and attach labels; `source` names the files in error messages.
// Throws khsweep::Error if counts differ or a label is >= classes.
[[nodiscard]] Dataset binarise(const IdxImages& images, std::vector<std::uint8_t> labels,
                               int threshold, int classes, const std::string& source);

// Reads and binarises one image file and its label file. The checksum covers both files'
// decompressed bytes and the threshold (recipe in dataset.cpp), and equals binarise()'s for the same content.
[[nodiscard]] Dataset load_idx_pair(const std::filesystem::path& images, const std::filesystem::path& labels,
                                    int threshold = kDefaultThreshold, int classes = 10);

enum class SubsetMode { first, random };

// The first n samples, or n samples drawn without replacement by a seeded stream (kept in their
// original order). n == 0 or n >= count returns the whole set, checksum unchanged; otherwise the
// checksum records the parent checksum and the selection (mode, n, and for random the seed).
[[nodiscard]] Dataset subset(const Dataset& full, std::size_t n, SubsetMode mode, std::uint64_t seed);

// The checksum load_idx_pair gives files whose idx_content_sha256 are `images_sha` and
// `labels_sha`, without reading them.
[[nodiscard]] std::string dataset_checksum(const std::string& images_sha, const std::string& labels_sha, int threshold);

// The checksum of subset(full, n, mode, seed) from the full set's checksum and count alone.
[[nodiscard]] std::string subset_checksum(const std::string& full_checksum, std::size_t full_count, std::size_t n,
                                          SubsetMode mode, std::uint64_t seed);

// Training and validation sets of one IDX directory.
struct DataSplit {
  Dataset train;
  Dataset validation;
};

// A set without its samples: what costs and run ids need of it.
struct DatasetFacts {
  std::size_t count = 0;
  std::size_t dim = 0;
  int classes = 10;
  std::string checksum;
};
struct DataSplitFacts {
  DatasetFacts train;
  DatasetFacts validation;
};
[[nodiscard]] DataSplitFacts facts_of(const DataSplit& split);

// The facts of subset(full, n, mode, seed), from the full set's facts alone.
[[nodiscard]] DatasetFacts subset_facts(const DatasetFacts& full, std::size_t n, SubsetMode mode, std::uint64_t seed);

// The four files of an IDX directory (the names MNIST, Fashion-MNIST and KMNIST ship with), each
// raw or with a .gz suffix: training images and labels, then validation (t10k) images and labels.
inline constexpr std::array<const char*, 4> kIdxFileNames = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

// idx_content_sha256 of each of an IDX directory's files, in kIdxFileNames order.
struct IdxDirectoryFiles {
  std::array<std::filesystem::path, 4> paths;  // the file read for each name (raw before .gz)
  std::array<std::string, 4> content_sha256;
};

// Loads the kIdxFileNames files from dir. A missing file is an error naming the directory and the
// names looked for. With `files`, also reports which files were read and their content hashes,
// computed in the same pass.
[[nodiscard]] DataSplit load_idx_directory(const std::filesystem::path& dir, int threshold = kDefaultThreshold,
                                           IdxDirectoryFiles* files = nullptr);

}  // namespace khsweep::data
