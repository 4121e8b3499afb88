// A stopped sweep checkpoints its runs at a minibatch inside an epoch (Ctrl-C costs at most one
// minibatch): a run paused there, checkpointed, and resumed by a new learner from the file ends with
// the same bits as an uninterrupted run, weights and every curve value, for every model kind, KH
// mode and precision; so does a run that pauses and goes on in the same learner.
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <memory>
#include <string>

#include "../support/scratch.hpp"
#include "../support/tiny_models.hpp"
#include "khsweep/train/checkpoint.hpp"
#include "khsweep/train/learner.hpp"

using namespace khsweep;

namespace {

const data::Dataset& bas() {
  static const data::Dataset d = testing::bars_and_stripes(3, 10);  // 12 patterns x 10: 12 batches of 10
  return d;
}

// Where a run pauses: after `batch` minibatches (samples for the MHC) of the epoch that follows
// `epoch` completed ones.
struct Place {
  int epoch;
  int batch;
};

// Trains a learner to its end; pauses once at `place` when given.
void train_to_end(train::Learner& learner, const Place* place) {
  bool paused = false;
  const train::BatchObserver pause_once = [&](int done, int) {
    return !paused && place && learner.epochs_done() == place->epoch && done == place->batch;
  };
  while (!learner.done()) {
    if (learner.run_epoch(pause_once) == nullptr) {
      BOOST_TEST(!paused);
      paused = true;
    }
  }
  BOOST_TEST(paused == (place != nullptr));
}

template <class T>
bool same_bits(const T& x, const T& y) {
  return std::memcmp(&x, &y, sizeof(T)) == 0;
}

template <class Scalar, int Rows, int Cols, int Options, int MaxRows, int MaxCols>
bool same_bits(const Eigen::Matrix<Scalar, Rows, Cols, Options, MaxRows, MaxCols>& x,
               const Eigen::Matrix<Scalar, Rows, Cols, Options, MaxRows, MaxCols>& y) {
  return x.rows() == y.rows() && x.cols() == y.cols() &&
         (x.size() == 0 || std::memcmp(x.data(), y.data(), sizeof(Scalar) * static_cast<std::size_t>(x.size())) == 0);
}

// The results agree bit for bit in everything but wall times.
void check_same(const train::RunResult& x, const train::RunResult& y) {
  BOOST_TEST((x.status == y.status));
  BOOST_TEST(x.reason == y.reason);
  BOOST_TEST(same_bits(x.params.W, y.params.W));
  BOOST_TEST(same_bits(x.params.a, y.params.a));
  BOOST_TEST(same_bits(x.params.b, y.params.b));
  BOOST_TEST(same_bits(x.receptive_field_overlap, y.receptive_field_overlap));
  BOOST_TEST_REQUIRE(x.curves.size() == y.curves.size());
  for (std::size_t e = 0; e < x.curves.size(); ++e) {
    BOOST_TEST_CONTEXT("epoch " << e) {
      const auto& a = x.curves[e];
      const auto& b = y.curves[e];
      BOOST_TEST(a.epoch == b.epoch);
      BOOST_TEST(same_bits(a.kh_epsilon, b.kh_epsilon));
      BOOST_TEST(a.evaluated == b.evaluated);
      BOOST_TEST(same_bits(a.train, b.train));
      BOOST_TEST(same_bits(a.validation, b.validation));
    }
  }
}

template <class Real>
void check_saved_place(const std::filesystem::path& file, const Place& place) {
  std::string problem;
  const auto state = train::load_checkpoint<Real>(file, "run-a", &problem);
  BOOST_TEST_REQUIRE(state.has_value(), problem);
  BOOST_TEST(state->epoch == place.epoch);
  BOOST_TEST(state->batch == place.batch);
  BOOST_TEST(state->curves.size() == static_cast<std::size_t>(place.epoch));
}

// Uninterrupted; paused at `place` and going on in the same learner; paused at `place`, checkpointed,
// dropped (the job is killed) and resumed by a new learner: all three end with the same bits.
void check_pause_is_bitwise(const train::RunConfig& c, const Place& place) {
  const auto uninterrupted = train::make_learner(c, bas(), bas());
  train_to_end(*uninterrupted, nullptr);
  const train::RunResult expected = uninterrupted->result();
  BOOST_TEST_REQUIRE(expected.curves.size() == static_cast<std::size_t>(c.total_epochs()));

  const auto continued = train::make_learner(c, bas(), bas());
  train_to_end(*continued, &place);
  BOOST_TEST_CONTEXT("paused and continued") { check_same(expected, continued->result()); }

  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  {
    const auto killed = train::make_learner(c, bas(), bas());
    bool paused = false;
    const train::BatchObserver pause = [&](int done, int) {
      return killed->epochs_done() == place.epoch && done == place.batch;
    };
    while (!paused) paused = killed->run_epoch(pause) == nullptr;
    killed->save_checkpoint(file, "run-a");
  }
  if (c.weights_precision() == train::Precision::f32)
    check_saved_place<float>(file, place);
  else
    check_saved_place<double>(file, place);
  const auto resumed = train::make_learner(c, bas(), bas());
  std::string problem;
  BOOST_TEST_REQUIRE(resumed->resume(file, "run-a", &problem), problem);
  BOOST_TEST(resumed->epochs_done() == place.epoch);
  train_to_end(*resumed, nullptr);
  BOOST_TEST_CONTEXT("checkpointed and resumed") { check_same(expected, resumed->result()); }
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_rbm_paused_mid_epoch_resumes_bitwise) {
  for (auto precision : {train::Precision::f32, train::Precision::f64}) {
    for (const auto& rule : testing::rbm_rules()) {
      // Inside an epoch without metrics; and after the last batch of one whose metrics are due.
      for (const Place place : {Place{4, 7}, Place{3, 12}}) {
        BOOST_TEST_CONTEXT(rule.name << ", " << train::to_string(precision) << ", epoch " << place.epoch
                                     << " batch " << place.batch) {
          check_pause_is_bitwise(testing::with_rule(testing::tiny_rbm_config(precision, 8, 2), rule), place);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(kh_bio_paused_mid_epoch_resumes_bitwise) {
  for (auto precision : {train::Precision::f32, train::Precision::f64}) {
    // An unsupervised epoch, and a readout epoch (whose Adam moments are part of the state).
    for (const Place place : {Place{1, 5}, Place{4, 3}}) {
      BOOST_TEST_CONTEXT(train::to_string(precision) << ", epoch " << place.epoch << " batch " << place.batch) {
        train::RunConfig c;
        c.model = train::Model::kh_bio;
        c.precision = precision;
        c.hidden = 6;
        c.batch_size = 10;
        c.epochs = 3;
        c.readout_epochs = 3;
        c.kh_eps0 = 0.1;
        c.kh_rank = 1;
        c.kh_power = 3.0;
        check_pause_is_bitwise(c, place);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(mhc_paused_mid_epoch_resumes_bitwise) {
  train::RunConfig c;
  c.model = train::Model::mhc;
  c.epochs = 3;
  c.euler_steps = 5;
  check_pause_is_bitwise(c, Place{1, 37});  // after 37 of the epoch's 120 samples
}
