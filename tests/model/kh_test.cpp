// The Krotov-Hopfield step (docs/algorithms.md section 5) on hand-worked examples, its schedule, and its fixed point.
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "../support/kh_on_matrices.hpp"
#include "khsweep/model/kh.hpp"

using namespace khsweep;
using boost::test_tools::tolerance;
using testing::kh_step_on;

namespace {

// Three postsynaptic units with fan-in 2: w0 = (0.5, -0.2), w1 = (0.1, 0.4), w2 = (-0.3, 0.2).
model::Matrix<double> three_units() {
  model::Matrix<double> w(3, 2);
  w << 0.5, -0.2, 0.1, 0.4, -0.3, 0.2;
  return w;
}

// A batch of two presynaptic patterns: x0 = (1, 1), x1 = (0, 1).
model::ActiveSets two_patterns() {
  model::ActiveSets x;
  x.index = {0, 1, 1};
  x.offset = {0, 2, 3};
  return x;
}

void check_rows(const model::Matrix<double>& got, const model::Matrix<double>& expected) {
  for (int r = 0; r < expected.rows(); ++r)
    for (int c = 0; c < expected.cols(); ++c) BOOST_TEST(got(r, c) == expected(r, c), tolerance(1e-12));
}

}  // namespace

// p = 2, R = 2, Delta = 0.5, l = 1, eps = 0.1. Worked by hand:
//   sample 0, x = (1,1): I = (0.3, 0.5, -0.1) -> g1 = 1, g0 = -0.5
//   sample 1, x = (0,1): I = (-0.2, 0.4, 0.2) -> g1 = 1, g2 = -0.5
//   ds1 = R^2 (x0 + x1) - (0.5 + 0.4) w1        = (4, 8) - 0.9 (0.1, 0.4)   = (3.91, 7.64)
//   ds0 = -0.5 R^2 x0 - (-0.5 * 0.3) w0         = (-2, -2) + 0.15 (0.5, -0.2) = (-1.925, -2.03)
//   ds2 = -0.5 R^2 x1 - (-0.5 * 0.2) w2         = (0, -2) + 0.1 (-0.3, 0.2)  = (-0.03, -1.98)
//   max |ds| = 7.64
BOOST_AUTO_TEST_CASE(top_down_step_p2_matches_hand_computation) {
  model::Matrix<double> w = three_units();
  model::Matrix<double> wt = w.transpose();
  model::KhSettings s{0.5, 1, 2.0, 2.0};
  model::KhWorkspace<double> work;
  const auto& touched = kh_step_on(w, wt, two_patterns(), 0.1, s, work);
  BOOST_TEST(touched.size() == 3u);
  model::Matrix<double> ds(3, 2);
  ds << -1.925, -2.03, 3.91, 7.64, -0.03, -1.98;
  const model::Matrix<double> expected = three_units() + 0.1 * ds / 7.64;
  check_rows(w, expected);
  check_rows(wt, expected.transpose());
}

// p = 3, R = 1: the currents use sign(w)|w|^2, i.e. rows (0.25, -0.04), (0.01, 0.16), (-0.09, 0.04).
//   sample 0: I = (0.21, 0.17, -0.05) -> g0 = 1, g1 = -0.5
//   sample 1: I = (-0.04, 0.16, 0.04) -> g1 = 1, g2 = -0.5
//   ds0 = x0 - 0.21 w0                        = (0.895, 1.042)
//   ds1 = -0.5 x0 + x1 - (-0.085 + 0.16) w1   = (-0.5, 0.5) - 0.075 (0.1, 0.4) = (-0.5075, 0.47)
//   ds2 = -0.5 x1 - (-0.5 * 0.04) w2          = (0, -0.5) + 0.02 (-0.3, 0.2)   = (-0.006, -0.496)
//   max |ds| = 1.042
BOOST_AUTO_TEST_CASE(step_p3_matches_hand_computation) {
  model::Matrix<double> w = three_units();
  model::Matrix<double> wt = w.transpose();
  model::KhSettings s{0.5, 1, 3.0, 1.0};
  model::KhWorkspace<double> work;
  kh_step_on(w, wt, two_patterns(), 0.1, s, work);
  model::Matrix<double> ds(3, 2);
  ds << 0.895, 1.042, -0.5075, 0.47, -0.006, -0.496;
  check_rows(w, three_units() + 0.1 * ds / 1.042);
}

// Bottom-up: the competing units are the hidden units, whose weight vectors are W's columns. The
// trainer passes (Wt, W); the same hand-worked numbers must then appear in W's columns.
BOOST_AUTO_TEST_CASE(bottom_up_orientation_updates_columns_of_w) {
  model::Matrix<double> W = three_units().transpose();  // 2 visible x 3 hidden
  model::Matrix<double> Wt = three_units();
  model::KhSettings s{0.5, 1, 2.0, 2.0};
  model::KhWorkspace<double> work;
  kh_step_on(Wt, W, two_patterns(), 0.1, s, work);
  model::Matrix<double> ds(3, 2);
  ds << -1.925, -2.03, 3.91, 7.64, -0.03, -1.98;
  const model::Matrix<double> expected = three_units() + 0.1 * ds / 7.64;
  check_rows(W, expected.transpose());
  check_rows(Wt, expected);
}

