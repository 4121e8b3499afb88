// Byte encoding of run configs, results and trainer states: bit-exact round trips, and bad bytes refused.
#include <sys/resource.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "../support/scratch.hpp"
#include "khsweep/train/serialize.hpp"

using namespace khsweep;

namespace {

double double_from_bits(std::uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}
float float_from_bits(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Values that text formatting or arithmetic would lose: NaN payloads (quiet and signalling), -0.0, inf,
// subnormals.
const double kDoubleSpecials[] = {double_from_bits(0x7ff800000000abcdULL), double_from_bits(0x7ff0000000000001ULL),
                                  double_from_bits(0xfff8000000001234ULL), -0.0, -INFINITY,
                                  std::numeric_limits<double>::denorm_min(), 0.1};
const float kFloatSpecials[] = {float_from_bits(0x7fc0abcdu), float_from_bits(0x7f800001u),
                                float_from_bits(0xffc01234u), -0.0f, INFINITY,
                                std::numeric_limits<float>::denorm_min(), 0.1f};

template <class T>
bool same_bits(const T& x, const T& y) {
  static_assert(std::is_trivially_copyable_v<T>);
  return std::memcmp(&x, &y, sizeof x) == 0;
}

template <class Real>
bool same_bits(const model::Matrix<Real>& x, const model::Matrix<Real>& y) {
  return x.rows() == y.rows() && x.cols() == y.cols() &&
         (x.size() == 0 || std::memcmp(x.data(), y.data(), sizeof(Real) * x.size()) == 0);
}
template <class Real>
bool same_bits(const model::Vector<Real>& x, const model::Vector<Real>& y) {
  return x.size() == y.size() && (x.size() == 0 || std::memcmp(x.data(), y.data(), sizeof(Real) * x.size()) == 0);
}

template <class Real>
bool same_bits(const model::Params<Real>& x, const model::Params<Real>& y) {
  return same_bits(x.layout, y.layout) && same_bits(x.W, y.W) && same_bits(x.a, y.a) && same_bits(x.b, y.b);
}

bool same_bits(const train::EpochRecord& x, const train::EpochRecord& y) {
  return x.epoch == y.epoch && same_bits(x.kh_epsilon, y.kh_epsilon) && same_bits(x.train_seconds, y.train_seconds) &&
         same_bits(x.metric_seconds, y.metric_seconds) && x.evaluated == y.evaluated && same_bits(x.train, y.train) &&
         same_bits(x.validation, y.validation);
}

bool same_bits(const std::vector<train::EpochRecord>& x, const std::vector<train::EpochRecord>& y) {
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!same_bits(x[i], y[i])) return false;
  return true;
}

// Three learning-curve rows full of awkward values.
std::vector<train::EpochRecord> awkward_curves() {
  std::vector<train::EpochRecord> curves;
  for (int e = 0; e < 3; ++e) {
    train::EpochRecord r;
    r.epoch = e;
    r.kh_epsilon = e == 1 ? -0.0 : 0.01 * e;
    r.train_seconds = 1.25 + e;
    r.metric_seconds = e == 2 ? kDoubleSpecials[5] : 0.5;
    r.evaluated = e != 1;
    r.train = {kDoubleSpecials[0], kDoubleSpecials[3], -3.5, kDoubleSpecials[1]};
    r.validation = {0.125, kDoubleSpecials[4], kDoubleSpecials[2], 0.75};
    curves.push_back(r);
  }
  return curves;
}

// A cRBM (3 pixels + 2 labels, 4 hidden) whose weights include every special value.
template <class Real>
model::Params<Real> awkward_params() {
  model::Params<Real> p;
  p.layout = {3, 2, 4};
  p.W.resize(5, 4);
  p.a.resize(5);
  p.b.resize(4);
  const auto special = [](int i) {
    if constexpr (std::is_same_v<Real, float>) return kFloatSpecials[i % 7];
    else return kDoubleSpecials[i % 7];
  };
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) p.W(i, j) = (i + j) % 3 == 0 ? special(i * 4 + j) : Real(0.25) * Real(i - j);
  for (int i = 0; i < 5; ++i) p.a[i] = special(i + 2);
  for (int j = 0; j < 4; ++j) p.b[j] = Real(-0.5) * Real(j) + (j == 1 ? special(3) : Real(0));
  return p;
}

