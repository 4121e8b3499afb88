#pragma once
// A small, explicit binary encoding of run configs, results and trainer states: the payload of the
// MPI messages between the sweep coordinator and its workers, and of checkpoints.
//
// Values are stored in the machine's own byte order and number formats (IEEE floats copied byte for
// byte, so NaN payloads and -0.0 survive). There is no version field: bytes are only ever read back by
// the same build on the same architecture (the ranks of one job; checkpoints check this in their header).
#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "khsweep/core/error.hpp"
#include "khsweep/model/rbm.hpp"
#include "khsweep/train/config.hpp"
#include "khsweep/train/run_params.hpp"
#include "khsweep/train/result.hpp"
#include "khsweep/train/trainer.hpp"

namespace khsweep::train {

// Appends values to a growing byte buffer.
class ByteWriter {
 public:
  void u8(std::uint8_t v) { raw(&v, sizeof v); }
  void u32(std::uint32_t v) { raw(&v, sizeof v); }
  void u64(std::uint64_t v) { raw(&v, sizeof v); }
  void i32(std::int32_t v) { raw(&v, sizeof v); }
  void i64(std::int64_t v) { raw(&v, sizeof v); }
  void f32(float v) { raw(&v, sizeof v); }
  void f64(double v) { raw(&v, sizeof v); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void string(const std::string& s) {  // length (u64), then the bytes
    u64(s.size());
    raw(s.data(), s.size());
  }
  void raw(const void* data, std::size_t size) {
    if (size == 0) return;
    // resize + memcpy rather than insert: GCC 12 -O3 warns falsely (-Wstringop-overflow) on insert.
    const std::size_t at = bytes_.size();
    bytes_.resize(at + size);
    std::memcpy(bytes_.data() + at, data, size);
  }

  // rows (u64), cols (u64), then rows * cols values in storage order (row-major for matrices).
  template <class Scalar, int Rows, int Cols, int Options, int MaxRows, int MaxCols>
  void matrix(const Eigen::Matrix<Scalar, Rows, Cols, Options, MaxRows, MaxCols>& m) {
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "float or double values only");
    static_assert((Options & Eigen::RowMajor) || Rows == 1 || Cols == 1, "matrices are stored row-major");
    u64(static_cast<std::uint64_t>(m.rows()));
    u64(static_cast<std::uint64_t>(m.cols()));
    raw(m.data(), sizeof(Scalar) * static_cast<std::size_t>(m.size()));
  }

  [[nodiscard]] std::size_t size() const { return bytes_.size(); }
  // Hands the buffer over and leaves the writer empty.
  [[nodiscard]] std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
};

// Reads values back in the order they were written. Every getter throws khsweep::Error
// ("<source>: truncated: ...") rather than read past the end, and checks a size read from the
// buffer against the bytes that remain before allocating anything for it.
class ByteReader {
 public:
  // `source` names the bytes in error messages ("checkpoint /scratch/run.ckpt", "result from rank 3").
  ByteReader(const void* data, std::size_t size, std::string source = "message")
      : data_(static_cast<const std::uint8_t*>(data)), size_(size), source_(std::move(source)) {}
  explicit ByteReader(const std::vector<std::uint8_t>& bytes, std::string source = "message")
      : ByteReader(bytes.data(), bytes.size(), std::move(source)) {}
  ByteReader(std::vector<std::uint8_t>&&, std::string = {}) = delete;  // would dangle: the reader keeps a pointer

  std::uint8_t u8() { return scalar<std::uint8_t>(); }
  std::uint32_t u32() { return scalar<std::uint32_t>(); }
  std::uint64_t u64() { return scalar<std::uint64_t>(); }
  std::int32_t i32() { return scalar<std::int32_t>(); }
  std::int64_t i64() { return scalar<std::int64_t>(); }
  float f32() { return scalar<float>(); }
  double f64() { return scalar<double>(); }
  bool boolean();  // throws on a byte other than 0 or 1
  std::string string();
  void raw(void* out, std::size_t size) {
    require(size, 1, "bytes");
    if (size == 0) return;
    std::memcpy(out, data_ + pos_, size);
    pos_ += size;
  }

