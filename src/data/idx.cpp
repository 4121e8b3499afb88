#include "khsweep/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>

#include "khsweep/core/error.hpp"
#include "khsweep/data/sha256.hpp"

namespace khsweep::data {

namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kImageMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr std::uint32_t kLabelMagic = 0x00000801;  // unsigned bytes, 1 dimension
// Large enough that reading costs a handful of system calls, small enough that each chunk is
// still in cache when it is hashed.
constexpr std::size_t kChunk = std::size_t{1} << 22;

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

// The decompressed bytes of a raw or gzip file, read in large blocks and, if asked, hashed on the way.
class IdxSource {
 public:
  IdxSource(const fs::path& path, Sha256* hash) : name_(path.string()), hash_(hash) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) fail("cannot open: " + errno_text(EISDIR));
    raw_.reset(std::fopen(path.c_str(), "rb"));
    if (raw_ == nullptr) fail("cannot open: " + errno_text(errno));
    // Detect gzip by its magic bytes, not by the file name.
    std::array<unsigned char, 2> magic{};
    const bool gzip =
        std::fread(magic.data(), 1, magic.size(), raw_.get()) == magic.size() && magic[0] == 0x1f && magic[1] == 0x8b;
    if (gzip) {
      raw_.reset();
      gz_.reset(gzopen(path.c_str(), "rb"));
      if (gz_ == nullptr) fail("cannot open: " + errno_text(errno));
      gzbuffer(gz_.get(), 1U << 18);
    } else {
      if (std::fseek(raw_.get(), 0, SEEK_END) != 0) fail("cannot seek: " + errno_text(errno));
      const long size = std::ftell(raw_.get());
      if (size < 0 || std::fseek(raw_.get(), 0, SEEK_SET) != 0) fail("cannot seek: " + errno_text(errno));
      raw_size_ = static_cast<std::uint64_t>(size);
    }
  }

  [[noreturn]] void fail(const std::string& reason) const { throw error_at(name_, reason); }

  // Bytes not yet read from a raw file; unknown (nullopt) for gzip.
  [[nodiscard]] std::optional<std::uint64_t> raw_remaining() const {
    if (gz_ != nullptr) return std::nullopt;
    return raw_size_ - std::min(raw_size_, consumed_);
  }

  // Reads up to size bytes; fewer only at the end of the data.
  std::size_t read(std::uint8_t* out, std::size_t size) {
    std::size_t total = 0;
    if (raw_ != nullptr) {
      total = std::fread(out, 1, size, raw_.get());
      if (total < size && std::ferror(raw_.get())) fail("read error: " + errno_text(errno));
    } else {
      while (total < size) {
        const auto ask = static_cast<unsigned>(std::min<std::size_t>(size - total, 1U << 30));
        const int got = gzread(gz_.get(), out + total, ask);
        // A truncated stream is not an error to gzread (it returns the bytes it had and sets
        // Z_BUF_ERROR), so always ask gzerror.
        int errnum = Z_OK;
        const char* message = gzerror(gz_.get(), &errnum);
        if (got < 0 || errnum != Z_OK) gzip_fail(errnum, message);
        if (got == 0) break;
        total += static_cast<std::size_t>(got);
      }
    }
    consumed_ += total;
    if (hash_ != nullptr) hash_->update(out, total);
    return total;
  }

 private:
  [[noreturn]] void gzip_fail(int errnum, const char* message) const {
    if (errnum == Z_ERRNO) fail("read error: " + errno_text(errno));
    if (errnum == Z_BUF_ERROR) fail("corrupt gzip stream: unexpected end of file (truncated .gz?)");
    // zlib prefixes its message with the path it was opened with; the path is ours to add.
    std::string text = message != nullptr ? message : "unknown zlib error";
    if (text.rfind(name_ + ": ", 0) == 0) text.erase(0, name_.size() + 2);
    fail("corrupt gzip stream: " + text);
  }

  std::string name_;
  Sha256* hash_ = nullptr;
  std::unique_ptr<std::FILE, FileCloser> raw_;
  std::unique_ptr<gzFile_s, GzCloser> gz_;
  std::uint64_t raw_size_ = 0;
  std::uint64_t consumed_ = 0;
};

std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