template <class Real>
train::TrainerState<Real> awkward_state(bool with_chain) {
  train::TrainerState<Real> s;
  s.epoch = 3;
  s.batch = 17;
  s.batch_seconds = -0.0;
  s.params = awkward_params<Real>();
  s.rng = {0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0, ~0ULL};
  if (with_chain) {
    s.chain.resize(10, 4);
    for (int r = 0; r < 10; ++r)
      for (int c = 0; c < 4; ++c) s.chain(r, c) = Real((r * 7 + c) % 3 == 0 ? 1 : 0);
    s.chain(9, 3) = static_cast<Real>(-0.0);
  }
  s.curves = awkward_curves();
  s.diverged = true;
  s.reason = "weights became NaN or infinite during epoch 2";
  return s;
}

template <class Real>
void check_same(const train::TrainerState<Real>& x, const train::TrainerState<Real>& y) {
  BOOST_TEST(x.epoch == y.epoch);
  BOOST_TEST(x.batch == y.batch);
  BOOST_TEST(same_bits(x.batch_seconds, y.batch_seconds));
  BOOST_TEST(same_bits(x.params, y.params));
  BOOST_TEST(same_bits(x.rng, y.rng));
  BOOST_TEST(same_bits(x.chain, y.chain));
  BOOST_TEST(same_bits(x.curves, y.curves));
  BOOST_TEST(x.diverged == y.diverged);
  BOOST_TEST(x.reason == y.reason);
}

// Every strict prefix of a message must be refused as truncated, never read past its end.
template <class T>
void check_every_prefix_is_truncated(const std::vector<std::uint8_t>& bytes) {
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    BOOST_TEST_CONTEXT("prefix of " << cut << " of " << bytes.size() << " bytes") {
      // A copy of exactly `cut` bytes, so the sanitizers see any read past it.
      const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
      const std::string message = testing::error_of([&] { (void)train::from_bytes<T>(prefix, "test message"); });
      KHSWEEP_CHECK_MESSAGE_HAS(message, "truncated");
      KHSWEEP_CHECK_MESSAGE_HAS(message, "test message");
    }
  }
}

// Caps the process's address space near its current size for a scope, so allocating a corrupt
// header's terabytes fails (std::bad_alloc) whatever the system's overcommit policy.
class AddressSpaceCap {
 public:
  AddressSpaceCap() {
#if !defined(__SANITIZE_ADDRESS__)  // ASan reserves terabytes of shadow memory up front
    std::size_t pages = 0;
    std::ifstream statm("/proc/self/statm");
    if (!(statm >> pages) || ::getrlimit(RLIMIT_AS, &saved_) != 0) return;
    rlimit capped = saved_;
    const rlim_t cap = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) + (rlim_t(1) << 30);
    if (saved_.rlim_cur != RLIM_INFINITY && saved_.rlim_cur <= cap) return;
    capped.rlim_cur = cap;
    active_ = ::setrlimit(RLIMIT_AS, &capped) == 0;
#endif
  }
  ~AddressSpaceCap() {
    if (active_) ::setrlimit(RLIMIT_AS, &saved_);
  }
  AddressSpaceCap(const AddressSpaceCap&) = delete;
  AddressSpaceCap& operator=(const AddressSpaceCap&) = delete;

 private:
  rlimit saved_{};
  bool active_ = false;
};

}  // namespace

// A value of `spec` other than its default and inside its range.
std::string other_value(const train::ParamSpec& spec, const train::RunParams& defaults) {
  const std::string now = spec.get(defaults);
  const auto accepted = [&](const std::string& text) {
    train::RunParams scratch;
    return spec.set(scratch, text).empty() && text != now;
  };
  switch (spec.kind) {
    case train::ParamKind::choice:
      for (const std::string& c : spec.choices)
        if (c != now) return c;
      break;
    case train::ParamKind::boolean: return now == "true" ? "false" : "true";
    case train::ParamKind::path: return "some/where";
    case train::ParamKind::real:  // -0 first: its sign must survive
      for (const char* v : {"-0", "0.7", "2.5", "7.25"})
        if (accepted(v)) return v;
      break;
    default:
      for (const char* v : {"3", "2", "200"})
        if (accepted(v)) return v;
  }
  return now;
}

BOOST_AUTO_TEST_CASE(run_params_round_trip_every_parameter) {
  const train::RunParams defaults;
  train::RunParams original;
  for (const auto& spec : train::run_parameters()) {
    const std::string value = other_value(spec, defaults);
    BOOST_TEST_REQUIRE(spec.set(original, value) == "", spec.name << " = " << value);
    BOOST_TEST_REQUIRE(spec.get(original) != spec.get(defaults), spec.name << ": the test must set a non-default");
  }
  original.config.seed = 0xfedcba9876543210ULL;  // beyond int64: must survive as uint64

  const auto decoded = train::from_bytes<train::RunParams>(train::to_bytes(original));
  for (const auto& spec : train::run_parameters())  // get() is exact: the shortest text of each double, "-0" too
    BOOST_TEST(spec.get(decoded) == spec.get(original), spec.name);
  BOOST_TEST(std::signbit(decoded.config.noise) == std::signbit(original.config.noise));
}

