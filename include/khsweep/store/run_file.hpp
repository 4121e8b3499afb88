#pragma once
// One run's result file: what `khsweep train --out FILE.h5` writes. docs/run-file.md has the
// same layout with h5py/pandas examples.
//
// Layout, schema "khsweep-run/2" (strings are variable-length UTF-8 unless noted):
//   /                 attributes: schema = "khsweep-run/2"; code_version ("<version>+<git describe>");
//                     hdf5_version (the library that wrote the file); then every provenance entry
//                     as a string attribute (dataset, dataset_checksum, config_yaml, host, ...)
//   /config           one attribute per model parameter of the parameter table (train/run_params.hpp),
//                     named as in sweep files (k, eps0, S, ...) and holding the value as set (S = 0
//                     means "= epochs"): choices as text, whole numbers as int64 (counts and seed as
//                     uint64), persistent as h5py's bool enum, the rest float64
//   /summary          attributes: status ("completed" | "diverged"), reason (empty when completed),
//                     epochs_trained (int64, = rows of /curves), receptive_field_overlap,
//                     total_seconds (float64)
//   /curves           compound dataset, one row per trained epoch: epoch (int32), kh_epsilon,
//                     train_seconds, metric_seconds (float64), evaluated (int8, 0/1), train_mse,
//                     train_cross_entropy, train_pll, train_accuracy, val_mse, val_cross_entropy,
//                     val_pll, val_accuracy, train_noisy_accuracy, val_noisy_accuracy (float64,
//                     NaN where not measured; curve_fields() in run_layout.cpp is the list);
//                     pandas.DataFrame(f["curves"][:]) gives the learning curves
//   /params           attributes pixels, classes, hidden (int64); datasets
//     W               visible x hidden, row-major (h5py shape (visible, hidden))
//     a               visible
//     b               hidden
//                     float32 when written with Precision::f32, else float64
//
// Crash safety: the file is written by replace_file_atomically (core/atomic_file.hpp), so <path> is
// either absent, the previous file, or complete.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "khsweep/train/config.hpp"
#include "khsweep/train/result.hpp"

namespace khsweep::store {

inline constexpr const char* kRunSchema = "khsweep-run/2";
// Schema 1 differs only in /config: some attributes were named after RunConfig's fields
// (gibbs_steps, kh_eps0, ...). read_run_file reads both.
inline constexpr const char* kRunSchemaV1 = "khsweep-run/1";

// Where a run's inputs came from and when it ran: (key, value) pairs stored as root attributes.
// The keys schema, code_version and hdf5_version are reserved: the writer records them itself.
struct Provenance {
  std::vector<std::pair<std::string, std::string>> entries;

  // The value of `key`, or nullptr when absent.
  [[nodiscard]] const std::string* find(const std::string& key) const;
};

// Throws khsweep::Error naming `path` and the reason unless a file can be created beside it:
// its directory must exist and accept a new file (checked by creating and removing a probe).
// Call it before training, so a bad --out fails in a second, not after hours.
void check_writable(const std::filesystem::path& path);

// Throws khsweep::Error naming `path` and the reason unless writing a run file there may replace
// what is there: nothing, or a khsweep run file. Never a sweep store, a symbolic link or anything
// that is not a regular file (a device node, a FIFO); any other file only when `force`.
void check_replaceable(const std::filesystem::path& path, bool force);

// Writes one run's file atomically (see the layout above). W, a and b are stored as float32 when
// weights_precision is f32 (exact for weights trained in float), else as float64.
void write_run_file(const std::filesystem::path& path, const train::RunConfig& config,
                    const train::RunResult& result, const Provenance& provenance,
                    train::Precision weights_precision);

struct StoredRun {
  train::RunConfig config;
  train::RunResult result;     // params widened to double, exactly
  Provenance provenance;       // every root attribute but schema, including code_version and hdf5_version
  std::string schema;
};

// Reads a run file; throws khsweep::Error naming the file for a missing, corrupt or foreign file.
[[nodiscard]] StoredRun read_run_file(const std::filesystem::path& path);

}  // namespace khsweep::store
