// The lane kernels the trainer and the metrics are built from: our own exp / sigmoid / softplus
// against libm, padded matrices and their transpose, sums of selected rows, index lists, Bernoulli selection.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <vector>

#include "khsweep/core/random.hpp"
#include "khsweep/model/lanes.hpp"

using namespace khsweep;

namespace {

// Applies a lane function to one value (every lane holds x).
template <class Real, class F>
Real on_value(F f, Real x) {
  return f(model::splat<Real>(x))[0];
}

// The largest relative error of f against reference over x in [-range, range].
template <class Real, class F, class G>
double worst_relative_error(F f, G reference, double range) {
  double worst = 0.0;
  for (int k = -4000; k <= 4000; ++k) {
    const double x = range * k / 4000.0;
    const double expected = reference(x);
    const double got = static_cast<double>(on_value<Real>(f, static_cast<Real>(x)));
    worst = std::max(worst, std::abs(got - expected) / std::max(std::abs(expected), 1e-300));
  }
  return worst;
}

}  // namespace

BOOST_AUTO_TEST_CASE(exp_sigmoid_softplus_agree_with_libm_to_a_few_ulp) {
  using model::exp_lanes;
  using model::sigmoid_lanes;
  using model::softplus_lanes;
  const auto softplus = [](double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); };
  const auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  // float: a few units of 2^-24; the inputs themselves are rounded to float, which costs up to
  // |x| * 2^-24 relative in e^x, hence the range-scaled bound for exp.
  BOOST_TEST(worst_relative_error<float>([](auto v) { return exp_lanes<float>(v); }, [](double x) { return std::exp(static_cast<float>(x)); }, 80.0) < 4e-7);
  BOOST_TEST(worst_relative_error<float>([](auto v) { return sigmoid_lanes<float>(v); }, [&](double x) { return sigmoid(static_cast<float>(x)); }, 30.0) < 4e-7);
  BOOST_TEST(worst_relative_error<float>([](auto v) { return softplus_lanes<float>(v); }, [&](double x) { return softplus(static_cast<float>(x)); }, 30.0) < 4e-7);
  BOOST_TEST(worst_relative_error<double>([](auto v) { return exp_lanes<double>(v); }, [](double x) { return std::exp(x); }, 700.0) < 1e-14);
  BOOST_TEST(worst_relative_error<double>([](auto v) { return sigmoid_lanes<double>(v); }, sigmoid, 40.0) < 1e-14);
  BOOST_TEST(worst_relative_error<double>([](auto v) { return softplus_lanes<double>(v); }, softplus, 40.0) < 1e-14);
  // Far outside the normal range the functions saturate instead of overflowing.
  BOOST_TEST(on_value<float>([](auto v) { return sigmoid_lanes<float>(v); }, 1000.0f) == 1.0f);
  BOOST_TEST(on_value<float>([](auto v) { return sigmoid_lanes<float>(v); }, -1000.0f) < 1e-37f);
  BOOST_TEST(on_value<float>([](auto v) { return softplus_lanes<float>(v); }, 1000.0f) == 1000.0f);
  BOOST_TEST(std::isnan(on_value<float>([](auto v) { return exp_lanes<float>(v); }, NAN)));
}

BOOST_AUTO_TEST_CASE(rows_pad_to_whole_blocks_and_transpose_exactly) {
  for (auto [rows, cols] : {std::pair{7, 13}, std::pair{16, 16}, std::pair{794, 100}, std::pair{3, 33}}) {
    model::Matrix<float> m(rows, cols);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) m(r, c) = static_cast<float>(r * 1000 + c);
    const auto padded = model::Rows<float>::from(m);
    BOOST_TEST(padded.lanes() * model::kLanes<float> % 16 == 0);  // whole 64-byte blocks
    model::Rows<float> t;
    padded.transpose_into(t);
    BOOST_TEST_INFO(rows << " x " << cols);
    BOOST_TEST(t.rows() == cols);
    bool exact = true, padding_zero = true;
    for (int c = 0; c < cols; ++c) {
      for (int r = 0; r < rows; ++r) exact = exact && t(c, r) == m(r, c);
      for (int r = rows; r < t.lanes() * model::kLanes<float>; ++r) padding_zero = padding_zero && t.values(c)[r] == 0.0f;
    }
    BOOST_TEST(exact);
    BOOST_TEST(padding_zero);
    model::Matrix<float> back;
    padded.copy_to(back);
    BOOST_TEST((back == m));
  }
}

// Each element of a sum of rows is added in index order, starting from init: the result equals a
// plain scalar loop bit for bit, and subtracting gives the negated order.
void check_sum_rows(Rng& rng, int cols) {
  const int rows = 40;
  model::Matrix<float> m(rows, cols);
  for (int i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal());
  const auto padded = model::Rows<float>::from(m);
  model::Rows<float> init(1, cols), out(1, cols);
  for (int c = 0; c < cols; ++c) init(0, c) = static_cast<float>(rng.normal());
  const std::vector<int> index{3, 17, 0, 39, 17};
  model::sum_rows(padded, index.data(), static_cast<int>(index.size()), init.row(0), out.row(0));
  bool same = true;
  for (int c = 0; c < cols; ++c) {
    float expected = init(0, c);
    for (int r : index) expected += m(r, c);
    same = same && out(0, c) == expected;
  }
  BOOST_TEST(same);
  model::sum_rows(padded, index.data(), static_cast<int>(index.size()), init.row(0), out.row(0), -1.0f);
  for (int c = 0; c < cols; ++c) {
    float expected = init(0, c);
    for (int r : index) expected -= m(r, c);
    same = same && out(0, c) == expected;
  }
  BOOST_TEST(same);
}