void store_be32(std::uint8_t* p, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

// Reads the magic number and `ndims` big-endian sizes; returns the sizes.
std::array<std::uint32_t, 3> read_header(IdxSource& src, std::uint32_t expected_magic, int ndims) {
  const bool images = expected_magic == kImageMagic;
  const std::size_t header_bytes = 4 + 4 * static_cast<std::size_t>(ndims);
  std::array<std::uint8_t, 16> header{};
  const std::size_t got = src.read(header.data(), header_bytes);
  if (got < 4) {
    src.fail("truncated: expected a " + std::to_string(header_bytes) + "-byte IDX header, found " +
             std::to_string(got) + " bytes");
  }
  const std::uint32_t magic = load_be32(header.data());
  if (magic != expected_magic) {
    std::string reason = "bad magic " + hex32(magic);
    if (magic == kImageMagic) reason += " (an IDX image file)";
    if (magic == kLabelMagic) reason += " (an IDX label file)";
    reason += ", expected " + hex32(expected_magic);
    reason += images ? ": is this an IDX image file?" : ": is this an IDX label file?";
    src.fail(reason);
  }
  if (got < header_bytes) {
    src.fail("truncated: expected a " + std::to_string(header_bytes) + "-byte IDX header, found " +
             std::to_string(got) + " bytes");
  }
  std::array<std::uint32_t, 3> dims{};
  for (int d = 0; d < ndims; ++d) dims[d] = load_be32(header.data() + 4 + 4 * d);
  return dims;
}

// Reads exactly `expected` bytes of payload and checks nothing follows them. The buffer grows with
// the data actually present, so a corrupt header claiming gigabytes allocates nothing of the kind.
std::vector<std::uint8_t> read_payload(IdxSource& src, std::uint64_t expected, const std::string& what) {
  const auto truncated = [&](std::uint64_t found) {
    src.fail("truncated: expected " + std::to_string(expected) + " bytes of " + what + ", found " +
             std::to_string(found));
  };
  const auto trailing = [&](std::uint64_t extra) {
    src.fail("trailing bytes: " + std::to_string(extra) + (extra == 1 ? " byte follows" : " bytes follow") + " the " +
             std::to_string(expected) + " bytes of " + what + " the header declares");
  };
  const std::optional<std::uint64_t> raw_left = src.raw_remaining();
  if (raw_left && *raw_left < expected) truncated(*raw_left);
  if (raw_left && *raw_left > expected) trailing(*raw_left - expected);

  std::vector<std::uint8_t> data;
  std::size_t filled = 0;
  while (filled < expected) {
    if (filled == data.size()) {
      const std::uint64_t grown = raw_left ? expected : std::max<std::uint64_t>(2 * data.size(), kChunk);
      data.resize(static_cast<std::size_t>(std::min(expected, grown)));
    }
    const std::size_t got = src.read(data.data() + filled, std::min(kChunk, data.size() - filled));
    if (got == 0) truncated(filled);
    filled += got;
  }
  // Reading to the end also makes zlib verify the gzip trailer (CRC and length).
  std::array<std::uint8_t, 1 << 16> scratch;
  std::uint64_t extra = 0;
  for (std::size_t got; (got = src.read(scratch.data(), scratch.size())) > 0;) extra += got;
  if (extra > 0) trailing(extra);
  return data;
}

IdxImages parse_images(IdxSource& src) {
  const auto dims = read_header(src, kImageMagic, 3);
  if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0) {
    src.fail("zero-sized dimension in IDX header: " + std::to_string(dims[0]) + " images of " +
             std::to_string(dims[1]) + " x " + std::to_string(dims[2]) + " pixels");
  }
  IdxImages images;
  images.count = dims[0];
  images.rows = dims[1];
  images.cols = dims[2];
  // count * rows < 2^64 always; the last factor can overflow.
  const std::uint64_t per_row_set = std::uint64_t{dims[0]} * dims[1];
  if (per_row_set > std::numeric_limits<std::uint64_t>::max() / dims[2]) {
    src.fail("corrupt IDX header: " + std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " x " +
             std::to_string(dims[2]) + " pixels overflows a 64-bit size");
  }
  images.pixels = read_payload(src, per_row_set * dims[2], "pixel data");
  return images;
}

std::vector<std::uint8_t> parse_labels(IdxSource& src) {
  const auto dims = read_header(src, kLabelMagic, 1);
  if (dims[0] == 0) src.fail("zero-sized dimension in IDX header: 0 labels");
  return read_payload(src, dims[0], "label data");
}

std::uint32_t header_size(std::size_t value, const char* what) {
  if (value > std::numeric_limits<std::uint32_t>::max()) {
    throw Error(std::string("in-memory IDX data: ") + what + " " + std::to_string(value) +
                " does not fit an IDX header");
  }
  return static_cast<std::uint32_t>(value);
}

}  // namespace

IdxImages read_idx_images(const std::filesystem::path& path) {
  IdxSource src(path, nullptr);
  return parse_images(src);
}

std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path) {
  IdxSource src(path, nullptr);
  return parse_labels(src);
}

std::string idx_content_sha256(const std::filesystem::path& path) {
  Sha256 hash;
  IdxSource src(path, &hash);
  std::vector<std::uint8_t> buffer(kChunk);
  while (src.read(buffer.data(), buffer.size()) > 0) {
  }
  return hash.hex_digest();
}

namespace detail {

IdxImages read_idx_images(const std::filesystem::path& path, std::string& content_sha256) {
  Sha256 hash;
  IdxSource src(path, &hash);
  IdxImages images = parse_images(src);
  content_sha256 = hash.hex_digest();
  return images;
}

std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path, std::string& content_sha256) {
  Sha256 hash;
  IdxSource src(path, &hash);
  std::vector<std::uint8_t> labels = parse_labels(src);
  content_sha256 = hash.hex_digest();
  return labels;
}

std::string idx_images_sha256(const IdxImages& images) {
  std::array<std::uint8_t, 16> header{};
  store_be32(header.data(), kImageMagic);
  store_be32(header.data() + 4, header_size(images.count, "image count"));
  store_be32(header.data() + 8, header_size(images.rows, "row count"));
  store_be32(header.data() + 12, header_size(images.cols, "column count"));
  Sha256 hash;
  hash.update(header.data(), header.size());
  hash.update(images.pixels.data(), images.pixels.size());
  return hash.hex_digest();
}

std::string idx_labels_sha256(const std::vector<std::uint8_t>& labels) {
  std::array<std::uint8_t, 8> header{};
  store_be32(header.data(), kLabelMagic);
  store_be32(header.data() + 4, header_size(labels.size(), "label count"));
  Sha256 hash;
  hash.update(header.data(), header.size());
  hash.update(labels.data(), labels.size());
  return hash.hex_digest();
}

}  // namespace detail

}  // namespace khsweep::data