BOOST_AUTO_TEST_CASE(run_result_round_trips_bit_exactly) {
  train::RunResult original;
  original.status = train::RunStatus::diverged;
  original.reason = "metrics became NaN or infinite after epoch 2";
  original.curves = awkward_curves();
  original.params = awkward_params<double>();
  original.receptive_field_overlap = kDoubleSpecials[0];
  original.total_seconds = -0.0;

  const auto bytes = train::to_bytes(original);
  const auto decoded = train::from_bytes<train::RunResult>(bytes);
  BOOST_TEST((decoded.status == original.status));
  BOOST_TEST(decoded.reason == original.reason);
  BOOST_TEST(same_bits(decoded.curves, original.curves));
  BOOST_TEST(same_bits(decoded.params, original.params));
  BOOST_TEST(same_bits(decoded.receptive_field_overlap, original.receptive_field_overlap));
  BOOST_TEST(same_bits(decoded.total_seconds, original.total_seconds));
  BOOST_TEST((train::to_bytes(decoded) == bytes));

  // An empty result (no curves, 0 x 0 weights) round-trips too.
  const train::RunResult empty;
  BOOST_TEST((train::to_bytes(train::from_bytes<train::RunResult>(train::to_bytes(empty))) == train::to_bytes(empty)));
}

BOOST_AUTO_TEST_CASE(record_sizes_follow_the_documented_layout) {
  // SetMetrics: 5 doubles. EpochRecord: i32 epoch, 3 doubles, a bool, 2 SetMetrics.
  BOOST_TEST(train::to_bytes(train::SetMetrics{}).size() == 40u);
  BOOST_TEST(train::to_bytes(train::EpochRecord{}).size() == 4u + 24 + 1 + 80);
  // Params: 3 i32 of layout, then W, a, b each as u64 rows, u64 cols and the values.
  const auto p = awkward_params<float>();
  BOOST_TEST(train::to_bytes(p).size() == 12u + (16 + 4 * 20) + (16 + 4 * 5) + (16 + 4 * 4));
}

BOOST_AUTO_TEST_CASE(trainer_states_round_trip_bit_exactly) {
  for (bool with_chain : {true, false}) {
    BOOST_TEST_CONTEXT("chain " << with_chain) {
      const auto f = awkward_state<float>(with_chain);
      const auto f_bytes = train::to_bytes(f);
      const auto f_back = train::from_bytes<train::TrainerState<float>>(f_bytes);
      check_same(f, f_back);
      BOOST_TEST((train::to_bytes(f_back) == f_bytes));

      const auto d = awkward_state<double>(with_chain);
      const auto d_bytes = train::to_bytes(d);
      const auto d_back = train::from_bytes<train::TrainerState<double>>(d_bytes);
      check_same(d, d_back);
      BOOST_TEST((train::to_bytes(d_back) == d_bytes));
    }
  }
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error) {
  train::RunParams params;
  params.config.seed = 99;
  params.data.dataset = "mnist";
  check_every_prefix_is_truncated<train::RunParams>(train::to_bytes(params));
  check_every_prefix_is_truncated<train::EpochRecord>(train::to_bytes(awkward_curves()[0]));

  train::RunResult result;
  result.reason = "r";
  result.curves = {awkward_curves()[1]};
  result.params = awkward_params<double>();
  check_every_prefix_is_truncated<train::RunResult>(train::to_bytes(result));

  auto state = awkward_state<float>(true);
  state.curves.resize(1);
  check_every_prefix_is_truncated<train::TrainerState<float>>(train::to_bytes(state));
  check_every_prefix_is_truncated<train::TrainerState<double>>(train::to_bytes(awkward_state<double>(false)));
}

BOOST_AUTO_TEST_CASE(left_over_bytes_are_an_error) {
  auto bytes = train::to_bytes(awkward_state<double>(true));
  bytes.push_back(0);
  const std::string message =
      testing::error_of([&] { (void)train::from_bytes<train::TrainerState<double>>(bytes); });
  KHSWEEP_CHECK_MESSAGE_HAS(message, "1 unexpected bytes");
}

