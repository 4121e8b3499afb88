// Run ids: a hash of everything that changes a run's result, and nothing else.
#include "khsweep/sweep/run_id.hpp"

#include "khsweep/data/sha256.hpp"

namespace khsweep::sweep {
namespace {

// Which parameters enter the id. Left out:
//  - the data-selection rows (data path, subsets, subset seed, threshold): the data checksums
//    capture their effect, so moving or renaming the data directory keeps every id;
//  - the rows the run does not read (reads(): other model kinds' rows, KH rows when kh is none);
//  - `model` when it is rbm, so every RBM id is the one it had before there were other kinds;
//  - label_sampling when the task is reconstruction: only label units are drawn with it.
bool affects_result(const train::ParamSpec& p, const train::RunConfig& c) {
  if (p.selects_data) return false;
  if (!train::reads(p, c)) return false;
  if (p.name == "model" && c.model == train::Model::rbm) return false;
  if (p.name == "label_sampling" && c.task != train::Task::classification) return false;
  return true;
}

}  // namespace

std::string canonical_run_text(const train::RunParams& params, const std::string& train_checksum,
                               const std::string& validation_checksum) {
  // "0 means default" values resolved, so S = 0 and S = epochs (or R = 0 and R = 0.1 under
  // lecun init) name the same run.
  train::RunParams resolved = params;
  resolved.config.kh_anneal_epochs = params.config.anneal_epochs();
  resolved.config.kh_radius = params.config.radius();

  std::string text = "numerics_version=" + std::to_string(kNumericsVersion) + "\n";
  text += "train_checksum=" + train_checksum + "\n";
  text += "validation_checksum=" + validation_checksum + "\n";
  for (const auto& p : train::run_parameters())
    if (affects_result(p, resolved.config)) text += p.name + "=" + p.get(resolved) + "\n";
  return text;
}

std::string run_id(const train::RunParams& params, const std::string& train_checksum,
                   const std::string& validation_checksum) {
  const std::string text = canonical_run_text(params, train_checksum, validation_checksum);
  return data::sha256_hex(text.data(), text.size()).substr(0, 16);
}

}  // namespace khsweep::sweep
