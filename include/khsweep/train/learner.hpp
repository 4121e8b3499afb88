#pragma once
// One run of any model kind, epoch by epoch, as the sweep's workers drive it. Each kind (the RBM's
// Trainer, KH-bio, the MHC) implements this; make_learner is the only place that names them.
#include <filesystem>
#include <memory>
#include <string>

#include "khsweep/data/dataset.hpp"
#include "khsweep/train/config.hpp"
#include "khsweep/train/result.hpp"
#include "khsweep/train/trainer.hpp"  // BatchObserver

namespace khsweep::train {

class Learner {
 public:
  virtual ~Learner() = default;
  // Trains the current epoch to its end, evaluates its metrics when due, and returns its record.
  // on_batch (when set) is called after each minibatch (each sample for the MHC, which has none):
  // the sweep's rank 0 answers the other ranks there. When it returns true the epoch pauses there
  // and run_epoch returns nullptr; save_checkpoint then saves the place, and the next run_epoch (or
  // a learner resumed from that checkpoint) continues with the same bits as never pausing.
  virtual const EpochRecord* run_epoch(const BatchObserver& on_batch) = 0;
  const EpochRecord& run_epoch() { return *run_epoch(BatchObserver{}); }  // never pauses
  [[nodiscard]] virtual bool done() const = 0;     // all epochs trained, or diverged
  [[nodiscard]] virtual int epochs_done() const = 0;
  [[nodiscard]] virtual RunResult result() const = 0;
  // Saves the state so that resume() and training on give the same bits as never stopping.
  virtual void save_checkpoint(const std::filesystem::path& file, const std::string& run_id) const = 0;
  // Continues from `file` when it holds a valid state of this run: true then. False when there is
  // no file, or with *problem a one-line reason naming the file (the run then starts afresh).
  virtual bool resume(const std::filesystem::path& file, const std::string& run_id, std::string* problem) = 0;
};

// The learner of config.model at config.precision. Throws khsweep::Error if the config is invalid
// or does not fit the data. The datasets must outlive the learner.
[[nodiscard]] std::unique_ptr<Learner> make_learner(const RunConfig& config, const data::Dataset& train,
                                                   const data::Dataset& validation);

}  // namespace khsweep::train