  template <class Scalar, int Rows, int Cols, int Options, int MaxRows, int MaxCols>
  void matrix(Eigen::Matrix<Scalar, Rows, Cols, Options, MaxRows, MaxCols>& m) {
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "float or double values only");
    static_assert((Options & Eigen::RowMajor) || Rows == 1 || Cols == 1, "matrices are stored row-major");
    const std::uint64_t rows = u64();
    const std::uint64_t cols = u64();
    constexpr auto max_index = static_cast<std::uint64_t>(std::numeric_limits<Eigen::Index>::max());
    if ((Rows != Eigen::Dynamic && rows != static_cast<std::uint64_t>(Rows)) ||
        (Cols != Eigen::Dynamic && cols != static_cast<std::uint64_t>(Cols)) || rows > max_index || cols > max_index)
      fail("a " + std::to_string(rows) + " x " + std::to_string(cols) + " matrix does not fit the expected shape");
    // Checked before resizing: a corrupt header must not make us allocate terabytes.
    if (cols != 0) require_matrix(rows, cols, sizeof(Scalar));
    m.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    raw(m.data(), sizeof(Scalar) * static_cast<std::size_t>(m.size()));
  }

  [[nodiscard]] bool at_end() const { return pos_ == size_; }
  [[nodiscard]] std::size_t offset() const { return pos_; }
  [[nodiscard]] std::size_t remaining() const { return size_ - pos_; }
  [[nodiscard]] const std::string& source() const { return source_; }

  // Throws unless count items of item_size bytes remain (no overflow); `what` names them in the message.
  void require(std::uint64_t count, std::size_t item_size, const char* what) const;
  // Throws khsweep::Error "<source>: <what> (at byte <offset>)".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  template <class T>
  T scalar() {
    require(1, sizeof(T), "value");
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  void require_matrix(std::uint64_t rows, std::uint64_t cols, std::size_t item_size) const;

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::string source_;
};

// Encoders append a value to `out`; decoders read one back into `value`, replacing all its fields.
void encode(ByteWriter& out, const RunParams& value);  // through the parameter table
void decode(ByteReader& in, RunParams& value);
void encode(ByteWriter& out, const model::Layout& value);
void decode(ByteReader& in, model::Layout& value);
void encode(ByteWriter& out, const SetMetrics& value);
void decode(ByteReader& in, SetMetrics& value);
void encode(ByteWriter& out, const EpochRecord& value);
void decode(ByteReader& in, EpochRecord& value);
void encode(ByteWriter& out, const RunResult& value);
void decode(ByteReader& in, RunResult& value);
template <class Real>  // float or double
void encode(ByteWriter& out, const model::Params<Real>& value);
template <class Real>
void decode(ByteReader& in, model::Params<Real>& value);
template <class Real>
void encode(ByteWriter& out, const TrainerState<Real>& value);
template <class Real>
void decode(ByteReader& in, TrainerState<Real>& value);

// One value as a whole message.
template <class T>
[[nodiscard]] std::vector<std::uint8_t> to_bytes(const T& value) {
  ByteWriter out;
  encode(out, value);
  return out.take();
}

// The value a whole message holds; throws khsweep::Error if it is truncated or has bytes left over.
template <class T>
[[nodiscard]] T from_bytes(const void* data, std::size_t size, const std::string& source = "message") {
  ByteReader in(data, size, source);
  T value;
  decode(in, value);
  if (!in.at_end()) in.fail(std::to_string(in.remaining()) + " unexpected bytes after the encoded value");
  return value;
}
template <class T>
[[nodiscard]] T from_bytes(const std::vector<std::uint8_t>& bytes, const std::string& source = "message") {
  return from_bytes<T>(bytes.data(), bytes.size(), source);
}

}  // namespace khsweep::train