BOOST_AUTO_TEST_CASE(impossible_values_are_refused) {
  train::RunParams params;
  params.data.dataset = "mnist";
  auto params_bytes = train::to_bytes(params);
  // data (a u64 length and 5 bytes), train_subset, validation_subset, then subset's length and text
  params_bytes[8 + 5 + 8 + 8 + 8] = 'F';  // "first" -> "First"
  const std::string choice_message =
      testing::error_of([&] { (void)train::from_bytes<train::RunParams>(params_bytes); });
  KHSWEEP_CHECK_MESSAGE_HAS(choice_message, "parameter subset: must be one of first, random, got 'First'");

  const auto state = awkward_state<float>(false);
  auto state_bytes = train::to_bytes(state);
  state_bytes[state_bytes.size() - state.reason.size() - 8 - 1] = 2;  // diverged, before the reason's length and text
  const std::string bool_message =
      testing::error_of([&] { (void)train::from_bytes<train::TrainerState<float>>(state_bytes); });
  KHSWEEP_CHECK_MESSAGE_HAS(bool_message, "invalid boolean byte 2");
}

BOOST_AUTO_TEST_CASE(huge_sizes_are_refused_before_allocating) {
  const AddressSpaceCap cap;  // a reader that allocated first would now throw std::bad_alloc instead
  const auto header_then_one_double = [](std::uint64_t first, std::uint64_t second) {
    train::ByteWriter w;
    w.u64(first);
    w.u64(second);
    w.f64(1.0);
    return w.take();
  };
  {  // 2^20 x 2^20 = 2^40 doubles: 8 TiB announced, 8 bytes present.
    const auto bytes = header_then_one_double(std::uint64_t(1) << 20, std::uint64_t(1) << 20);
    train::ByteReader in(bytes, "huge matrix");
    model::Matrix<double> m;
    const std::string message = testing::error_of([&] { in.matrix(m); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, "huge matrix: truncated");
    KHSWEEP_CHECK_MESSAGE_HAS(message, "1048576 x 1048576");
    BOOST_TEST(m.size() == 0);
  }
  {  // rows * cols * 4 overflows 64 bits.
    const auto bytes = header_then_one_double(std::uint64_t(1) << 62, 16);
    train::ByteReader in(bytes);
    model::Matrix<float> m;
    const std::string message = testing::error_of([&] { in.matrix(m); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, "truncated");
    KHSWEEP_CHECK_MESSAGE_HAS(message, "at byte 16 of 24");
  }
  {  // more rows than Eigen can index, with no columns.
    const auto bytes = header_then_one_double(~std::uint64_t(0), 0);
    train::ByteReader in(bytes);
    model::Matrix<float> m;
    const std::string message = testing::error_of([&] { in.matrix(m); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, "does not fit");
  }
  {  // a vector stored with two columns
    const auto bytes = header_then_one_double(1, 2);
    train::ByteReader in(bytes);
    model::Vector<double> v;
    const std::string message = testing::error_of([&] { in.matrix(v); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, "does not fit");
  }
  {  // a 2^40-byte string
    train::ByteWriter w;
    w.u64(std::uint64_t(1) << 40);
    w.raw("abc", 3);
    const auto bytes = w.take();
    train::ByteReader in(bytes);
    const std::string message = testing::error_of([&] { (void)in.string(); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, "truncated");
  }
  {  // a run result claiming 2^40 learning-curve rows
    train::ByteWriter w;
    w.u8(0);                           // status
    w.string("");                      // reason
    w.u64(std::uint64_t(1) << 40);     // curves
    const auto bytes = w.take();
    const std::string message = testing::error_of([&] { (void)train::from_bytes<train::RunResult>(bytes); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, "truncated");
  }
}

BOOST_AUTO_TEST_CASE(reader_reports_its_position) {
  train::ByteWriter w;
  w.i32(-5);
  w.f32(-0.0f);
  w.boolean(true);
  w.string("abc");
  const auto bytes = w.take();
  train::ByteReader in(bytes);
  BOOST_TEST(in.i32() == -5);
  BOOST_TEST(same_bits(in.f32(), -0.0f));
  BOOST_TEST(in.boolean());
  BOOST_TEST(in.string() == "abc");
  BOOST_TEST(in.at_end());
  BOOST_TEST(in.offset() == bytes.size());
  const std::string message = testing::error_of([&] { (void)in.u8(); });
  KHSWEEP_CHECK_MESSAGE_HAS(message, "message: truncated: needs 1 x 1 bytes (value), only 0 remain (at byte 20 of 20)");
}
