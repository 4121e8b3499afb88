#pragma once
#include <array>
#include <cstdint>

namespace khsweep {

// SplitMix64's output function: a bijective 64-bit mixer, used to derive seeds. Inline so that
// loops over it vectorise.
[[nodiscard]] inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// A seed for an independent stream, derived from a run's seed, a purpose tag and an index
// (e.g. the epoch). Streams never depend on rank, host or time: a run is a pure function of its seed.
[[nodiscard]] std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index = 0);

// Purpose tags for derive_seed: one per independent use of randomness in a run.
namespace stream {
inline constexpr std::uint64_t init = 0x696e6974;      // weight initialisation
inline constexpr std::uint64_t train = 0x747261696e;   // shuffling and Gibbs sampling while training
inline constexpr std::uint64_t metrics = 0x6d6574;     // sampling inside per-epoch metrics (one per epoch)
inline constexpr std::uint64_t subset = 0x737562;      // random data subsets
}  // namespace stream

// xoshiro256++ (Blackman & Vigna): fast, 256-bit state, passes BigCrush. Its state is plain data,
// so a checkpoint can save and restore it exactly.
class Rng {
 public:
  using State = std::array<std::uint64_t, 4>;

  explicit Rng(std::uint64_t seed);

  std::uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform in [0, 1) with 24 random bits, for float sampling.
  float uniform_float();
  // Uniform integer in [0, n), unbiased (Lemire's method).
  std::uint64_t below(std::uint64_t n);
  // Standard normal by Box-Muller; the spare value is kept, so the stream is stateful.
  double normal();

  [[nodiscard]] State state() const { return state_; }
  void set_state(const State& s) { state_ = s; has_spare_normal_ = false; }

 private:
  State state_{};
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

// Fisher-Yates with Rng::below: the same permutation for the same stream on every platform.
template <class T>
void shuffle(T* first, std::size_t n, Rng& rng) {
  for (std::size_t i = n; i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng.below(i));
    T tmp = first[i - 1];
    first[i - 1] = first[j];
    first[j] = tmp;
  }
}

// Counter-based uniforms for the Gibbs sampler: out[i] in [0, 1) with 24 random bits, a pure
// function of (key, first, i): SplitMix64 read at positions first + i/2, each 64-bit output
// giving two values. No state is carried from one call to the next, so the loop vectorises and a
// sample's draws do not depend on how many were drawn before it. `count` must be even.
inline void fill_uniforms(std::uint64_t key, std::uint64_t first, float* out, int count) {
  constexpr std::uint64_t golden = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < count / 2; ++i) {
    const std::uint64_t z = mix64(key + (first + static_cast<std::uint64_t>(i)) * golden);
    out[2 * i] = static_cast<float>(static_cast<std::int32_t>(z >> 40)) * 0x1.0p-24f;
    out[2 * i + 1] = static_cast<float>(static_cast<std::int32_t>((z >> 8) & 0xffffffU)) * 0x1.0p-24f;
  }
}

}  // namespace khsweep
