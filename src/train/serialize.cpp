#include "khsweep/train/serialize.hpp"

#include <array>
#include <limits>
#include <string>
#include <type_traits>
#include <variant>

namespace khsweep::train {

static_assert(sizeof(int) == 4, "int members are encoded as 32-bit values");
static_assert(sizeof(float) == 4 && sizeof(double) == 8 && std::numeric_limits<float>::is_iec559 &&
                  std::numeric_limits<double>::is_iec559,
              "floats are copied byte for byte as IEEE 754 binary32/binary64");
void ByteReader::require(std::uint64_t count, std::size_t item_size, const char* what) const {
  const std::size_t left = remaining();
  if (item_size != 0 && count > left / item_size)
    fail("truncated: needs " + std::to_string(count) + " x " + std::to_string(item_size) + " bytes (" + what +
         "), only " + std::to_string(left) + " remain");
}

void ByteReader::require_matrix(std::uint64_t rows, std::uint64_t cols, std::size_t item_size) const {
  const std::size_t left = remaining();
  // rows * cols * item_size <= left, without overflowing the product.
  if (rows > left / item_size / cols)
    fail("truncated: a " + std::to_string(rows) + " x " + std::to_string(cols) + " matrix of " +
         std::to_string(item_size) + "-byte values needs more than the " + std::to_string(left) + " bytes that remain");
}

void ByteReader::fail(const std::string& what) const {
  throw error_at(source_, what + " (at byte " + std::to_string(pos_) + " of " + std::to_string(size_) + ")");
}

bool ByteReader::boolean() {
  const std::uint8_t v = u8();
  if (v > 1) fail("invalid boolean byte " + std::to_string(v));
  return v == 1;
}

std::string ByteReader::string() {
  const std::uint64_t n = u64();
  require(n, 1, "string");
  std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return s;
}

namespace {

template <class T>
struct always_false : std::false_type {};

// The last enumerator of each encoded enum (they all count up from 0): a byte past it is corruption.
// Update when an enumerator is appended.
template <class E>
constexpr E last_enumerator() {
  static_assert(always_false<E>::value, "add a last_enumerator specialisation for this enum");
  return E{};
}
template <>
constexpr Task last_enumerator<Task>() {
  return Task::classification;
}
template <>
constexpr Precision last_enumerator<Precision>() {
  return Precision::f64;
}
template <>
constexpr model::Init last_enumerator<model::Init>() {
  return model::Init::lecun;
}
template <>
constexpr model::LabelSampling last_enumerator<model::LabelSampling>() {
  return model::LabelSampling::argmax;
}
template <>
constexpr model::KhVariant last_enumerator<model::KhVariant>() {
  return model::KhVariant::bottom_up;
}
template <>
constexpr Model last_enumerator<Model>() {
  return Model::mhc;
}
template <>
constexpr RunStatus last_enumerator<RunStatus>() {
  return RunStatus::diverged;
}

template <class T>
struct is_eigen_matrix : std::false_type {};
template <class S, int R, int C, int O, int MR, int MC>
struct is_eigen_matrix<Eigen::Matrix<S, R, C, O, MR, MC>> : std::true_type {};
template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};
template <class T>
struct is_std_vector : std::false_type {};
template <class T, class A>
struct is_std_vector<std::vector<T, A>> : std::true_type {};

// One member, chosen by its type: fixed-width integers and floats, a u8 for bools and enums,
// length-prefixed strings and vectors, shape-prefixed matrices, and the encoders below for structs.
template <class T>
void put(ByteWriter& out, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    out.boolean(v);
  } else if constexpr (std::is_enum_v<T>) {
    static_assert(static_cast<std::uint64_t>(last_enumerator<T>()) <= 255, "enums are encoded in one byte");
    out.u8(static_cast<std::uint8_t>(v));
  } else if constexpr (std::is_integral_v<T>) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8, "integers are encoded as 32 or 64 bits");
    if constexpr (std::is_signed_v<T> && sizeof(T) == 4) out.i32(v);
    if constexpr (std::is_signed_v<T> && sizeof(T) == 8) out.i64(v);
    if constexpr (std::is_unsigned_v<T> && sizeof(T) == 4) out.u32(v);
    if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) out.u64(v);
  } else if constexpr (std::is_same_v<T, float>) {
    out.f32(v);
  } else if constexpr (std::is_same_v<T, double>) {
    out.f64(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    out.string(v);
  } else if constexpr (is_eigen_matrix<T>::value) {
    out.matrix(v);
  } else if constexpr (is_std_array<T>::value) {
    for (const auto& x : v) put(out, x);
  } else if constexpr (is_std_vector<T>::value) {
    out.u64(v.size());
    for (const auto& x : v) put(out, x);
  } else {
    encode(out, v);
  }
}

template <class T>
void get(ByteReader& in, T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    v = in.boolean();
  } else if constexpr (std::is_enum_v<T>) {
    const std::uint8_t raw = in.u8();
    if (raw > static_cast<std::uint8_t>(last_enumerator<T>()))
      in.fail("invalid enumerator " + std::to_string(raw) + " (the last is " +
              std::to_string(static_cast<int>(last_enumerator<T>())) + ")");
    v = static_cast<T>(raw);
  } else if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T> && sizeof(T) == 4) v = in.i32();
    if constexpr (std::is_signed_v<T> && sizeof(T) == 8) v = in.i64();
    if constexpr (std::is_unsigned_v<T> && sizeof(T) == 4) v = in.u32();
    if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) v = in.u64();
  } else if constexpr (std::is_same_v<T, float>) {
    v = in.f32();
  } else if constexpr (std::is_same_v<T, double>) {
    v = in.f64();
  } else if constexpr (std::is_same_v<T, std::string>) {
    v = in.string();
  } else if constexpr (is_eigen_matrix<T>::value) {
    in.matrix(v);
  } else if constexpr (is_std_array<T>::value) {
    for (auto& x : v) get(in, x);
  } else if constexpr (is_std_vector<T>::value) {
    const std::uint64_t n = in.u64();
    in.require(n, 1, "vector elements");  // every element takes at least one byte
    v.clear();
    for (std::uint64_t i = 0; i < n; ++i) get(in, v.emplace_back());
  } else {
    decode(in, v);
  }
}

