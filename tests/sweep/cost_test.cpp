// The cost model reproduces the measurements it was calibrated on, and scales as documented.
#include <boost/test/unit_test.hpp>

#include "khsweep/sweep/cost.hpp"

using khsweep::sweep::estimate_seconds;
using khsweep::sweep::RunParams;

namespace tt = boost::test_tools;

BOOST_AUTO_TEST_CASE(calibration_points) {
  RunParams p;  // M = 100, CD-1, reconstruction, metrics every epoch
  p.config.epochs = 1;
  // 0.8 s training + 1.2 s metrics on 60 000 + 10 000 MNIST images.
  BOOST_TEST(estimate_seconds(p, 60000, 10000) == 2.0, tt::tolerance(1e-9));
  p.config.epochs = 10;
  BOOST_TEST(estimate_seconds(p, 60000, 10000) == 20.0, tt::tolerance(1e-9));
  p.config.metrics_every = 4;  // evaluated after epochs 4, 8 and 10
  BOOST_TEST(estimate_seconds(p, 60000, 10000) == 8.0 + 3 * 1.2, tt::tolerance(1e-9));

  // KH adds 35% to training while eps > 0 (the first S epochs).
  p.config.metrics_every = 10;
  p.config.kh = khsweep::model::KhVariant::top_down;
  p.config.kh_eps0 = 0.01;
  BOOST_TEST(estimate_seconds(p, 60000, 10000) == 8.0 * 1.35 + 1.2, tt::tolerance(1e-9));
  p.config.kh_anneal_epochs = 5;
  BOOST_TEST(estimate_seconds(p, 60000, 10000) == 8.0 + 5 * 0.8 * 0.35 + 1.2, tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(scaling) {
  RunParams p;
  p.config.metrics_every = p.config.epochs;  // training dominates, as in a long run
  const double base = estimate_seconds(p, 2000, 500);
  RunParams bigger = p;
  bigger.config.hidden = 500;
  BOOST_TEST(estimate_seconds(bigger, 2000, 500) == 5 * base, tt::tolerance(1e-9));
  RunParams cd10 = p;
  cd10.config.gibbs_steps = 10;
  BOOST_TEST(estimate_seconds(cd10, 2000, 500) > 4 * base);
  RunParams classify = p;
  classify.config.task = khsweep::train::Task::classification;
  BOOST_TEST(estimate_seconds(classify, 2000, 500) > base);
  RunParams fewer_metrics = p;
  fewer_metrics.config.train_metric_samples = 100;
  BOOST_TEST(estimate_seconds(fewer_metrics, 2000, 500) < base);
}
