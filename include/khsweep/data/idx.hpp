#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace khsweep::data {

// The contents of an IDX image file (magic 0x00000803): count images of rows x cols bytes.
struct IdxImages {
  std::size_t count = 0;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::uint8_t> pixels;  // count * rows * cols bytes, image after image
};

// Readers for IDX files, raw or gzip-compressed (detected from the content, not the name).
// Any problem (missing file, bad magic, truncated data, trailing bytes) throws khsweep::Error
// whose message names the path and the reason.
[[nodiscard]] IdxImages read_idx_images(const std::filesystem::path& path);
[[nodiscard]] std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path);

// SHA-256 of a file's decompressed IDX bytes (so a .gz and its raw twin hash alike), hex.
[[nodiscard]] std::string idx_content_sha256(const std::filesystem::path& path);

namespace detail {

// The readers above, also setting content_sha256 to idx_content_sha256(path) computed in the same
// pass, so load_idx_pair reads (and decompresses) each file once.
[[nodiscard]] IdxImages read_idx_images(const std::filesystem::path& path, std::string& content_sha256);
[[nodiscard]] std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path,
                                                        std::string& content_sha256);

// idx_content_sha256 of the IDX file that holds exactly this content, computed from memory.
[[nodiscard]] std::string idx_images_sha256(const IdxImages& images);
[[nodiscard]] std::string idx_labels_sha256(const std::vector<std::uint8_t>& labels);

}  // namespace detail

}  // namespace khsweep::data
