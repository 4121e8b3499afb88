#pragma once
// The training loop's arithmetic on whole SIMD lanes, written with GCC/Clang vector extensions:
// a lane is as wide as the target's vectors (64 bytes with AVX-512, 32 with AVX2, 16 otherwise).
//
// Bitwise reproducibility is designed in, not hoped for:
//  - every result element is computed by the same element-wise operations whatever the lane
//    width, and sums across elements (sum_lanes) group them by their position in a 64-byte
//    block, so the order of additions does not depend on the instruction set either;
//  - exp, sigmoid and softplus are our own polynomials: libm picks its code path at run time
//    from the CPU (glibc ifuncs), which could give two nodes of one cluster different bits;
//  - a sum over rows adds them in index order for every element, whatever the blocking;
//  - the build turns floating-point contraction off (CMakeLists.txt), so a*b+c is never fused
//    into an FMA on one target and left apart on another.
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <immintrin.h>

#include "khsweep/data/dataset.hpp"
#include "khsweep/model/rbm.hpp"

namespace khsweep::model {

#if defined(__AVX512F__)
inline constexpr int kLaneBytes = 64;
#elif defined(__AVX__)
inline constexpr int kLaneBytes = 32;
#else
inline constexpr int kLaneBytes = 16;
#endif
// Rows are padded to whole 64-byte blocks on every target, so shapes never depend on the build.
inline constexpr int kBlockBytes = 64;
inline constexpr int kLanesPerBlock = kBlockBytes / kLaneBytes;

template <class Real>
struct LaneOf;
template <>
struct LaneOf<float> {
  typedef float type __attribute__((vector_size(kLaneBytes)));
  typedef std::int32_t bits_type __attribute__((vector_size(kLaneBytes)));
};
template <>
struct LaneOf<double> {
  typedef double type __attribute__((vector_size(kLaneBytes)));
  typedef std::int64_t bits_type __attribute__((vector_size(kLaneBytes)));
};

template <class Real>
using Lane = typename LaneOf<Real>::type;
template <class Real>
inline constexpr int kLanes = static_cast<int>(kLaneBytes / sizeof(Real));  // values per lane

// Number of lanes that hold n values, rounded up to whole 64-byte blocks.
template <class Real>
[[nodiscard]] constexpr int lanes_for(int n) {
  constexpr int per_block = static_cast<int>(kBlockBytes / sizeof(Real));
  return (n + per_block - 1) / per_block * kLanesPerBlock;
}

template <class Real>
[[nodiscard]] inline Lane<Real> splat(Real x) {
  return Lane<Real>{} + x;
}

// A row-major matrix whose rows start on a 64-byte boundary and are padded to whole lanes. The
// padding is kept at zero by every kernel here, so sums over rows never see garbage.
template <class Real>
class Rows {
 public:
  Rows() = default;
  Rows(int rows, int cols) { resize(rows, cols); }

  void resize(int rows, int cols) {
    rows_ = rows;
    cols_ = cols;
    lanes_ = lanes_for<Real>(cols);
    data_.assign(static_cast<std::size_t>(rows) * lanes_, Lane<Real>{});
  }
  [[nodiscard]] int rows() const { return rows_; }
  [[nodiscard]] int cols() const { return cols_; }
  [[nodiscard]] int lanes() const { return lanes_; }  // per row

  [[nodiscard]] Lane<Real>* row(int r) { return data_.data() + static_cast<std::size_t>(r) * lanes_; }
  [[nodiscard]] const Lane<Real>* row(int r) const { return data_.data() + static_cast<std::size_t>(r) * lanes_; }
  // GCC and Clang let a vector type alias its element type, so a row can be read element-wise.
  [[nodiscard]] Real* values(int r) { return reinterpret_cast<Real*>(row(r)); }
  [[nodiscard]] const Real* values(int r) const { return reinterpret_cast<const Real*>(row(r)); }
  [[nodiscard]] Real& operator()(int r, int c) { return values(r)[c]; }
  [[nodiscard]] Real operator()(int r, int c) const { return values(r)[c]; }

