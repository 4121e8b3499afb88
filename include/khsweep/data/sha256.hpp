#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace khsweep::data {

// Incremental SHA-256 (FIPS 180-4), used for dataset checksums and run ids.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  // Finishes the hash; calling it again returns the same digest, update() afterwards throws std::logic_error.
  [[nodiscard]] std::array<std::uint8_t, 32> digest();
  [[nodiscard]] std::string hex_digest();

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> h_{};
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

[[nodiscard]] std::string sha256_hex(const void* data, std::size_t size);

}  // namespace khsweep::data
