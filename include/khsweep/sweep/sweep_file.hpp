#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "khsweep/train/run_params.hpp"

// Sweep files (docs/sweep-files.md): a name, fixed parameters, grid axes and arms, validated as a
// whole and expanded into the list of runs.
namespace khsweep::sweep {

// Sweep-level settings that are not run parameters.
struct SweepService {
  int checkpoint_every = 10;          // epochs between worker checkpoints
  double commit_every_seconds = 5.0;  // longest a finished run waits before it is committed
};

// One run of an expanded sweep.
struct PlannedRun {
  train::RunParams params;
  std::string arm;        // the arm's name; "" when the sweep has no arms
  std::size_t index = 0;  // position in expansion order
};

// A validated, expanded sweep file.
struct Sweep {
  std::string name;
  std::string description;
  std::string path;  // the file as named by the caller
  std::string text;  // its YAML as given, for provenance
  SweepService service;
  std::vector<PlannedRun> runs;  // in expansion order (docs/sweep-files.md)
};

// Whether a `data` path must exist when the file is read: `khsweep run` needs the data; `plan`
// on a login node may look at a sweep before its data is copied there.
enum class DataPaths { must_exist, may_be_absent };

// Reads, validates and expands a sweep file. Throws one khsweep::Error listing every problem, one
// per line, each starting "FILE:LINE: " (or "FILE: " when no line applies).
[[nodiscard]] Sweep load_sweep(const std::filesystem::path& path, DataPaths data_paths = DataPaths::must_exist);

// The table parameters whose value is not the same in every run, in table order. A parameter
// counts only across the runs that read it (reads()).
[[nodiscard]] std::vector<std::string> varying_parameters(const Sweep& sweep);

}  // namespace khsweep::sweep
