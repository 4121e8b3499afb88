#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "khsweep/core/random.hpp"
#include "khsweep/data/dataset.hpp"
#include "khsweep/train/config.hpp"
#include "khsweep/train/result.hpp"

namespace khsweep::train {

// Everything a run needs to continue exactly where it stopped: restoring it and training on
// gives the same bits as never having stopped.
template <class Real>
struct TrainerState {
  int epoch = 0;                        // epochs completed
  // Minibatches of epoch `epoch` already trained: > 0 only in a state paused mid-epoch. `rng` is
  // then still the stream as that epoch began, so resuming draws the epoch's shuffle again and
  // replays the draws of those batches, and continues with the same bits as never pausing.
  int batch = 0;
  double batch_seconds = 0;             // mid-epoch: the wall time of those batches
  model::Params<Real> params;
  Rng::State rng{};                     // the training stream (shuffles and Gibbs samples) as epoch `epoch` begins
  model::Matrix<Real> chain;            // PCD's persistent hidden samples (B x M, 0/1); empty until used
  std::vector<EpochRecord> curves;
  bool diverged = false;
  std::string reason;
};

// A state as a run's result: status, reason, curves, the weights widened to double (exactly) and
// the total wall time. (Measures of the weights, such as receptive-field overlap, are the caller's.)
template <class Real>
[[nodiscard]] RunResult result_of(const TrainerState<Real>& state);

// Called during an epoch's training phase after each minibatch: (batches done, batches in the
// epoch). Returning true pauses the epoch after that batch (run_epoch says what that means).
using BatchObserver = std::function<bool(int, int)>;
// Called after each epoch with its record.
using EpochObserver = std::function<void(const EpochRecord&)>;

// One run, epoch by epoch. The datasets must outlive the trainer.
template <class Real>
class Trainer {
 public:
  // Throws khsweep::Error if the config is invalid or does not fit the data.
  Trainer(const RunConfig& config, const data::Dataset& train, const data::Dataset& validation);
  ~Trainer();
  Trainer(Trainer&&) noexcept;
  Trainer& operator=(Trainer&&) noexcept;

  // Trains the current epoch to its end (from where a pause left it), evaluates metrics when due,
  // and returns its record. When on_batch asks to pause, returns nullptr instead: the state then
  // holds the place (state().batch), and the next call, or a trainer restored from the state,
  // continues the epoch from the next minibatch with the same bits as never pausing.
  const EpochRecord* run_epoch(const BatchObserver& on_batch);
  const EpochRecord& run_epoch() { return *run_epoch(BatchObserver{}); }  // never pauses
  [[nodiscard]] bool done() const;  // all epochs trained, or diverged
  [[nodiscard]] RunResult result() const;

  [[nodiscard]] const TrainerState<Real>& state() const;
  void restore(TrainerState<Real> state);  // resume from a checkpoint of the same config

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Trains a whole run at the config's precision. Observers may be empty.
[[nodiscard]] RunResult train_run(const RunConfig& config, const data::Dataset& train,
                                  const data::Dataset& validation, const EpochObserver& on_epoch = {},
                                  const BatchObserver& on_batch = {});

}  // namespace khsweep::train