  static Rows from(const Matrix<Real>& m) {
    Rows out(static_cast<int>(m.rows()), static_cast<int>(m.cols()));
    for (int r = 0; r < out.rows_; ++r)
      for (int c = 0; c < out.cols_; ++c) out(r, c) = m(r, c);
    return out;
  }
  static Rows from(const Vector<Real>& v) {  // one row
    Rows out(1, static_cast<int>(v.size()));
    for (int c = 0; c < out.cols_; ++c) out(0, c) = v[c];
    return out;
  }
  void copy_to(Matrix<Real>& m) const {
    m.resize(rows_, cols_);
    for (int r = 0; r < rows_; ++r)
      for (int c = 0; c < cols_; ++c) m(r, c) = (*this)(r, c);
  }
  void copy_to(Vector<Real>& v) const {  // row 0
    v.resize(cols_);
    for (int c = 0; c < cols_; ++c) v[c] = (*this)(0, c);
  }

  // out = this transposed, in 16 x 16 tiles so both sides stay in cache; inside a tile, float
  // matrices move 4 x 4 blocks through shuffles (a scalar transpose of a 500 x 784 W costs as
  // much as a fifth of a CD-1 step). Only real entries are written: out's padding stays 0.
  void transpose_into(Rows& out) const {
    if (out.rows_ != cols_ || out.cols_ != rows_) out.resize(cols_, rows_);
    constexpr int tile = 16;
    for (int r0 = 0; r0 < rows_; r0 += tile)
      for (int c0 = 0; c0 < cols_; c0 += tile) {
        const int r1 = r0 + tile < rows_ ? r0 + tile : rows_;
        const int c1 = c0 + tile < cols_ ? c0 + tile : cols_;
        int r = r0;
        if constexpr (std::is_same_v<Real, float>) {
          for (; r + 4 <= r1; r += 4) {
            int c = c0;
            for (; c + 4 <= c1; c += 4) transpose_4x4(values(r) + c, row_stride(), &out(c, r), out.row_stride());
            for (; c < c1; ++c)
              for (int k = 0; k < 4; ++k) out(c, r + k) = (*this)(r + k, c);
          }
        }
        for (; r < r1; ++r) {
          const Real* in = values(r);
          for (int c = c0; c < c1; ++c) out(c, r) = in[c];
        }
      }
  }

  // Zeroes the padding after column cols() of row r (a kernel that wrote whole lanes may have
  // filled it).
  void clear_padding(int r) {
    Real* v = values(r);
    for (int c = cols_; c < lanes_ * kLanes<Real>; ++c) v[c] = Real(0);
  }

 private:
  [[nodiscard]] std::size_t row_stride() const { return static_cast<std::size_t>(lanes_) * kLanes<Real>; }

  // 4 x 4 floats from `in` (rows `in_stride` apart) to `out` transposed, through 16-byte shuffles.
  static void transpose_4x4(const float* in, std::size_t in_stride, float* out, std::size_t out_stride) {
    typedef float Quad __attribute__((vector_size(16)));
    Quad r0, r1, r2, r3;
    __builtin_memcpy(&r0, in, 16);
    __builtin_memcpy(&r1, in + in_stride, 16);
    __builtin_memcpy(&r2, in + 2 * in_stride, 16);
    __builtin_memcpy(&r3, in + 3 * in_stride, 16);
    const Quad t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5), t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
    const Quad t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5), t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
    const Quad o0 = __builtin_shufflevector(t0, t2, 0, 1, 4, 5), o1 = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
    const Quad o2 = __builtin_shufflevector(t1, t3, 0, 1, 4, 5), o3 = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
    __builtin_memcpy(out, &o0, 16);
    __builtin_memcpy(out + out_stride, &o1, 16);
    __builtin_memcpy(out + 2 * out_stride, &o2, 16);
    __builtin_memcpy(out + 3 * out_stride, &o3, 16);
  }

  int rows_ = 0, cols_ = 0, lanes_ = 0;
  std::vector<Lane<Real>> data_;  // std::allocator honours the 64-byte alignment (C++17)
};

// ---- element-wise functions --------------------------------------------------------------------

