#pragma once
// What the learners other than the RBM's Trainer share: their whole state is a TrainerState (weights,
// training stream, curves), so checkpoints use the Trainer's file format and its integrity checks.
#include <chrono>
#include <cmath>
#include <utility>

#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/train/checkpoint.hpp"
#include "khsweep/train/learner.hpp"
#include "khsweep/train/trainer.hpp"

namespace khsweep::train {

template <class Real>
class StateLearner : public Learner {
 public:
  explicit StateLearner(int total_epochs) : total_epochs_(total_epochs) {}

  [[nodiscard]] bool done() const override { return state_.diverged || state_.epoch >= total_epochs_; }
  [[nodiscard]] int epochs_done() const override { return state_.epoch; }

  [[nodiscard]] RunResult result() const override { return result_of(state_); }

  void save_checkpoint(const std::filesystem::path& file, const std::string& run_id) const override {
    train::save_checkpoint(file, run_id, state_);
  }

  bool resume(const std::filesystem::path& file, const std::string& run_id, std::string* problem) override {
    auto saved = load_checkpoint<Real>(file, run_id, problem);
    if (!saved) return false;
    const auto& layout = saved->params.layout;
    const auto& mine = state_.params.layout;
    if (layout.pixels != mine.pixels || layout.classes != mine.classes || layout.hidden != mine.hidden ||
        saved->epoch > total_epochs_ || saved->batch < 0 || saved->batch > batches_per_epoch() ||
        (saved->batch > 0 && saved->epoch == total_epochs_)) {
      if (problem) *problem = "checkpoint " + file.string() + ": its shapes or epochs do not match this run";
      return false;
    }
    state_ = std::move(*saved);
    return true;
  }

 protected:
  // The places where an epoch may pause: its minibatches (its samples for the MHC).
  [[nodiscard]] virtual int batches_per_epoch() const = 0;

  // Asks on_batch, after minibatch `batch` (from 0) of `batches`, whether to pause. If it says so,
  // the place goes into the state; the caller then puts its working copies there too and returns.
  bool pause_after(int batch, int batches, const BatchObserver& on_batch) {
    if (!on_batch || !on_batch(batch + 1, batches)) return false;
    state_.batch = batch + 1;
    return true;
  }

  // run_epoch's answer when paused: adds the time since the epoch (or its continuation) began.
  const EpochRecord* paused(std::chrono::steady_clock::time_point start) {
    state_.batch_seconds += seconds_since(start);
    return nullptr;
  }

  // The epoch's training time, the parts before any pause included.
  [[nodiscard]] double training_seconds(std::chrono::steady_clock::time_point start) const {
    return state_.batch_seconds + seconds_since(start);
  }

  // Records an epoch's row and stops the run if its weights are no longer finite.
  const EpochRecord& finish_epoch(EpochRecord record) {
    state_.curves.push_back(record);
    ++state_.epoch;
    state_.batch = 0;
    state_.batch_seconds = 0;
    if (!state_.params.W.allFinite()) {
      state_.diverged = true;
      state_.reason = "weights became non-finite in epoch " + std::to_string(record.epoch);
    }
    return state_.curves.back();
  }

  static double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  TrainerState<Real> state_;
  int total_epochs_;
};

// The first `limit` samples of a set (all when limit is 0), for training-set metrics.
inline std::size_t metric_samples(const data::Dataset& set, std::size_t limit) {
  return limit == 0 ? set.count : std::min(limit, set.count);
}

// Refuses a config with problems, naming all of them in one line.
inline void require_valid(const RunConfig& config) {
  std::vector<std::string> problems;
  for (const ParamProblem& problem : validate(config)) problems.push_back(problem.text());
  if (problems.empty()) return;
  throw Error("invalid run configuration: " + join(problems, "; "));
}

}  // namespace khsweep::train
