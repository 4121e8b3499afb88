// Metrics against values derived by hand or by an independent code path.
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "../support/tiny_models.hpp"
#include "khsweep/model/math.hpp"
#include "khsweep/train/metrics.hpp"

using namespace khsweep;
using boost::test_tools::tolerance;

namespace {
model::Params<double> flat_params(model::Layout layout, double visible_bias) {
  model::Params<double> p;
  p.layout = layout;
  p.W = model::Matrix<double>::Zero(layout.visible(), layout.hidden);
  p.a = model::Vector<double>::Constant(layout.visible(), visible_bias);
  p.b = model::Vector<double>::Zero(layout.hidden);
  return p;
}
}  // namespace

// With W = 0 and a = 40, every reconstructed pixel is 1 (sigmoid(40) rounds to 1 in double's
// uniform), so the MSE is the fraction of off pixels, and the cross entropy is softplus(40) - 40 v.
BOOST_AUTO_TEST_CASE(reconstruction_error_of_a_saturated_model) {
  const auto d = testing::bars_and_stripes(3, 1);
  const auto p = flat_params({9, 0, 4}, 40.0);
  double on = 0;
  for (auto bit : d.bits) on += bit;
  const double off_fraction = 1.0 - on / static_cast<double>(d.bits.size());
  Rng rng(1);
  const auto m = train::evaluate(p, d, 0, rng);
  BOOST_TEST(m.mse == off_fraction, tolerance(1e-12));
  BOOST_TEST(m.cross_entropy == model::softplus(40.0) - 40.0 * (1.0 - off_fraction), tolerance(1e-12));
  BOOST_TEST(std::isnan(m.accuracy));  // a plain RBM has no labels to predict
}

// With W = 0, F(v) = -a.v - M log 2, so flipping an on pixel costs a: PLL = N log sigmoid(a) per image
// when every pixel is on, whichever pixel is drawn.
BOOST_AUTO_TEST_CASE(pseudo_log_likelihood_of_an_independent_model) {
  data::Dataset all_on;
  all_on.count = 3;
  all_on.dim = 5;
  all_on.bits.assign(15, 1);
  all_on.labels.assign(3, 0);
  const auto p = flat_params({5, 0, 3}, 0.7);
  Rng rng(2);
  BOOST_TEST(train::evaluate(p, all_on, 0, rng).pseudo_log_likelihood == 5 * model::log_sigmoid(0.7), tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(accuracy_agrees_with_exact_label_probabilities) {
  const auto d = testing::bars_and_stripes(3, 1);
  Rng init(3);
  const auto p = model::init_params<double>({9, 2, 5}, model::Init::std_normal, init);
  std::size_t correct = 0;
  for (std::size_t s = 0; s < d.count; ++s) {
    double log_p[2];
    model::label_log_probabilities(p, d.row(s), log_p);
    correct += (log_p[1] > log_p[0] ? 1 : 0) == d.labels[s];
  }
  Rng rng(4);
  BOOST_TEST(train::evaluate(p, d, 0, rng).accuracy == static_cast<double>(correct) / static_cast<double>(d.count));
}

BOOST_AUTO_TEST_CASE(limit_evaluates_only_the_first_samples) {
  const auto d = testing::bars_and_stripes(3, 1);
  const auto p = flat_params({9, 0, 2}, 40.0);
  Rng rng(5);
  // The first bars pattern (mask 1) has one row on: 3 of 9 pixels, so 6/9 reconstruct wrongly.
  BOOST_TEST(train::evaluate(p, d, 1, rng).mse == 6.0 / 9.0, tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(receptive_field_overlap_is_mean_best_cosine) {
  model::Params<double> p = flat_params({3, 0, 3}, 0.0);
  p.W << 1, 2, 0,  //
      0, 0, 1,     //
      0, 0, 0;
  // Units 0 and 1 point the same way (cosine 1); unit 2 is orthogonal to both (best cosine 0).
  BOOST_TEST(train::receptive_field_overlap(p) == 2.0 / 3.0, tolerance(1e-12));
}