namespace lanes_detail {
constexpr double inverse_factorial(int k) {
  double f = 1;
  for (int i = 2; i <= k; ++i) f *= i;
  return 1.0 / f;
}

template <class Real>
struct ExpConstants;
template <>
struct ExpConstants<float> {
  static constexpr float lowest = -87.0f, highest = 88.0f;  // e^x stays a normal float
  static constexpr float round_magic = 0x1.8p23f;           // adding it rounds to an integer
  static constexpr float ln2_high = 0.693359375f, ln2_low = -2.12194440e-4f;  // Cody-Waite split
  static constexpr int exponent_bias = 127, mantissa_bits = 23;
  static constexpr int taylor_terms = 7;   // |r| <= ln2/2: r^8/8! < 2^-27
  static constexpr int atanh_terms = 7;    // t <= 1/3: t^15/15 < 2^-27
};
template <>
struct ExpConstants<double> {
  static constexpr double lowest = -708.0, highest = 709.0;
  static constexpr double round_magic = 0x1.8p52;
  static constexpr double ln2_high = 6.93147180369123816490e-01, ln2_low = 1.90821492927058770002e-10;
  static constexpr int exponent_bias = 1023, mantissa_bits = 52;
  static constexpr int taylor_terms = 13;  // r^14/14! < 2^-56
  static constexpr int atanh_terms = 17;   // t^35/35 < 2^-57
};
}  // namespace lanes_detail

// e^x, within a few units in the last place; inputs beyond the normal range are clamped.
template <class Real>
[[nodiscard]] inline Lane<Real> exp_lanes(Lane<Real> x) {
  using C = lanes_detail::ExpConstants<Real>;
  using Bits = typename LaneOf<Real>::bits_type;
  const Lane<Real> lowest = splat<Real>(C::lowest), highest = splat<Real>(C::highest);
  x = x < lowest ? lowest : x;
  x = x > highest ? highest : x;
  const Lane<Real> magic = splat<Real>(C::round_magic);
  const Lane<Real> n = (x * Real(1.44269504088896340736) + magic) - magic;  // round(x / ln 2)
  const Lane<Real> r = (x - n * C::ln2_high) - n * C::ln2_low;
  // Taylor series of e^r by Horner's rule, highest term first.
  Lane<Real> p = splat<Real>(static_cast<Real>(lanes_detail::inverse_factorial(C::taylor_terms)));
  for (int k = C::taylor_terms - 1; k >= 0; --k) p = p * r + static_cast<Real>(lanes_detail::inverse_factorial(k));
  const Bits scale_bits = (__builtin_convertvector(n, Bits) + C::exponent_bias) << C::mantissa_bits;
  return p * __builtin_bit_cast(Lane<Real>, scale_bits);
}

template <class Real>
[[nodiscard]] inline Lane<Real> sigmoid_lanes(Lane<Real> x) {
  return Real(1) / (Real(1) + exp_lanes<Real>(-x));
}

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), with log1p(y) = 2 atanh(y / (2 + y)) for y in [0, 1].
template <class Real>
[[nodiscard]] inline Lane<Real> softplus_lanes(Lane<Real> x) {
  using C = lanes_detail::ExpConstants<Real>;
  const Lane<Real> zero{};
  const Lane<Real> magnitude = x < zero ? -x : x;
  const Lane<Real> y = exp_lanes<Real>(-magnitude);
  const Lane<Real> t = y / (Real(2) + y);
  const Lane<Real> t2 = t * t;
  Lane<Real> series = splat<Real>(Real(1) / Real(2 * C::atanh_terms - 1));
  for (int k = C::atanh_terms - 2; k >= 0; --k) series = series * t2 + Real(1) / Real(2 * k + 1);
  return (x > zero ? x : zero) + Real(2) * t * series;
}

// ---- sums of selected rows ----------------------------------------------------------------------