BOOST_AUTO_TEST_CASE(sum_rows_equals_the_scalar_sum_in_index_order) {
  Rng rng(3);
  // One lane to many: rows summed in one pass (narrow), in several full blocks, and blocks plus
  // a remainder, on every target.
  for (const int cols : {1, 17, 100, 112, 250, 256, 300, 500, 784})
    BOOST_TEST_CONTEXT("cols = " << cols) { check_sum_rows(rng, cols); }
}

// The index lists every 0/1 batch is held as: the vector paths (bit masks, AVX-512 compress)
// against the plain definition, for every length around the vector widths and any offset.
BOOST_AUTO_TEST_CASE(indices_of_ones_lists_exactly_the_nonzero_bytes_in_order) {
  Rng rng(5);
  for (int count = 0; count <= 300; ++count) {
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(count));
    const double density = rng.uniform();
    for (auto& b : bytes) b = rng.uniform() < density ? 1 : 0;
    const int offset = static_cast<int>(rng.below(1000));
    std::vector<int> expected;
    for (int i = 0; i < count; ++i)
      if (bytes[i]) expected.push_back(offset + i);
    std::vector<int> on(static_cast<std::size_t>(count + data::kIndexSlack), -1);
    on.resize(static_cast<std::size_t>(data::indices_of_ones(bytes.data(), count, on.data(), offset)));
    BOOST_TEST_CONTEXT("count = " << count) { BOOST_TEST(on == expected, boost::test_tools::per_element()); }
  }
}

// Draws straight from the inputs x: u * (1 + e^-x) < 1, element by element, in float and double.
template <class Real>
void check_draws_from_inputs() {
  Rng rng(9);
  for (const int count : {1, 7, 16, 100, 785}) {
    model::Rows<Real> x(1, count);
    for (int j = 0; j < count; ++j) x(0, j) = static_cast<Real>(4.0 * rng.normal());
    std::vector<float> u(static_cast<std::size_t>(x.lanes() * model::kLanes<Real>) + 2);
    fill_uniforms(13, 0, u.data(), count + (count & 1));
    std::vector<int> expected;
    for (int j = 0; j < count; ++j) {
      const Real odds = Real(1) + model::exp_lanes<Real>(model::splat<Real>(-x(0, j)))[0];
      if (static_cast<Real>(u[j]) * odds < Real(1)) expected.push_back(j);
    }
    std::vector<int> on(static_cast<std::size_t>(count + data::kIndexSlack));
    on.resize(static_cast<std::size_t>(model::draw_ones_from_inputs<Real>(x.row(0), u.data(), count, on.data())));
    BOOST_TEST_CONTEXT("count = " << count) { BOOST_TEST(on == expected, boost::test_tools::per_element()); }
  }
}

BOOST_AUTO_TEST_CASE(draws_from_inputs_match_the_elementwise_rule) {
  check_draws_from_inputs<float>();
  check_draws_from_inputs<double>();
}

BOOST_AUTO_TEST_CASE(bernoulli_selection_picks_exactly_the_units_below_their_probability) {
  const int count = 150;  // more than two chunks of 64
  model::Rows<float> p(1, count);
  std::vector<float> u(static_cast<std::size_t>(p.lanes() * model::kLanes<float>));
  fill_uniforms(11, 0, u.data(), count);
  std::vector<int> expected;
  for (int j = 0; j < count; ++j) {
    p(0, j) = static_cast<float>(j % 7) / 6.0f;  // includes 0 (never) and 1 (always)
    if (u[j] < p(0, j)) expected.push_back(j);
  }
  std::vector<int> on(count + data::kIndexSlack);
  on.resize(static_cast<std::size_t>(model::draw_ones<float>(p.row(0), u.data(), count, on.data())));
  BOOST_TEST(on == expected, boost::test_tools::per_element());
}

// Counter-based draws: uniform in [0, 1), a pure function of key and position.
BOOST_AUTO_TEST_CASE(counter_uniforms_are_uniform_and_addressable) {
  std::vector<float> u(100000);
  fill_uniforms(42, 1000, u.data(), static_cast<int>(u.size()));
  double mean = 0.0;
  std::vector<int> decile(10, 0);
  for (float x : u) {
    BOOST_REQUIRE(x >= 0.0f);
    BOOST_REQUIRE(x < 1.0f);
    mean += x / static_cast<double>(u.size());
    ++decile[static_cast<int>(x * 10)];
  }
  BOOST_TEST(mean == 0.5, boost::test_tools::tolerance(0.005));
  for (int d : decile) BOOST_TEST(std::abs(d - 10000) < 500);  // > 5 sigma off would be a bug
  std::vector<float> later(10);
  fill_uniforms(42, 1000 + 50, later.data(), 10);  // position 50 holds draws 100 and 101
  BOOST_TEST(later[0] == u[100]);
  BOOST_TEST(later[1] == u[101]);
  fill_uniforms(43, 1000, later.data(), 10);
  BOOST_TEST(later[0] != u[0]);
}

BOOST_AUTO_TEST_CASE(sum_lanes_adds_every_value_once) {
  model::Rows<double> r(1, 100);
  for (int c = 0; c < 100; ++c) r(0, c) = c + 1;
  BOOST_TEST(model::sum_lanes<double>(r.row(0), r.lanes()) == 5050.0);
}
