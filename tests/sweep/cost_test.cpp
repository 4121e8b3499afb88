// The cost model reproduces the measurements it was calibrated on, and scales as documented.
#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include <optional>

#include "../support/env_var.hpp"
#include "../support/scratch.hpp"
#include "khsweep/sweep/cost.hpp"

using khsweep::sweep::estimate_seconds;
using khsweep::train::RunParams;

using khsweep::testing::contains;
using khsweep::testing::expect_line;

namespace tt = boost::test_tools;

// The bench figures the model was fitted on (one Zen 5 core, float, 60 000 + 10 000 MNIST images;
// docs/sweep-files.md): each within 10% of what the model says.
BOOST_AUTO_TEST_CASE(calibration_points) {
  using khsweep::model::KhVariant;
  using khsweep::train::Task;
  struct Point {
    Task task;
    KhVariant kh;
    int hidden, k;
    double train_seconds, metric_seconds;  // measured per epoch by `khsweep bench`
  };
  const Point measured[] = {
      {Task::reconstruction, KhVariant::none, 100, 1, 0.313, 0.268},
      {Task::reconstruction, KhVariant::top_down, 100, 1, 0.486, 0.262},
      {Task::reconstruction, KhVariant::bottom_up, 100, 1, 0.394, 0.286},
      {Task::reconstruction, KhVariant::none, 100, 10, 1.817, 0.244},
      {Task::reconstruction, KhVariant::none, 500, 1, 0.987, 0.771},
      {Task::reconstruction, KhVariant::top_down, 500, 1, 1.425, 0.797},
      {Task::reconstruction, KhVariant::bottom_up, 500, 10, 4.826, 0.635},
      {Task::reconstruction, KhVariant::none, 500, 10, 4.510, 0.621},
      {Task::classification, KhVariant::none, 100, 1, 0.337, 0.344},
      {Task::classification, KhVariant::none, 500, 1, 0.971, 1.124},
      {Task::classification, KhVariant::top_down, 500, 10, 4.958, 0.952},
  };
  for (const Point& m : measured) {
    RunParams p;  // one epoch, evaluated
    p.config.task = m.task;
    p.config.kh = m.kh;
    p.config.kh_eps0 = m.kh == KhVariant::none ? 0.0 : 0.01;
    p.config.hidden = m.hidden;
    p.config.gibbs_steps = m.k;
    p.config.epochs = 1;
    BOOST_TEST_CONTEXT(khsweep::train::to_string(m.task) << " " << khsweep::train::to_string(m.kh) << " M=" << m.hidden
                                                         << " k=" << m.k) {
      BOOST_TEST(estimate_seconds(p, 60000, 10000) == m.train_seconds + m.metric_seconds, tt::tolerance(0.10));
    }
  }
}

// Epochs, evaluations and the epochs KH is on add up as documented.
BOOST_AUTO_TEST_CASE(epochs_evaluations_and_kh_epochs_add_up) {
  RunParams p;  // M = 100, CD-1, reconstruction
  const auto epoch = [](const RunParams& q, bool kh_on) {
    return khsweep::sweep::estimate_rbm_epoch(q.config, 60000, 10000, kh_on);
  };
  const auto plain = epoch(p, false);
  p.config.epochs = 10;
  BOOST_TEST(estimate_seconds(p, 60000, 10000) == 10 * (plain.training + plain.evaluation), tt::tolerance(1e-9));
  p.config.metrics_every = 4;  // evaluated after epochs 4, 8 and 10
  BOOST_TEST(estimate_seconds(p, 60000, 10000) == 10 * plain.training + 3 * plain.evaluation, tt::tolerance(1e-9));

  p.config.metrics_every = 10;
  p.config.kh = khsweep::model::KhVariant::top_down;
  p.config.kh_eps0 = 0.01;
  const auto kh = epoch(p, true);
  BOOST_TEST(kh.training > plain.training);
  BOOST_TEST(estimate_seconds(p, 60000, 10000) == 10 * kh.training + plain.evaluation, tt::tolerance(1e-9));
  p.config.kh_anneal_epochs = 5;  // KH is off from epoch S on: eps is 0
  BOOST_TEST(estimate_seconds(p, 60000, 10000) == 5 * kh.training + 5 * plain.training + plain.evaluation,
             tt::tolerance(1e-9));
}