namespace lanes_detail {
// Lanes [0, Block) of out = init + sum_k rows[index[k]], with the accumulators in registers.
template <class Real, int Block>
inline void sum_rows_block(const Lane<Real>* base, std::size_t stride, const int* index, int count,
                           const Lane<Real>* init, Lane<Real>* out, Real sign) {
  Lane<Real> acc[Block];
#pragma GCC unroll 16
  for (int b = 0; b < Block; ++b) acc[b] = init[b];
  if (sign > 0) {
    for (int k = 0; k < count; ++k) {
      const Lane<Real>* r = base + static_cast<std::size_t>(index[k]) * stride;
#pragma GCC unroll 16
      for (int b = 0; b < Block; ++b) acc[b] += r[b];
    }
  } else {
    for (int k = 0; k < count; ++k) {
      const Lane<Real>* r = base + static_cast<std::size_t>(index[k]) * stride;
#pragma GCC unroll 16
      for (int b = 0; b < Block; ++b) acc[b] -= r[b];
    }
  }
#pragma GCC unroll 16
  for (int b = 0; b < Block; ++b) out[b] = acc[b];
}
}  // namespace lanes_detail

namespace lanes_detail {
// How many lanes sum_rows keeps in registers at once: AVX-512 has 32 vector registers, AVX2 and
// SSE 16 (one pass over the selected rows per this many lanes, so wider is fewer passes).
#if defined(__AVX512F__)
inline constexpr int kMaxBlock = 16;
#else
inline constexpr int kMaxBlock = 8;
#endif

// sum_rows_block for a Block of exactly `lanes` (1 <= lanes <= Block): one pass for a narrow row.
template <class Real, int Block>
inline void sum_rows_narrow(int lanes, const Lane<Real>* base, std::size_t stride, const int* index, int count,
                            const Lane<Real>* init, Lane<Real>* out, Real sign) {
  if constexpr (Block > 1) {
    if (lanes < Block) return sum_rows_narrow<Real, Block - 1>(lanes, base, stride, index, count, init, out, sign);
  }
  sum_rows_block<Real, Block>(base, stride, index, count, init, out, sign);
}
}  // namespace lanes_detail

// out = init +/- (rows index[0], index[1], ... of m), every element summed in that order.
// `out` and `init` hold m.lanes() lanes and may be the same. Lanes go kMaxBlock at a time, the
// rest in one last pass, so a row of up to kMaxBlock lanes (M <= 256 floats with AVX-512) is
// summed in a single pass over the selected rows.
template <class Real>
inline void sum_rows(const Rows<Real>& m, const int* index, int count, const Lane<Real>* init, Lane<Real>* out,
                     Real sign = Real(1)) {
  using lanes_detail::kMaxBlock;
  const int lanes = m.lanes();
  const Lane<Real>* base = m.row(0);
  const auto stride = static_cast<std::size_t>(lanes);
  int c = 0;
  for (; c + kMaxBlock <= lanes; c += kMaxBlock)
    lanes_detail::sum_rows_block<Real, kMaxBlock>(base + c, stride, index, count, init + c, out + c, sign);
  if (c < lanes)
    lanes_detail::sum_rows_narrow<Real, kMaxBlock - 1>(lanes - c, base + c, stride, index, count, init + c, out + c,
                                                        sign);
}

// The sum of all values in `lanes` lanes (a multiple of kLanesPerBlock), in double. Values are
// first summed by their position within a 64-byte block, then the block's positions in order:
// the same additions in the same order whatever the lane width.
template <class Real>
[[nodiscard]] inline double sum_lanes(const Lane<Real>* x, int lanes) {
  Lane<Real> partial[kLanesPerBlock] = {};
  for (int l = 0; l < lanes; l += kLanesPerBlock)
    for (int p = 0; p < kLanesPerBlock; ++p) partial[p] += x[l + p];
  double total = 0.0;
  const Real* values = reinterpret_cast<const Real*>(partial);
  for (int i = 0; i < static_cast<int>(kBlockBytes / sizeof(Real)); ++i) total += static_cast<double>(values[i]);
  return total;
}

// ---- Bernoulli draws ---------------------------------------------------------------------------

