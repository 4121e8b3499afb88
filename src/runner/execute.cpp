#include "execute.hpp"

#include <chrono>
#include <cmath>
#include <iostream>

#include "khsweep/core/error.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/train/learner.hpp"

namespace khsweep::runner {

const data::DataSplit& DataCache::get(const train::DataSelection& selection) {
  const std::string key = sweep::selection_key(selection);
  auto it = loaded_.find(key);
  if (it == loaded_.end()) it = loaded_.emplace(key, sweep::load_data(selection)).first;
  return it->second;
}

namespace {

// What a rank needs to rebuild a dataset around shared pixels: everything but the pixels.
void encode_shape(train::ByteWriter& out, const data::Dataset& d) {
  out.u64(d.count);
  out.u64(d.dim);
  out.i32(d.classes);
  out.string(d.checksum);
  out.string(std::string(d.labels.begin(), d.labels.end()));
}

data::Dataset decode_shape(train::ByteReader& in) {
  data::Dataset d;
  d.count = in.u64();
  d.dim = in.u64();
  d.classes = in.i32();
  d.checksum = in.string();
  const std::string labels = in.string();
  d.labels.assign(labels.begin(), labels.end());
  return d;
}

}  // namespace

void DataCache::share_on_node(const std::vector<train::DataSelection>& selections, mpi::NodeMemory& node) {
  for (const auto& selection : selections) {
    const std::string key = sweep::selection_key(selection);
    // The leader describes the split (or says it has none: an empty message); everyone learns it.
    std::vector<std::uint8_t> shape;
    if (node.rank() == 0) {
      try {
        const data::DataSplit& split = get(selection);
        train::ByteWriter out;
        encode_shape(out, split.train);
        encode_shape(out, split.validation);
        shape = out.take();
      } catch (const std::exception&) {
        shape.clear();  // each rank will load it itself, and report why it cannot
      }
    }
    shape = node.broadcast(std::move(shape));
    if (shape.empty()) continue;
    train::ByteReader in(shape, "shared dataset description");
    data::DataSplit shared;
    shared.train = decode_shape(in);
    shared.validation = decode_shape(in);
    const std::size_t train_bytes = shared.train.count * shared.train.dim;
    const std::size_t validation_bytes = shared.validation.count * shared.validation.dim;
    const std::uint8_t* memory = node.share(train_bytes + validation_bytes, [&](std::uint8_t* out) {
      const data::DataSplit& mine = loaded_.at(key);
      std::copy_n(mine.train.pixels(), train_bytes, out);
      std::copy_n(mine.validation.pixels(), validation_bytes, out + train_bytes);
    });
    shared.train.shared_pixels = memory;
    shared.validation.shared_pixels = memory + train_bytes;
    loaded_[key] = std::move(shared);  // the leader's private copy goes
  }
}

namespace {

// How often a run in training looks up from its minibatches (see train_assigned).
constexpr auto kBetweenChecks = std::chrono::milliseconds(20);

// An error of the machine rather than of the run (a file that cannot be read or written, memory):
// the run may well succeed on another try or another node, so it is not recorded as failed.
struct MachineFault {
  std::string reason;
};

// Runs `step`, turning whatever it throws into a MachineFault.
template <class Step>
auto as_machine_fault(Step&& step) -> decltype(step()) {
  try {
    return step();
  } catch (const std::exception& e) {
    throw MachineFault{e.what()};
  }
}

// The validation metric a person watching the run looks at: accuracy where the run measures it
// (classification, KH-bio, the MHC), else the reconstruction error.
void note_metric(const train::EpochRecord& record, EpochProgress& progress) {
  if (!record.evaluated) return;
  const bool accuracy = std::isfinite(record.validation.accuracy);
  progress.metric = accuracy ? "val_accuracy" : "val_mse";
  progress.value = accuracy ? record.validation.accuracy : record.validation.mse;
}

Report train_assigned(const Assignment& a, const data::DataSplit& data, const std::function<bool()>& stop_now,
                      const std::function<void()>& meanwhile, const std::function<void(const EpochProgress&)>& on_epoch,
                      Report report) {
  const auto learner = train::make_learner(a.params.config, data.train, data.validation);
  std::string problem;
  report.resumed = learner->resume(a.checkpoint, a.id, &problem);
  if (!problem.empty()) {
    std::cerr << "khsweep: rank " << report.rank << ": " << problem << "; starting run " << a.id << " afresh\n";
  }
  if (!learner->done() && stop_now()) {  // stopped before the first epoch: any checkpoint is already saved
    report.kind = Report::interrupted;
    return report;
  }
  // Between minibatches, at most every kBetweenChecks: rank 0 answers the other ranks (meanwhile),
  // and a stop is asked for (a worker's stop_now polls MPI: too dear after every batch). On a stop
  // the epoch pauses there and is checkpointed, so a kill that follows costs at most that much work.
  int batch = 0, batches = 0;  // where the epoch paused
  auto last_check = std::chrono::steady_clock::now();
  const train::BatchObserver on_batch = [&](int done, int total) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check < kBetweenChecks) return false;
    last_check = now;
    if (meanwhile) meanwhile();
    batch = done;
    batches = total;
    return stop_now();
  };
  const int total_epochs = a.params.config.total_epochs();
  EpochProgress progress{a.id, learner->epochs_done(), total_epochs, "", 0.0};
  if (on_epoch) on_epoch(progress);
  while (!learner->done()) {
    const train::EpochRecord* record = learner->run_epoch(on_batch);
    const bool paused = record == nullptr;
    const int epoch = learner->epochs_done();
    if (record != nullptr && on_epoch) {
      progress.epoch = epoch;
      note_metric(*record, progress);
      on_epoch(progress);
    }
    const bool stopping = paused || (!learner->done() && stop_now());
    if (learner->done() || stopping || epoch % a.checkpoint_every == 0)
      as_machine_fault([&] { learner->save_checkpoint(a.checkpoint, a.id); });
    if (stopping) {
      std::cout << "rank " << report.rank << ": run " << a.id << " checkpointed "
                << (paused ? "at epoch " + std::to_string(epoch + 1) + " of " + std::to_string(total_epochs) +
                                 ", batch " + std::to_string(batch) + " of " + std::to_string(batches)
                           : "after epoch " + std::to_string(epoch) + " of " + std::to_string(total_epochs))
                << std::endl;
      report.kind = Report::interrupted;
      return report;
    }
  }
  report.kind = Report::finished;
  report.result = learner->result();
  return report;
}

}  // namespace

