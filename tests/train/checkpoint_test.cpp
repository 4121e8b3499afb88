// Checkpoints: a resumed run ends bitwise equal to an uninterrupted one, and a bad checkpoint is
// reported (never used, never thrown).
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#include "../support/scratch.hpp"
#include "../support/tiny_models.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/data/sha256.hpp"
#include "khsweep/train/checkpoint.hpp"
#include "khsweep/train/learner.hpp"
#include "khsweep/train/trainer.hpp"

using namespace khsweep;

namespace {

const data::Dataset& bas() {
  static const data::Dataset d = testing::bars_and_stripes(3, 10);  // 12 patterns x 10
  return d;
}

train::RunConfig tiny_config(train::Precision precision) { return testing::tiny_rbm_config(precision, 12, 4); }

template <class T>
bool same_bits(const T* x, const T* y, std::size_t n) {
  return n == 0 || std::memcmp(x, y, sizeof(T) * n) == 0;
}

template <class Real>
bool same_bits(const model::Params<Real>& x, const model::Params<Real>& y) {
  return x.W.rows() == y.W.rows() && x.W.cols() == y.W.cols() && x.a.size() == y.a.size() &&
         x.b.size() == y.b.size() && same_bits(x.W.data(), y.W.data(), x.W.size()) &&
         same_bits(x.a.data(), y.a.data(), x.a.size()) && same_bits(x.b.data(), y.b.data(), x.b.size());
}

// Everything in a learning-curve row except the wall times.
bool same_metrics(const train::EpochRecord& x, const train::EpochRecord& y) {
  return x.epoch == y.epoch && same_bits(&x.kh_epsilon, &y.kh_epsilon, 1) && x.evaluated == y.evaluated &&
         same_bits(&x.train, &y.train, 1) && same_bits(&x.validation, &y.validation, 1);
}

std::vector<char> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& file, const std::vector<char>& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Trains 5 epochs, checkpoints, drops the trainer (the job is killed), then resumes in a new trainer
// from the file and trains to the end: the result must be the uninterrupted run's, bit for bit.
template <class Real>
void check_resume_is_bitwise(const train::RunConfig& c) {
  train::Trainer<Real> uninterrupted(c, bas(), bas());
  while (!uninterrupted.done()) uninterrupted.run_epoch();

  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  {
    train::Trainer<Real> killed(c, bas(), bas());
    for (int e = 0; e < 5; ++e) killed.run_epoch();
    train::save_checkpoint(file, "run-a", killed.state());
  }
  std::string problem;
  auto saved = train::load_checkpoint<Real>(file, "run-a", &problem);
  BOOST_TEST_REQUIRE(saved.has_value(), problem);
  BOOST_TEST(problem.empty());
  BOOST_TEST(saved->epoch == 5);
  BOOST_TEST(saved->curves.size() == 5u);
  BOOST_TEST(saved->chain.rows() == (c.persistent ? c.batch_size : 0));

  train::Trainer<Real> resumed(c, bas(), bas());
  resumed.restore(std::move(*saved));
  while (!resumed.done()) resumed.run_epoch();

  const auto& x = uninterrupted.state();
  const auto& y = resumed.state();
  BOOST_TEST(y.epoch == c.epochs);
  BOOST_TEST(same_bits(x.params, y.params));
  BOOST_TEST(same_bits(x.rng.data(), y.rng.data(), x.rng.size()));
  BOOST_TEST((x.chain.rows() == y.chain.rows() && same_bits(x.chain.data(), y.chain.data(), x.chain.size())));
  BOOST_TEST(x.diverged == y.diverged);
  BOOST_TEST_REQUIRE(x.curves.size() == y.curves.size());
  for (std::size_t e = 0; e < x.curves.size(); ++e) {
    BOOST_TEST_CONTEXT("epoch " << e) { BOOST_TEST(same_metrics(x.curves[e], y.curves[e])); }
  }
  BOOST_TEST(y.curves.back().evaluated);
  const double overlap_x = uninterrupted.result().receptive_field_overlap;
  const double overlap_y = resumed.result().receptive_field_overlap;
  BOOST_TEST(same_bits(&overlap_x, &overlap_y, 1));
}

// A checkpoint of a short persistent run, for the corruption tests.
template <class Real>
void save_short_run(const std::filesystem::path& file, const std::string& run_id, int epochs) {
  auto c = tiny_config(std::is_same_v<Real, float> ? train::Precision::f32 : train::Precision::f64);
  c.persistent = true;
  train::Trainer<Real> trainer(c, bas(), bas());
  for (int e = 0; e < epochs; ++e) trainer.run_epoch();
  train::save_checkpoint(file, run_id, trainer.state());
}

// Loads a bad checkpoint: no state, and a one-line problem naming the file that contains `why`.
template <class Real>
void check_refused(const std::filesystem::path& file, const std::string& run_id, const std::string& why) {
  std::string problem = "stale";
  const auto state = train::load_checkpoint<Real>(file, run_id, &problem);
  BOOST_TEST(!state.has_value());
  KHSWEEP_CHECK_MESSAGE_HAS(problem, file.string());
  KHSWEEP_CHECK_MESSAGE_HAS(problem, why);
  BOOST_TEST(problem.find('\n') == std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_resumed_run_ends_bitwise_equal_to_an_uninterrupted_one) {
  for (auto precision : {train::Precision::f32, train::Precision::f64}) {
    for (const auto& rule : testing::rbm_rules()) {
      BOOST_TEST_CONTEXT(rule.name << ", " << train::to_string(precision)) {
        const auto c = testing::with_rule(tiny_config(precision), rule);
        if (precision == train::Precision::f32)
          check_resume_is_bitwise<float>(c);
        else
          check_resume_is_bitwise<double>(c);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(saving_leaves_only_the_checkpoint_and_replaces_an_older_one) {
  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  save_short_run<float>(file, "run-a", 2);
  save_short_run<float>(file, "run-a", 3);
  BOOST_TEST(dir.listing() == std::vector<std::string>{"run.ckpt"}, boost::test_tools::per_element());
  const auto state = train::load_checkpoint<float>(file, "run-a");
  BOOST_TEST_REQUIRE(state.has_value());
  BOOST_TEST(state->epoch == 3);

  train::remove_checkpoint(file);
  BOOST_TEST(dir.listing().empty());
  train::remove_checkpoint(file);  // already gone: nothing happens
}

BOOST_AUTO_TEST_CASE(saving_into_a_missing_directory_throws_naming_the_file) {
  const testing::ScratchDir dir;
  const auto file = dir / "no-such-dir" / "run.ckpt";
  train::TrainerState<double> state;
  const std::string message = testing::error_of([&] { train::save_checkpoint(file, "run-a", state); });
  KHSWEEP_CHECK_MESSAGE_HAS(message, file.string());
  BOOST_TEST(dir.listing().empty());
}

BOOST_AUTO_TEST_CASE(a_missing_checkpoint_is_no_problem) {
  const testing::ScratchDir dir;
  std::string problem = "stale";
  BOOST_TEST(!train::load_checkpoint<float>(dir / "run.ckpt", "run-a", &problem).has_value());
  BOOST_TEST(problem.empty());
  BOOST_TEST(!train::load_checkpoint<double>(dir / "run.ckpt", "run-a").has_value());
}

BOOST_AUTO_TEST_CASE(every_flipped_byte_is_detected) {
  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  save_short_run<double>(file, "run-a", 2);
  const auto good = read_bytes(file);
  BOOST_TEST_REQUIRE(good.size() > 100u);

  auto bad = good;
  bad[good.size() / 2] = static_cast<char>(bad[good.size() / 2] ^ 0x10);
  write_bytes(file, bad);
  check_refused<double>(file, "run-a", "checksum mismatch");

  // Every position, magic and checksum included. Each variant goes to a new file: rewriting one file
  // in place makes ext4 flush it on every close, which is slow.
  int accepted = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    const auto variant = dir / ("flipped-" + std::to_string(i));
    write_bytes(variant, bad);
    std::string problem;
    if (train::load_checkpoint<double>(variant, "run-a", &problem).has_value() || problem.empty()) ++accepted;
    std::filesystem::remove(variant);
  }
  BOOST_TEST(accepted == 0);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_detected) {
  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  save_short_run<float>(file, "run-a", 2);
  const auto good = read_bytes(file);
  int accepted = 0;
  for (std::size_t size = 0; size < good.size(); ++size) {
    const auto variant = dir / ("cut-" + std::to_string(size));
    write_bytes(variant, std::vector<char>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(size)));
    std::string problem;
    if (train::load_checkpoint<float>(variant, "run-a", &problem).has_value() || problem.empty()) ++accepted;
    std::filesystem::remove(variant);
  }
  BOOST_TEST(accepted == 0);
  write_bytes(file, std::vector<char>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2)));
  check_refused<float>(file, "run-a", "checksum mismatch");
  write_bytes(file, std::vector<char>(good.begin(), good.begin() + 4));
  check_refused<float>(file, "run-a", "truncated");
  write_bytes(file, {});
  check_refused<float>(file, "run-a", "truncated");
}

BOOST_AUTO_TEST_CASE(another_file_is_not_a_checkpoint) {
  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  write_bytes(file, std::vector<char>(200, 'x'));
  check_refused<float>(file, "run-a", "not a khsweep checkpoint");
  std::filesystem::create_directory(dir / "a-directory");
  check_refused<float>(dir / "a-directory", "run-a", "not a regular file");
}

BOOST_AUTO_TEST_CASE(another_runs_checkpoint_is_refused) {
  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  save_short_run<float>(file, "run-a", 1);
  check_refused<float>(file, "run-b", "belongs to run 'run-a', not 'run-b'");
  BOOST_TEST(train::load_checkpoint<float>(file, "run-a").has_value());
}

BOOST_AUTO_TEST_CASE(the_other_precisions_checkpoint_is_refused) {
  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  save_short_run<float>(file, "run-a", 1);
  check_refused<double>(file, "run-a", "holds a float state, this run trains in double");
  save_short_run<double>(file, "run-a", 1);
  check_refused<float>(file, "run-a", "holds a double state, this run trains in float");
  BOOST_TEST(train::load_checkpoint<double>(file, "run-a").has_value());
}

BOOST_AUTO_TEST_CASE(the_file_has_the_documented_layout) {
  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  train::TrainerState<float> state;  // empty weights, no curves
  train::save_checkpoint(file, "abc", state);
  const auto bytes = read_bytes(file);
  // magic 8, version 4, probe 4, sizes 2, precision 1, run id 8 + 3; state: epoch 4, batch 4,
  // batch_seconds 8, layout 12, W a b 3 x 16, rng 32, chain 16, curves 8, diverged 1, reason 8; SHA-256 32.
  BOOST_TEST(bytes.size() == 8u + 4 + 4 + 2 + 1 + 11 + (4 + 4 + 8 + 12 + 48 + 32 + 16 + 8 + 1 + 8) + 32);
  BOOST_TEST(std::string(bytes.data(), 8) == "KHSCKPT1");
}

// A checkpoint of an older format (version 2 had no place inside an epoch) is refused with a reason
// that says so, and the run then starts afresh; its checksum is valid, so only the version tells.
BOOST_AUTO_TEST_CASE(an_older_format_version_is_refused_and_the_run_starts_afresh) {
  const testing::ScratchDir dir;
  const auto file = dir / "run.ckpt";
  save_short_run<float>(file, "run-a", 2);
  auto bytes = read_bytes(file);
  const std::uint32_t old_version = 2;
  std::memcpy(bytes.data() + 8, &old_version, sizeof old_version);  // after the magic
  data::Sha256 sha;
  sha.update(bytes.data(), bytes.size() - 32);
  const auto digest = sha.digest();
  std::memcpy(bytes.data() + bytes.size() - 32, digest.data(), digest.size());
  write_bytes(file, bytes);
  check_refused<float>(file, "run-a", "format version 2 (written by an older khsweep), this build reads version 3");

  auto c = tiny_config(train::Precision::f32);
  c.persistent = true;
  const auto learner = train::make_learner(c, bas(), bas());
  std::string problem;
  BOOST_TEST(!learner->resume(file, "run-a", &problem));
  KHSWEEP_CHECK_MESSAGE_HAS(problem, "format version 2");
  BOOST_TEST(learner->epochs_done() == 0);
}