// A lane comparison's result (all ones or all zeros per element) as bits: element e -> bit e.
template <class Real>
[[nodiscard]] inline std::uint32_t lane_bits(typename LaneOf<Real>::bits_type test) {
#if defined(__AVX512F__)
  if constexpr (sizeof(Real) == 4)
    return _mm512_cmplt_epi32_mask(reinterpret_cast<__m512i>(test), _mm512_setzero_si512());
  else
    return _mm512_cmplt_epi64_mask(reinterpret_cast<__m512i>(test), _mm512_setzero_si512());
#elif defined(__AVX__)
  if constexpr (sizeof(Real) == 4)
    return static_cast<std::uint32_t>(_mm256_movemask_ps(reinterpret_cast<__m256>(test)));
  else
    return static_cast<std::uint32_t>(_mm256_movemask_pd(reinterpret_cast<__m256d>(test)));
#else
  if constexpr (sizeof(Real) == 4)
    return static_cast<std::uint32_t>(_mm_movemask_ps(reinterpret_cast<__m128>(test)));
  else
    return static_cast<std::uint32_t>(_mm_movemask_pd(reinterpret_cast<__m128d>(test)));
#endif
}

// The lane_bits of the elements that lie before `count` in the lane beginning at element `first`:
// a row's last lane has padding past its end.
template <class Real>
[[nodiscard]] inline std::uint32_t elements_before(int count, int first) {
  const int left = count - first;
  return left >= kLanes<Real> ? ~std::uint32_t{0} : (std::uint32_t{1} << left) - 1;
}

// kLanes<Real> of the float uniforms from uniform[first], as a lane of Real (unaligned load).
template <class Real>
[[nodiscard]] inline Lane<Real> uniform_lane(const float* uniform, int first) {
  if constexpr (sizeof(Real) == 4) {
    Lane<Real> u;
    __builtin_memcpy(&u, uniform + first, sizeof u);
    return u;
  } else {
    typedef float Floats __attribute__((vector_size(kLaneBytes / 2)));
    Floats u;
    __builtin_memcpy(&u, uniform + first, sizeof u);
    return __builtin_convertvector(u, Lane<Real>);
  }
}

// Writes every j < count whose element passes `test` to `on`, in increasing order, and returns
// how many. test(l) compares lane l (elements l * kLanes ...) as a whole; the results become a bit
// mask and then indices (data::indices_of_set_bits), with no branch per element. Elements past
// count are left out. `on` must have room for data::kIndexSlack more ints than the count.
template <class Real, class Test>
inline int lane_indices_where(int count, int* on, Test test) {
  constexpr int width = kLanes<Real>;
  int n = 0;
  for (int first = 0; first < count; first += width) {
    const std::uint32_t bits = lane_bits<Real>(test(first / width, first)) & elements_before<Real>(count, first);
    n += data::indices_of_set_bits(bits, first, on + n);
  }
  return n;
}

// Bernoulli draws: the j < count with uniform[j] < probability[j], written to `on`.
// `probability` is a lane-padded row; `uniform` holds count floats rounded up to whole lanes.
template <class Real>
inline int draw_ones(const Lane<Real>* probability, const float* uniform, int count, int* on) {
  return lane_indices_where<Real>(count, on, [&](int l, int first) {
    return uniform_lane<Real>(uniform, first) < probability[l];
  });
}

// One lane of Bernoulli draws with p = sigmoid(x) from the inputs x and the uniforms from
// uniform[first]: u < 1 / odds with odds = 1 + e^-x is tested as u * odds < 1, which saves the
// division since p itself is not needed.
template <class Real>
[[nodiscard]] inline auto draw_lane_from_inputs(Lane<Real> x, const float* uniform, int first) {
  const Lane<Real> odds = Real(1) + exp_lanes<Real>(-x);
  return uniform_lane<Real>(uniform, first) * odds < Real(1);
}

// Bernoulli draws with p = sigmoid(x) from the inputs x: the j < count drawn 1, written to `on`.
template <class Real>
inline int draw_ones_from_inputs(const Lane<Real>* x, const float* uniform, int count, int* on) {
  return lane_indices_where<Real>(count, on,
                                  [&](int l, int first) { return draw_lane_from_inputs<Real>(x[l], uniform, first); });
}

}  // namespace khsweep::model
