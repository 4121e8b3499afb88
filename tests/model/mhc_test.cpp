// The Modern Hopfield classifier's Euler step of Eq. 2 and local rule of Eq. 3, worked out by hand.
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "khsweep/model/mhc.hpp"

using namespace khsweep;
using boost::test_tools::tolerance;

namespace {
// Two feature units, two classes: W = [[0, 0.5], [1, 0]] (features x classes).
model::Matrix<double> two_by_two() {
  model::Matrix<double> W(2, 2);
  W << 0.0, 0.5, 1.0, 0.0;
  return W;
}
model::MhcSettings one_step() {
  model::MhcSettings s;
  s.beta = 1.0;
  s.learning_rate = 0.5;
  s.steps = 1;
  s.dt = 0.1;
  return s;
}
}  // namespace

BOOST_AUTO_TEST_CASE(softmax_is_stable_and_sums_to_one) {
  model::Vector<double> h(3), f;
  h << 1000.0, 1000.0, 0.0;
  model::mhc_softmax(h, 2.0, f);
  BOOST_TEST(f(0) == 0.5, tolerance(1e-15));
  BOOST_TEST(f(1) == 0.5, tolerance(1e-15));
  BOOST_TEST(f(2) == 0.0);
}

// v = (1, -1) clamped, label 0, h = (0, 0): f = (0.5, 0.5), t - f = (0.5, -0.5), W^T v = (-1, 0.5).
// dW_ij = dt eta v_i (t_j - f_j) e^|W_ij| with dt eta = 0.05:
//   W00 += 0.025 e^0,  W01 -= 0.025 e^0.5,  W10 -= 0.025 e^1,  W11 += 0.025 e^0
// h += dt (W^T v - h) = (-0.1, 0.05), from the weights before the step.
BOOST_AUTO_TEST_CASE(training_step_is_eq_3_with_eq_2) {
  model::Matrix<double> W = two_by_two();
  const double v[] = {1.0, -1.0};
  model::Vector<double> h = model::Vector<double>::Zero(2);
  model::mhc_train_sample(W, v, 0, h, one_step());
  BOOST_TEST(W(0, 0) == 0.025, tolerance(1e-14));
  BOOST_TEST(W(0, 1) == 0.5 - 0.025 * std::exp(0.5), tolerance(1e-14));
  BOOST_TEST(W(1, 0) == 1.0 - 0.025 * std::exp(1.0), tolerance(1e-14));
  BOOST_TEST(W(1, 1) == 0.025, tolerance(1e-14));
  BOOST_TEST(h(0) == -0.1, tolerance(1e-14));
  BOOST_TEST(h(1) == 0.05, tolerance(1e-14));
}

// Inference lets v evolve too: one step from v = (1, -1), h = (0, 0) gives h = 0.1 W^T v = (-0.1, 0.05),
// so class 1 is the most active; after many steps the class whose weights match v wins.
BOOST_AUTO_TEST_CASE(classification_takes_the_most_active_hidden_unit) {
  const model::Matrix<double> W = two_by_two();
  const double v[] = {1.0, -1.0};
  BOOST_TEST(model::mhc_classify(W, v, model::Vector<double>::Zero(2), one_step()) == 1);
  const double like_class_0[] = {0.0, 1.0};  // W^T v = (1, 0)
  model::MhcSettings settle = one_step();
  settle.steps = 100;
  BOOST_TEST(model::mhc_classify(W, like_class_0, model::Vector<double>::Zero(2), settle) == 0);
}
