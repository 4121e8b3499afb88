// Krotov-Hopfield "biological" learning (PNAS 2019): its schedule, one ranking-rule step of the hidden
// layer and one readout step, each against numbers worked out by hand.
#include <boost/test/unit_test.hpp>

#include "../support/kh_on_matrices.hpp"
#include "khsweep/model/kh_bio.hpp"

using namespace khsweep;
using boost::test_tools::tolerance;

BOOST_AUTO_TEST_CASE(learning_rate_decays_linearly_to_zero_at_S) {
  BOOST_TEST(model::kh_bio_epsilon(0.02, 0, 4) == 0.02, tolerance(1e-15));
  BOOST_TEST(model::kh_bio_epsilon(0.02, 1, 4) == 0.015, tolerance(1e-15));
  BOOST_TEST(model::kh_bio_epsilon(0.02, 3, 4) == 0.005, tolerance(1e-15));
  BOOST_TEST(model::kh_bio_epsilon(0.02, 4, 4) == 0.0);
  BOOST_TEST(model::kh_bio_epsilon(0.02, 9, 4) == 0.0);
}

// Hidden units w0 = (0.5, 0.5, 0), w1 = (0.2, 0.1, 0.3), w2 = (0.6, 0, -0.4); one image x = (1, 1, 0).
// Currents I = (1.0, 0.3, 0.6): w0 wins (g = 1), w2 is ranked second (g = -Delta = -0.5 for l = 1, the
// PNAS k = 2). With R = 1, p = 2:
//   ds0 = x - 1.0 w0 = (0.5, 0.5, 0);  ds2 = -0.5 x + 0.3 w2 = (-0.32, -0.5, -0.12);  ds1 = 0
// max|ds| = 0.5, so with eps = 0.1 each row moves by 0.2 ds.
BOOST_AUTO_TEST_CASE(hidden_layer_step_is_the_published_rule) {
  model::Matrix<double> hidden(3, 3);
  hidden << 0.5, 0.5, 0.0, 0.2, 0.1, 0.3, 0.6, 0.0, -0.4;
  model::Matrix<double> hidden_t = hidden.transpose();
  model::ActiveSets x;
  x.index = {0, 1};
  x.offset = {0, 2};
  model::KhSettings settings;
  settings.delta = 0.5;
  settings.rank = 1;
  settings.power = 2.0;
  settings.radius = 1.0;
  model::KhWorkspace<double> work;
  testing::kh_step_on(hidden, hidden_t, x, 0.1, settings, work);
  model::Matrix<double> expected(3, 3);
  expected << 0.6, 0.6, 0.0, 0.2, 0.1, 0.3, 0.536, -0.1, -0.424;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      BOOST_TEST(hidden(r, c) == expected(r, c), tolerance(1e-12));
      BOOST_TEST(hidden_t(c, r) == expected(r, c), tolerance(1e-12));
    }
}

// synapses_t (pixels x hidden) = [[1, -1], [0.5, 2]]; images (1, 1) and (1, 0) give currents (1.5, 1)
// and (1, -1); divided by the strongest, rectified and squared (n = 2): (1, 4/9) and (1, 0).
BOOST_AUTO_TEST_CASE(features_are_rectified_currents_to_the_power_n) {
  model::Matrix<double> synapses_t(2, 2);
  synapses_t << 1.0, -1.0, 0.5, 2.0;
  const std::uint8_t images[] = {1, 1, 1, 0};
  model::Matrix<double> features;
  model::readout_features(synapses_t, images, 2, 2, 2.0, features);
  BOOST_TEST(features(0, 0) == 1.0, tolerance(1e-15));
  BOOST_TEST(features(0, 1) == 4.0 / 9.0, tolerance(1e-15));
  BOOST_TEST(features(1, 0) == 1.0, tolerance(1e-15));
  BOOST_TEST(features(1, 1) == 0.0);
}

// One feature h = 2, two classes, S = 0, label 0, beta = 0.5, m = 2: c = (0, 0), t = (1, -1), loss 2.
// dL/dz = m |c - t|^(m-1) sign(c - t) beta (1 - c^2) = (-1, 1); gradient = dz h = (-2, 2). Adam's
// first step moves each weight by -lr g / |g| (bias-corrected moments are g and g^2): S = (0.1, -0.1).
BOOST_AUTO_TEST_CASE(readout_step_is_adam_on_the_power_m_loss) {
  model::Matrix<double> readout = model::Matrix<double>::Zero(2, 1);
  model::Matrix<double> features(1, 1);
  features << 2.0;
  const std::uint8_t label[] = {0};
  model::AdamMoments<double> moments;
  model::ReadoutSettings settings;
  settings.loss_power = 2.0;
  settings.beta = 0.5;
  settings.learning_rate = 0.1;
  const double loss = model::readout_step(readout, moments, 1, features, label, settings);
  BOOST_TEST(loss == 2.0, tolerance(1e-15));
  BOOST_TEST(readout(0, 0) == 0.1, tolerance(1e-8));
  BOOST_TEST(readout(1, 0) == -0.1, tolerance(1e-8));
  BOOST_TEST(moments.first(0, 0) == -0.2, tolerance(1e-15));
  BOOST_TEST(moments.second(1, 0) == 0.004, tolerance(1e-12));
}
