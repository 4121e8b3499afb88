#pragma once
// Training one assigned run with checkpoints: what every worker (and a single-rank job) does.
#include <functional>
#include <map>
#include <string>

#include "khsweep/data/dataset.hpp"
#include "khsweep/runner/mpi.hpp"
#include "protocol.hpp"

namespace khsweep::runner {

// Datasets loaded by this process, kept for the next run on the same selection.
class DataCache {
 public:
  const data::DataSplit& get(const train::DataSelection& selection);

  // Collective over the node: every selection's images are put once in memory the node's ranks
  // share (the node's leader loads them, or has them already), and this cache then reads them
  // there, so 64 ranks on a node hold one copy of MNIST, not 64. A selection the leader cannot
  // load is skipped: each rank then loads it for itself, and fails the run with the reason.
  void share_on_node(const std::vector<train::DataSelection>& selections, mpi::NodeMemory& node);

 private:
  std::map<std::string, data::DataSplit> loaded_;
};

// Trains `assignment` to its end, resuming from its checkpoint when one is valid, saving one every
// checkpoint_every epochs and at the end (so a finished run whose commit was lost costs nothing to
// recover). Between minibatches, at most every 20 ms, it calls `meanwhile` (when set: rank 0 answers
// the other ranks there) and then asks `stop_now`, and asks it again between epochs. When that
// answers true it checkpoints the run there, mid-epoch if need be (Open MPI kills the ranks a second
// after they are sent SIGTERM: README, *Stopping*), says so on stdout ("rank R: run ID checkpointed
// at epoch E of T, batch B of N") and reports the run interrupted. A checkpoint or data file that
// cannot be written or read, or memory running out, is reported as a fault (the machine's, to
// retry); any other error fails the run. Errors become a report, never an exception. After every
// epoch (and once on starting, with the epochs a checkpoint had done) it tells `on_epoch`, when set.
[[nodiscard]] Report execute(const Assignment& assignment, DataCache& cache, const std::function<bool()>& stop_now,
                             const std::string& host, int rank, const std::function<void()>& meanwhile = {},
                             const std::function<void(const EpochProgress&)>& on_epoch = {});

}  // namespace khsweep::runner