BOOST_AUTO_TEST_CASE(rank_l_selects_the_l_plus_first_unit) {
  // Currents for x = (1, 1) with l = 2: (0.3, 0.5, -0.1) -> winner 1, third-ranked unit 2.
  model::Matrix<double> w = three_units();
  model::Matrix<double> wt = w.transpose();
  model::ActiveSets x;
  x.index = {0, 1};
  x.offset = {0, 2};
  model::KhWorkspace<double> work;
  const auto& touched = kh_step_on(w, wt, x, 0.1, model::KhSettings{0.5, 2, 2.0, 1.0}, work);
  BOOST_TEST((touched == std::vector<int>{1, 2}));
  BOOST_TEST((w.row(0) == three_units().row(0)));  // the second-ranked unit is left alone
}

// Equal currents rank the lower unit higher: with three identical units the winner is unit 0 and
// the pushed-away unit is unit 1; unit 2 is left alone. (Also the case where the runner-up's
// current equals the winner's, which the vectorised top-two search must find by index.)
BOOST_AUTO_TEST_CASE(ties_rank_the_lower_unit_first) {
  model::Matrix<double> w(3, 2);
  w << 0.2, 0.1, 0.2, 0.1, 0.2, 0.1;
  model::Matrix<double> wt = w.transpose();
  model::KhWorkspace<double> work;
  const auto& touched = kh_step_on(w, wt, two_patterns(), 0.1, model::KhSettings{0.5, 1, 2.0, 1.0}, work);
  BOOST_TEST((touched == std::vector<int>{0, 1}));
  BOOST_TEST(w(2, 0) == 0.2);
  BOOST_TEST(w(2, 1) == 0.1);
  BOOST_TEST(w(0, 0) > 0.2);  // the winner moves towards the patterns
}

BOOST_AUTO_TEST_CASE(zero_epsilon_changes_nothing) {
  model::Matrix<double> w = three_units();
  model::Matrix<double> wt = w.transpose();
  model::KhWorkspace<double> work;
  BOOST_TEST(kh_step_on(w, wt, two_patterns(), 0.0, model::KhSettings{}, work).empty());
  BOOST_TEST((w == three_units()));
}

BOOST_AUTO_TEST_CASE(schedule_anneals_with_power_three_halves_and_stops_at_s) {
  BOOST_TEST(model::kh_epsilon(0.02, 0, 4) == 0.02, tolerance(1e-15));
  BOOST_TEST(model::kh_epsilon(0.02, 1, 4) == 0.02 * std::pow(0.75, 1.5), tolerance(1e-15));
  BOOST_TEST(model::kh_epsilon(0.02, 2, 4) == 0.02 * std::pow(0.5, 1.5), tolerance(1e-15));
  BOOST_TEST(model::kh_epsilon(0.02, 3, 4) == 0.0025, tolerance(1e-15));
  BOOST_TEST(model::kh_epsilon(0.02, 4, 4) == 0.0);
  BOOST_TEST(model::kh_epsilon(0.02, 7, 4) == 0.0);
  // S is independent of the run length: S = 50 within a 500-epoch run is off from epoch 50 on.
  BOOST_TEST(model::kh_epsilon(0.01, 49, 50) > 0.0);
  BOOST_TEST(model::kh_epsilon(0.01, 50, 50) == 0.0);
}

// A unit that always wins converges to the sphere sum |w|^p = R^p: R^p <f(w), x> = I ||w||_p^p at the
// fixed point. The step is normalised to eps, so eps is shrunk to let it settle.
BOOST_AUTO_TEST_CASE(always_winning_unit_is_driven_to_norm_r) {
  for (double p : {2.0, 3.0}) {
    const double radius = 0.7;
    model::Matrix<double> w(1, 4);
    w << 0.05, -0.02, 0.01, 0.03;
    model::Matrix<double> wt = w.transpose();
    model::ActiveSets x;  // two patterns, alternating in the batch
    x.index = {0, 1, 2, 1, 3};
    x.offset = {0, 3, 5};
    model::KhWorkspace<double> work;
    double eps = 0.05;
    for (int step = 0; step < 3000; ++step, eps *= 0.997) kh_step_on(w, wt, x, eps, model::KhSettings{0.4, 1, p, radius}, work);
    double norm_p = 0.0;
    for (int i = 0; i < 4; ++i) norm_p += std::pow(std::abs(w(0, i)), p);
    BOOST_TEST_INFO("p = " << p);
    BOOST_TEST(std::pow(norm_p, 1.0 / p) == radius, tolerance(1e-3));
  }
}
