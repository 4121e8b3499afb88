// The model-kind seam: the one switch from a run's `model` to its learner, and the RBM's adapter.
#include "khsweep/train/learner.hpp"

#include "khsweep/core/error.hpp"
#include "khsweep/train/checkpoint.hpp"
#include "khsweep/train/trainer.hpp"
#include "learners.hpp"

namespace khsweep::train {
namespace {

template <class Real>
class RbmLearner final : public Learner {
 public:
  RbmLearner(const RunConfig& c, const data::Dataset& train, const data::Dataset& validation)
      : trainer_(c, train, validation) {}

  const EpochRecord* run_epoch(const BatchObserver& on_batch) override { return trainer_.run_epoch(on_batch); }
  [[nodiscard]] bool done() const override { return trainer_.done(); }
  [[nodiscard]] int epochs_done() const override { return trainer_.state().epoch; }
  [[nodiscard]] RunResult result() const override { return trainer_.result(); }

  void save_checkpoint(const std::filesystem::path& file, const std::string& run_id) const override {
    train::save_checkpoint(file, run_id, trainer_.state());
  }

  bool resume(const std::filesystem::path& file, const std::string& run_id, std::string* problem) override {
    auto state = load_checkpoint<Real>(file, run_id, problem);
    if (!state) return false;
    try {
      trainer_.restore(std::move(*state));
      return true;
    } catch (const Error& e) {  // e.g. written by a build with other shapes
      if (problem) *problem = "checkpoint " + file.string() + ": " + e.what();
      return false;
    }
  }

 private:
  Trainer<Real> trainer_;
};

}  // namespace

std::unique_ptr<Learner> make_rbm_learner(const RunConfig& config, const data::Dataset& train,
                                          const data::Dataset& validation) {
  if (config.precision == Precision::f32) return std::make_unique<RbmLearner<float>>(config, train, validation);
  return std::make_unique<RbmLearner<double>>(config, train, validation);
}

std::unique_ptr<Learner> make_learner(const RunConfig& config, const data::Dataset& train,
                                      const data::Dataset& validation) {
  switch (config.model) {
    case Model::rbm: return make_rbm_learner(config, train, validation);
    case Model::kh_bio: return make_kh_bio_learner(config, train, validation);
    case Model::mhc: return make_mhc_learner(config, train, validation);
  }
  throw Error("make_learner: unknown model kind " + std::to_string(static_cast<int>(config.model)));
}

}  // namespace khsweep::train