auto writer(ByteWriter& out) {
  return [&out](const auto&... member) { (put(out, member), ...); };
}
auto reader(ByteReader& in) {
  return [&in](auto&... member) { (get(in, member), ...); };
}

// Each *_members function hands every member of a struct, in declaration order, to f. The structured
// binding names them all, so adding or removing a member stops these lines compiling until the
// encoding (and its round-trip test) is updated. Run parameters are not among them: the parameter
// table encodes them (encode(RunParams) below), so a new parameter needs no line here.
template <class C, class F>
void layout_members(C& c, F&& f) {
  auto& [pixels, classes, hidden] = c;
  f(pixels, classes, hidden);
}

template <class C, class F>
void set_metrics_members(C& c, F&& f) {
  auto& [mse, cross_entropy, pseudo_log_likelihood, accuracy, noisy_accuracy] = c;
  f(mse, cross_entropy, pseudo_log_likelihood, accuracy, noisy_accuracy);
}

template <class C, class F>
void epoch_record_members(C& c, F&& f) {
  auto& [epoch, kh_epsilon, train_seconds, metric_seconds, evaluated, train, validation] = c;
  f(epoch, kh_epsilon, train_seconds, metric_seconds, evaluated, train, validation);
}

template <class C, class F>
void run_result_members(C& c, F&& f) {
  auto& [status, reason, curves, params, receptive_field_overlap, total_seconds] = c;
  f(status, reason, curves, params, receptive_field_overlap, total_seconds);
}

template <class C, class F>
void params_members(C& c, F&& f) {
  auto& [layout, W, a, b] = c;
  f(layout, W, a, b);
}

template <class C, class F>
void trainer_state_members(C& c, F&& f) {
  auto& [epoch, batch, batch_seconds, params, rng, chain, curves, diverged, reason] = c;
  f(epoch, batch, batch_seconds, params, rng, chain, curves, diverged, reason);
}

}  // namespace

// Every row of the parameter table in table order, typed by its kind: the same build reads what it
// wrote, and reals travel as their bits (the sign of zero included).
void encode(ByteWriter& out, const RunParams& value) {
  for (const ParamSpec& spec : run_parameters()) {
    const StoredValue v = spec.value(value);
    if (const auto* i = std::get_if<std::int64_t>(&v)) out.i64(*i);
    else if (const auto* u = std::get_if<std::uint64_t>(&v)) out.u64(*u);
    else if (const auto* d = std::get_if<double>(&v)) out.f64(*d);
    else out.string(std::get<std::string>(v));
  }
}

void decode(ByteReader& in, RunParams& value) {
  RunParams decoded;
  for (const ParamSpec& spec : run_parameters()) {
    StoredValue v;
    switch (spec.kind) {
      case ParamKind::integer:
      case ParamKind::boolean: v = in.i64(); break;
      case ParamKind::count: v = in.u64(); break;
      case ParamKind::real: v = in.f64(); break;
      default: v = in.string(); break;
    }
    if (const std::string why = set_stored(spec, decoded, v); !why.empty()) in.fail("parameter " + spec.name + ": " + why);
  }
  value = std::move(decoded);
}
void encode(ByteWriter& out, const model::Layout& value) { layout_members(value, writer(out)); }
void decode(ByteReader& in, model::Layout& value) { layout_members(value, reader(in)); }
void encode(ByteWriter& out, const SetMetrics& value) { set_metrics_members(value, writer(out)); }
void decode(ByteReader& in, SetMetrics& value) { set_metrics_members(value, reader(in)); }
void encode(ByteWriter& out, const EpochRecord& value) { epoch_record_members(value, writer(out)); }
void decode(ByteReader& in, EpochRecord& value) { epoch_record_members(value, reader(in)); }
void encode(ByteWriter& out, const RunResult& value) { run_result_members(value, writer(out)); }
void decode(ByteReader& in, RunResult& value) { run_result_members(value, reader(in)); }

template <class Real>
void encode(ByteWriter& out, const model::Params<Real>& value) {
  params_members(value, writer(out));
}
template <class Real>
void decode(ByteReader& in, model::Params<Real>& value) {
  params_members(value, reader(in));
}
template <class Real>
void encode(ByteWriter& out, const TrainerState<Real>& value) {
  trainer_state_members(value, writer(out));
}
template <class Real>
void decode(ByteReader& in, TrainerState<Real>& value) {
  trainer_state_members(value, reader(in));
}

template void encode(ByteWriter&, const model::Params<float>&);
template void encode(ByteWriter&, const model::Params<double>&);
template void decode(ByteReader&, model::Params<float>&);
template void decode(ByteReader&, model::Params<double>&);
template void encode(ByteWriter&, const TrainerState<float>&);
template void encode(ByteWriter&, const TrainerState<double>&);
template void decode(ByteReader&, TrainerState<float>&);
template void decode(ByteReader&, TrainerState<double>&);

}  // namespace khsweep::train
