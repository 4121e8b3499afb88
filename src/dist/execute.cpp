#include "execute.hpp"

#include <iostream>

#include "khsweep/core/error.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/train/learner.hpp"

namespace khsweep::dist {

const data::DataSplit& DataCache::get(const sweep::DataSelection& selection) {
  const std::string key = sweep::selection_key(selection);
  auto it = loaded_.find(key);
  if (it == loaded_.end()) it = loaded_.emplace(key, sweep::load_data(selection)).first;
  return it->second;
}

namespace {

Report train_assigned(const Assignment& a, const data::DataSplit& data, const std::function<bool()>& stop_now,
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
  while (!learner->done()) {
    learner->run_epoch();
    const int epoch = learner->epochs_done();
    const bool stopping = !learner->done() && stop_now();
    if (learner->done() || stopping || epoch % a.checkpoint_every == 0) learner->save_checkpoint(a.checkpoint, a.id);
    if (stopping) {
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
               int rank) {
  Report report;
  report.id = a.id;
  report.host = host;
  report.rank = rank;
  try {
    const data::DataSplit& data = cache.get(a.params.data);
    // Every rank must train on the same bytes: a node with other files would give other results.
    if (data.train.checksum != a.train_checksum || data.validation.checksum != a.validation_checksum)
      throw Error("the data at '" + a.params.data.dataset + "' on host " + host +
                  " differ from what the coordinator loaded (checksum " + data.train.checksum.substr(0, 12) +
                  " vs " + a.train_checksum.substr(0, 12) + ")");
    return train_assigned(a, data, stop_now, report);
  } catch (const std::exception& e) {
    report.kind = Report::failed;
    report.failure = e.what();
    return report;
  }
}

}  // namespace khsweep::dist
