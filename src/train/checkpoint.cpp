#include "khsweep/train/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <system_error>
#include <type_traits>
#include <vector>

#include "khsweep/core/atomic_file.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/file_descriptor.hpp"
#include "khsweep/data/sha256.hpp"
#include "khsweep/train/serialize.hpp"

namespace khsweep::train {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'K', 'H', 'S', 'C', 'K', 'P', 'T', '1'};
// 2: SetMetrics gained noisy_accuracy; 3: TrainerState gained batch and batch_seconds (mid-epoch states).
constexpr std::uint32_t kFormatVersion = 3;
constexpr std::uint32_t kByteOrderProbe = 0x01020304;  // reads 0x04030201 on a machine of the other byte order
constexpr std::size_t kDigestSize = 32;                 // SHA-256

template <class Real>
constexpr Precision precision_of() {
  static_assert(std::is_same_v<Real, float> || std::is_same_v<Real, double>, "float or double");
  return std::is_same_v<Real, float> ? Precision::f32 : Precision::f64;
}

std::string where(const fs::path& file) { return "checkpoint " + file.string(); }

template <class Real>
void save(const fs::path& file, const std::string& run_id, const TrainerState<Real>& state) {
  ByteWriter out;
  out.raw(kMagic, sizeof kMagic);
  out.u32(kFormatVersion);
  out.u32(kByteOrderProbe);
  out.u8(sizeof(float));
  out.u8(sizeof(double));
  out.u8(static_cast<std::uint8_t>(precision_of<Real>()));
  out.string(run_id);
  encode(out, state);
  std::vector<std::uint8_t> bytes = out.take();
  data::Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  const auto digest = sha.digest();
  bytes.insert(bytes.end(), digest.begin(), digest.end());
  const std::string_view content(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  write_file_atomically(file, "checkpoint", content);
}

// The whole file; false if it does not exist. Throws khsweep::Error if it cannot be read.
bool read_file(const fs::path& file, std::vector<std::uint8_t>& bytes) {
  FileDescriptor in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    const int err = errno;
    if (err == ENOENT) return false;
    throw error_at(where(file), "cannot open: " + errno_text(err));
  }
  struct stat info {};
  if (::fstat(in.get(), &info) != 0) {
    const int err = errno;
    throw error_at(where(file), "cannot stat: " + errno_text(err));
  }
  if (!S_ISREG(info.st_mode)) throw error_at(where(file), "not a regular file");
  // Read to the end, whatever st_size said: a short read is the end of the file.
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  bytes.assign(static_cast<std::size_t>(info.st_size) + 1, 0);
  std::size_t filled = 0;
  for (;;) {
    if (bytes.size() - filled < kChunk) bytes.resize(filled + kChunk);
    const std::size_t want = bytes.size() - filled;
    const ssize_t n = pread_fully(in.get(), bytes.data() + filled, want, filled);
    if (n < 0) throw error_at(where(file), "cannot read: " + errno_text(static_cast<int>(-n)));
    filled += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < want) break;
  }
  bytes.resize(filled);
  return true;
}

template <class Real>
TrainerState<Real> parse(const std::vector<std::uint8_t>& bytes, const fs::path& file, const std::string& run_id) {
  const std::string at = where(file);
  const std::size_t size = bytes.size();
  if (size < sizeof kMagic && (size == 0 || std::memcmp(bytes.data(), kMagic, size) == 0))
    throw error_at(at, "truncated: only " + std::to_string(size) + " bytes");
  if (size < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw error_at(at, "not a khsweep checkpoint (no KHSCKPT1 magic)");
  if (size < sizeof kMagic + kDigestSize) throw error_at(at, "truncated: only " + std::to_string(size) + " bytes");
  const std::size_t body = size - kDigestSize;
  data::Sha256 sha;
  sha.update(bytes.data(), body);
  if (std::memcmp(sha.digest().data(), bytes.data() + body, kDigestSize) != 0)
    throw error_at(at, "checksum mismatch: the file is corrupt or truncated");

  // The checksum held, so what follows was written by save_checkpoint: only a build or machine
  // mismatch, or a question to the wrong run, can still fail.
  ByteReader in(bytes.data(), body, at);
  std::uint8_t magic[sizeof kMagic];
  in.raw(magic, sizeof magic);
  if (const std::uint32_t version = in.u32(); version != kFormatVersion)
    throw error_at(at, "format version " + std::to_string(version) + " (written by " +
                           (version < kFormatVersion ? "an older" : "a newer") +
                           " khsweep), this build reads version " + std::to_string(kFormatVersion));
  if (in.u32() != kByteOrderProbe) throw error_at(at, "written on a machine of the other byte order");
  const unsigned float_size = in.u8();
  const unsigned double_size = in.u8();
  if (float_size != sizeof(float) || double_size != sizeof(double))
    throw error_at(at, "written where float and double have " + std::to_string(float_size) + " and " +
                           std::to_string(double_size) + " bytes");
  const std::uint8_t precision = in.u8();
  const std::string stored_id = in.string();
  if (stored_id != run_id) throw error_at(at, "belongs to run '" + stored_id + "', not '" + run_id + "'");
  if (precision != static_cast<std::uint8_t>(precision_of<Real>())) {
    const char* stored = precision <= static_cast<std::uint8_t>(Precision::f64)
                             ? to_string(static_cast<Precision>(precision))
                             : "unknown";
    throw error_at(at, std::string("holds a ") + stored + " state, this run trains in " +
                           to_string(precision_of<Real>()));
  }
  TrainerState<Real> state;
  decode(in, state);
  if (!in.at_end()) in.fail(std::to_string(in.remaining()) + " unexpected bytes after the state");

  const auto& p = state.params;
  const auto& layout = p.layout;
  const bool consistent = state.epoch >= 0 && state.batch >= 0 && layout.pixels >= 0 && layout.classes >= 0 && layout.hidden >= 0 &&
                          p.W.rows() == layout.visible() && p.W.cols() == layout.hidden &&
                          p.a.size() == layout.visible() && p.b.size() == layout.hidden &&
                          (state.chain.size() == 0 || state.chain.cols() == layout.hidden);
  if (!consistent) throw error_at(at, "inconsistent state: its weights do not match its layout");
  return state;
}

}  // namespace

void save_checkpoint(const fs::path& file, const std::string& run_id, const TrainerState<float>& state) {
  save(file, run_id, state);
}
void save_checkpoint(const fs::path& file, const std::string& run_id, const TrainerState<double>& state) {
  save(file, run_id, state);
}

template <class Real>
std::optional<TrainerState<Real>> load_checkpoint(const fs::path& file, const std::string& run_id,
                                                  std::string* problem) {
  if (problem) problem->clear();
  // Any failure means "start the run afresh", never a crash of the sweep: report it, don't throw it.
  try {
    std::vector<std::uint8_t> bytes;
    if (!read_file(file, bytes)) return std::nullopt;
    return parse<Real>(bytes, file, run_id);
  } catch (const Error& e) {
    if (problem) *problem = e.what();
  } catch (const std::exception& e) {
    if (problem) *problem = where(file) + ": " + e.what();
  }
  return std::nullopt;
}

template std::optional<TrainerState<float>> load_checkpoint(const fs::path&, const std::string&, std::string*);
template std::optional<TrainerState<double>> load_checkpoint(const fs::path&, const std::string&, std::string*);

void remove_checkpoint(const fs::path& file) noexcept {
  std::error_code ignored;
  fs::remove(file, ignored);
}

}  // namespace khsweep::train
