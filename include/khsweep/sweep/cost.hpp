#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "khsweep/data/dataset.hpp"
#include "khsweep/train/run_params.hpp"
#include "khsweep/sweep/sweep_file.hpp"

// A rough a priori cost of a run, in time and in memory, for planning sweeps (models and
// calibration in cost.cpp).
namespace khsweep::sweep {

// Estimated seconds one run takes on one core, given its training and validation set sizes.
[[nodiscard]] double estimate_seconds(const train::RunParams& params, std::size_t train_samples,
                                      std::size_t validation_samples);

// The two phases of one RBM epoch as the model sees them: training (with KH on when `kh_on`) and
// one evaluation of the metrics. `khsweep bench` prints them beside what it measures.
struct EpochSeconds {
  double training = 0;
  double evaluation = 0;
};
[[nodiscard]] EpochSeconds estimate_rbm_epoch(const train::RunConfig& config, std::size_t train_samples,
                                              std::size_t validation_samples, bool kh_on);

// The cost of one RBM epoch from some source: the model above, or rates `khsweep bench` measured.
// Nothing when the source has no figure for that configuration.
using RbmEpochCost = std::function<std::optional<EpochSeconds>(const train::RunConfig& config, std::size_t train_samples,
                                                               std::size_t validation_samples, bool kh_on)>;

// Seconds of a whole RBM run (model rbm) from the cost of its epochs: KH on for its first S epochs,
// the metrics every metrics_every epochs and after the last. Nothing when `epoch` has no figure.
[[nodiscard]] std::optional<double> rbm_run_seconds(const train::RunConfig& config, std::size_t train_samples,
                                                    std::size_t validation_samples, const RbmEpochCost& epoch);

// The sizes of a run's data that its memory depends on.
struct DataShape {
  std::size_t train_samples = 0;
  std::size_t validation_samples = 0;
  std::size_t pixels = 784;
  int classes = 10;
};
[[nodiscard]] DataShape shape_of(const data::DataSplitFacts& facts);

// Estimated peak bytes of one run's process, apart from its data: the weights and their working
// copies, the minibatch buffers, the PCD chain, the KH rule's workspace, the metrics' copies of
// the weights, the curves and the result.
[[nodiscard]] double estimate_bytes(const train::RunParams& params, const DataShape& data);

// Bytes of a run's training and validation sets in memory while they are loaded: once per node,
// whatever its runs.
[[nodiscard]] double data_bytes(const DataShape& data);

// The memory runs are planned against: $KHSWEEP_MEMORY when set (bytes, or with a K, M, G or T
// suffix: a cap, e.g. to leave room for other work, and what the tests use), else this machine's
// physical memory (sysconf), or less where the process's memory cgroup allows less (a batch job's
// --mem, a container's limit).
struct MemoryLimit {
  enum class Source { machine, cgroup, environment };
  double bytes = 0;
  Source source = Source::machine;
  // "this machine's 23.4 GiB", "the 4.0 GiB this process's memory cgroup allows" or "the 1.0 GiB
  // KHSWEEP_MEMORY allows".
  [[nodiscard]] std::string describe() const;
};
// Throws khsweep::Error for a KHSWEEP_MEMORY that is not a size.
[[nodiscard]] MemoryLimit memory_limit();

// Throws khsweep::Error "WHO: needs about 12.3 GiB of memory (...), more than ...; lower hidden
// (now 50000)" when `at_once` such runs (one per rank of the busiest node) and their data would not
// fit in memory_limit().
void check_fits_in_memory(const std::string& who, const train::RunParams& params, const DataShape& data,
                          int at_once = 1);
// The same for a run of a sweep, named "SWEEP_FILE: run #N (arm A)" as `khsweep plan` lists it.
void check_fits_in_memory(const Sweep& sweep, const PlannedRun& run, const DataShape& data, int at_once = 1);

// "310 MiB", "12.3 GiB": a size in bytes, for messages.
[[nodiscard]] std::string bytes_text(double bytes);

}  // namespace khsweep::sweep