// `khsweep bench` costs the paper's grids from its measured epochs through the same accounting:
// a run is its epochs with KH on and off plus its evaluations, and nothing when a figure is missing.
BOOST_AUTO_TEST_CASE(runs_costed_from_measured_epochs) {
  RunParams p;
  p.config.epochs = 10;
  p.config.metrics_every = 5;  // evaluated after epochs 5 and 10
  p.config.kh = khsweep::model::KhVariant::bottom_up;
  p.config.kh_eps0 = 0.01;
  p.config.kh_anneal_epochs = 4;
  const khsweep::sweep::RbmEpochCost measured = [](const khsweep::train::RunConfig&, std::size_t, std::size_t,
                                                   bool kh_on) {
    return std::optional<khsweep::sweep::EpochSeconds>({kh_on ? 3.0 : 2.0, 0.5});
  };
  const auto seconds = khsweep::sweep::rbm_run_seconds(p.config, 60000, 10000, measured);
  BOOST_TEST(seconds.has_value());
  BOOST_TEST(*seconds == 4 * 3.0 + 6 * 2.0 + 2 * 0.5, tt::tolerance(1e-12));
  const khsweep::sweep::RbmEpochCost no_kh_figure = [](const khsweep::train::RunConfig&, std::size_t, std::size_t,
                                                       bool kh_on) -> std::optional<khsweep::sweep::EpochSeconds> {
    if (kh_on) return std::nullopt;
    return khsweep::sweep::EpochSeconds{2.0, 0.5};
  };
  BOOST_TEST(!khsweep::sweep::rbm_run_seconds(p.config, 60000, 10000, no_kh_figure).has_value());
  p.config.kh = khsweep::model::KhVariant::none;  // a baseline never asks for a KH epoch
  p.config.kh_eps0 = 0.0;
  BOOST_TEST(*khsweep::sweep::rbm_run_seconds(p.config, 60000, 10000, no_kh_figure) == 10 * 2.0 + 2 * 0.5,
             tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(scaling) {
  RunParams p;
  p.config.metrics_every = p.config.epochs;  // training dominates, as in a long run
  const double base = estimate_seconds(p, 2000, 500);
  BOOST_TEST(estimate_seconds(p, 4000, 1000) == 2 * base, tt::tolerance(1e-9));  // linear in the images
  RunParams bigger = p;
  bigger.config.hidden = 500;
  BOOST_TEST(estimate_seconds(bigger, 2000, 500) > 2 * base);
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

namespace {

using khsweep::sweep::DataShape;

// A run on an MNIST subset, as `khsweep train --data mnist --train_subset N --validation_subset V`.
RunParams mnist_run(int hidden, std::size_t train, std::size_t validation) {
  RunParams p;
  p.config.hidden = hidden;
  p.config.epochs = 1;
  p.data.train_subset = train;
  p.data.validation_subset = validation;
  return p;
}

// The estimate of the run and its data, in MiB.
double estimate_mib(const RunParams& p) {
  const DataShape shape{p.data.train_subset, p.data.validation_subset};
  return (khsweep::sweep::estimate_bytes(p, shape) + khsweep::sweep::data_bytes(shape)) / (1 << 20);
}

}  // namespace

BOOST_AUTO_TEST_CASE(memory_grows_with_hidden_batch_and_precision) {
  const DataShape mnist{60000, 10000};
  using khsweep::sweep::estimate_bytes;
  RunParams p;
  const double base = estimate_bytes(p, mnist);
  RunParams wide = p;
  wide.config.hidden = 10000;
  // About 28 bytes per weight in float: the published W, the working W and W^T, the result's double W
  // and the receptive-field overlap's unit vectors.
  BOOST_TEST(estimate_bytes(wide, mnist) - base == 28.0 * 784 * (10000 - 100), tt::tolerance(0.10));
  RunParams batch = p;
  batch.config.batch_size = 10000;
  BOOST_TEST(estimate_bytes(batch, mnist) > base + 3.0 * 4 * 100 * (10000 - 100));  // three B x M buffers at least
  RunParams pcd = batch;
  pcd.config.persistent = true;
  BOOST_TEST(estimate_bytes(pcd, mnist) == estimate_bytes(batch, mnist) + 4.0 * 10000 * 100, tt::tolerance(1e-9));
  RunParams f64 = wide;
  f64.config.precision = khsweep::train::Precision::f64;
  BOOST_TEST(estimate_bytes(f64, mnist) > estimate_bytes(wide, mnist) + 3.0 * 4 * 784 * 10000);
  RunParams long_run = p;
  long_run.config.epochs = 1000000;
  BOOST_TEST(estimate_bytes(long_run, mnist) > base + 100e6);  // two curve records per epoch
  // The data is counted apart: the binarised sets and the file's bytes while loading.
  BOOST_TEST(khsweep::sweep::data_bytes(mnist) == 2.0 * 70000 * 785, tt::tolerance(1e-12));
}

// Peak RSS of `khsweep train` (/usr/bin/time -v, Linux, AVX-512 build) on MNIST subsets, against the
// estimate of the run plus its data: the estimate must stay within 10% of what was measured (but
// for one KH-bio run it over-counts).
BOOST_AUTO_TEST_CASE(memory_close_to_measured_peaks) {
  RunParams h5000 = mnist_run(5000, 1000, 500);
  BOOST_TEST(estimate_mib(h5000) == 126.0, tt::tolerance(0.10));
  BOOST_TEST(estimate_mib(mnist_run(10000, 500, 200)) == 238.0, tt::tolerance(0.10));
  RunParams batch = mnist_run(2000, 10000, 200);
  batch.config.batch_size = 10000;
  BOOST_TEST(estimate_mib(batch) == 369.0, tt::tolerance(0.10));
  RunParams pcd = batch;
  pcd.config.persistent = true;
  BOOST_TEST(estimate_mib(pcd) == 448.0, tt::tolerance(0.10));
  RunParams f64 = mnist_run(5000, 500, 200);
  f64.config.precision = khsweep::train::Precision::f64;
  BOOST_TEST(estimate_mib(f64) == 176.0, tt::tolerance(0.10));
  RunParams classify = mnist_run(5000, 500, 200);
  classify.config.task = khsweep::train::Task::classification;
  BOOST_TEST(estimate_mib(classify) == 127.0, tt::tolerance(0.10));
  RunParams top_down = mnist_run(5000, 2000, 200);
  top_down.config.kh = khsweep::model::KhVariant::top_down;
  top_down.config.kh_eps0 = 0.01;
  top_down.config.batch_size = 1000;
  BOOST_TEST(estimate_mib(top_down) == 231.0, tt::tolerance(0.10));
  RunParams bottom_up = top_down;
  bottom_up.config.kh = khsweep::model::KhVariant::bottom_up;
  bottom_up.config.kh_power = 3;
  BOOST_TEST(estimate_mib(bottom_up) == 218.0, tt::tolerance(0.10));
  RunParams kh_bio = mnist_run(10000, 1000, 200);
  kh_bio.config.model = khsweep::train::Model::kh_bio;
  kh_bio.config.kh_eps0 = 0.02;
  kh_bio.config.readout_epochs = 1;
  BOOST_TEST(estimate_mib(kh_bio) == 165.0, tt::tolerance(0.10));
  kh_bio.config.kh_power = 3;  // the PNAS paper's p: one more copy of the synapses
  BOOST_TEST(estimate_mib(kh_bio) == 195.0, tt::tolerance(0.10));
  RunParams kh_bio_batch = mnist_run(5000, 2000, 200);
  kh_bio_batch.config = kh_bio.config;
  kh_bio_batch.config.hidden = 5000;
  kh_bio_batch.config.kh_power = 2;
  kh_bio_batch.config.batch_size = 1000;
  // Over-counted (readout features on top of the unsupervised copies): an estimate on the safe side.
  BOOST_TEST(estimate_mib(kh_bio_batch) == 91.0, tt::tolerance(0.25));
}

BOOST_AUTO_TEST_CASE(memory_limit_and_refusal) {
  using khsweep::sweep::check_fits_in_memory;
  using khsweep::sweep::memory_limit;
  {
    khsweep::testing::ScopedEnv unset("KHSWEEP_MEMORY", std::nullopt);
    const auto physical = memory_limit();
    // The machine's memory (the page count times the page size), or less if a cgroup says so.
    BOOST_TEST((physical.source != khsweep::sweep::MemoryLimit::Source::environment));
    BOOST_TEST(physical.bytes > 64.0 * (1 << 20));
    BOOST_TEST(physical.bytes <= static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
    BOOST_TEST((contains(physical.describe(), "this machine's ") ||
                contains(physical.describe(), " this process's memory cgroup allows")), physical.describe());
  }
  {
    khsweep::testing::ScopedEnv cap("KHSWEEP_MEMORY", "8G");
    BOOST_TEST(memory_limit().bytes == 8.0 * (1ull << 30));
    BOOST_TEST(memory_limit().describe() == "the 8.0 GiB KHSWEEP_MEMORY allows");
  }
  {
    khsweep::testing::ScopedEnv cap("KHSWEEP_MEMORY", "1048576");
    BOOST_TEST(memory_limit().bytes == 1048576.0);
  }
  {
    khsweep::testing::ScopedEnv bad("KHSWEEP_MEMORY", "lots");
    expect_line(khsweep::testing::error_of([] { (void)memory_limit(); }),
                {"KHSWEEP_MEMORY: expected a size in bytes", "got 'lots'"});
  }
  khsweep::testing::ScopedEnv cap("KHSWEEP_MEMORY", "1G");
  const DataShape mnist{60000, 10000};
  RunParams p;
  check_fits_in_memory("run.yaml", p, mnist);  // about 13 MiB plus the data: fits
  p.config.hidden = 50000;                       // about 1.1 GiB of weights
  expect_line(khsweep::testing::error_of([&] { check_fits_in_memory("run.yaml", p, mnist); }),
              {"run.yaml: needs about 1.", "GiB of memory (", "for the run, ", "MiB for its data), more than the 1.0 GiB "
               "KHSWEEP_MEMORY allows; lower hidden (now 50000)"});
  // A node's ranks each hold a run: 100 runs of about 13 MiB do not fit in 1 GiB, one does.
  p.config.hidden = 100;
  check_fits_in_memory("run.yaml", p, mnist, 1);
  expect_line(khsweep::testing::error_of([&] { check_fits_in_memory("run.yaml", p, mnist, 100); }),
              {"run.yaml: needs about 1.", "GiB of memory (100 ranks on one node x ", "MiB for a run like it, ",
               "MiB for its data), more than the 1.0 GiB KHSWEEP_MEMORY allows; lower ",
               ", or start fewer ranks per node"});
  p.config.hidden = 1000;
  p.config.batch_size = 100000;  // the minibatch buffers dominate
  expect_line(khsweep::testing::error_of([&] { check_fits_in_memory("run.yaml", p, mnist); }),
              {"run.yaml: needs about", "lower batch_size (now 100000)"});
}