Report execute(const Assignment& a, DataCache& cache, const std::function<bool()>& stop_now, const std::string& host,
               int rank, const std::function<void()>& meanwhile,
               const std::function<void(const EpochProgress&)>& on_epoch) {
  Report report;
  report.id = a.id;
  report.host = host;
  report.rank = rank;
  try {
    const data::DataSplit& data = as_machine_fault([&]() -> const data::DataSplit& {
      const data::DataSplit& loaded = cache.get(a.params.data);
      // Every rank must train on the same bytes: a node with other files would give other results.
      if (loaded.train.checksum != a.train_checksum || loaded.validation.checksum != a.validation_checksum)
        throw Error("the data at '" + a.params.data.dataset + "' on host " + host +
                    " differ from what the coordinator loaded (checksum " + loaded.train.checksum.substr(0, 12) +
                    " vs " + a.train_checksum.substr(0, 12) + ")");
      return loaded;
    });
    return train_assigned(a, data, stop_now, meanwhile, on_epoch, report);
  } catch (const MachineFault& fault) {
    report.kind = Report::fault;
    report.failure = fault.reason;
  } catch (const std::bad_alloc&) {
    report.kind = Report::fault;
    report.failure = "out of memory";
  } catch (const std::exception& e) {
    report.kind = Report::failed;
    report.failure = e.what();
  }
  return report;
}

}  // namespace khsweep::runner
