// KH-bio and the MHC beat chance (10%) clearly on a small real MNIST subset in a few seconds, and
// a run resumed from a mid-run checkpoint ends with the same bits as an uninterrupted one.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>

#include "khsweep/data/dataset.hpp"
#include "khsweep/train/learner.hpp"
#include "../support/scratch.hpp"

using namespace khsweep;
namespace fs = std::filesystem;

namespace {

boost::test_tools::assertion_result mnist_present(boost::unit_test::test_unit_id) {
  const char* dir = std::getenv("KHSWEEP_MNIST_DIR");
  boost::test_tools::assertion_result present(dir != nullptr && *dir != '\0' && fs::is_directory(dir));
  if (!present) present.message() << "KHSWEEP_MNIST_DIR is unset or not a directory";
  return present;
}

struct Subset {
  data::Dataset train, validation;
};

const Subset& mnist_subset() {
  static const Subset subset = [] {
    const data::DataSplit split = data::load_idx_directory(std::getenv("KHSWEEP_MNIST_DIR"));
    return Subset{data::subset(split.train, 2000, data::SubsetMode::first, 0),
                  data::subset(split.validation, 1000, data::SubsetMode::first, 0)};
  }();
  return subset;
}

train::RunConfig kh_bio_config() {
  train::RunConfig c;
  c.model = train::Model::kh_bio;
  c.hidden = 100;
  c.epochs = 20;
  c.kh_eps0 = 0.1;
  c.kh_delta = 0.4;
  c.kh_rank = 1;
  c.kh_power = 3.0;
  c.readout_epochs = 10;
  return c;
}

train::RunConfig mhc_config() {
  train::RunConfig c;
  c.model = train::Model::mhc;
  c.epochs = 2;
  c.euler_steps = 20;
  return c;
}

double final_validation_accuracy(const train::RunConfig& c) {
  const Subset& s = mnist_subset();
  auto learner = train::make_learner(c, s.train, s.validation);
  while (!learner->done()) learner->run_epoch();
  const train::RunResult r = learner->result();
  BOOST_TEST_MESSAGE(train::to_string(c.model) << ": validation accuracy " << r.curves.back().validation.accuracy
                                               << ", noisy " << r.curves.back().validation.noisy_accuracy << ", "
                                               << r.total_seconds << " s");
  BOOST_TEST((r.status == train::RunStatus::completed));
  return r.curves.back().validation.accuracy;
}

// Trains half the run, checkpoints, resumes in a fresh learner and compares with an uninterrupted run.
void check_resume_is_bitwise(const train::RunConfig& c, int stop_after) {
  const Subset& s = mnist_subset();
  testing::ScratchDir dir("khsweep-learner-resume-");
  const fs::path file = dir.path() / "run.ckpt";
  auto first = train::make_learner(c, s.train, s.validation);
  for (int e = 0; e < stop_after; ++e) first->run_epoch();
  first->save_checkpoint(file, "r1");
  auto resumed = train::make_learner(c, s.train, s.validation);
  std::string problem;
  BOOST_TEST_REQUIRE(resumed->resume(file, "r1", &problem), problem);
  BOOST_TEST(resumed->epochs_done() == stop_after);
  while (!resumed->done()) resumed->run_epoch();
  while (!first->done()) first->run_epoch();
  const train::RunResult a = first->result(), b = resumed->result();
  BOOST_TEST((a.params.W.array() == b.params.W.array()).all());
  BOOST_TEST(a.curves.back().validation.accuracy == b.curves.back().validation.accuracy);
}

}  // namespace

BOOST_AUTO_TEST_CASE(kh_bio_beats_chance_on_mnist, *boost::unit_test::precondition(mnist_present)) {
  BOOST_TEST(final_validation_accuracy(kh_bio_config()) > 0.6);
}

BOOST_AUTO_TEST_CASE(mhc_beats_chance_on_mnist, *boost::unit_test::precondition(mnist_present)) {
  BOOST_TEST(final_validation_accuracy(mhc_config()) > 0.6);
}

BOOST_AUTO_TEST_CASE(kh_bio_resumes_bitwise, *boost::unit_test::precondition(mnist_present)) {
  train::RunConfig c = kh_bio_config();
  c.epochs = 2;
  c.readout_epochs = 2;
  check_resume_is_bitwise(c, 3);  // inside the readout phase, with Adam's moments in the state
}

BOOST_AUTO_TEST_CASE(mhc_resumes_bitwise, *boost::unit_test::precondition(mnist_present)) {
  train::RunConfig c = mhc_config();
  c.euler_steps = 5;
  check_resume_is_bitwise(c, 1);
}
