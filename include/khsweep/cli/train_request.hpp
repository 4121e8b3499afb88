#pragma once
#include <string>
#include <vector>

#include "khsweep/train/run_params.hpp"

// `khsweep train`'s front end: a YAML file and flags become one validated run, through the
// parameter table of train/run_params.hpp.
namespace khsweep::cli {

// One `khsweep train` invocation, validated.
struct TrainRequest : train::RunParams {
  std::string out_path;      // optional output HDF5 path
  std::string config_text;   // the YAML text as given, for provenance ("" without --config)
  std::string config_path;
  bool quiet = false;
  bool force = false;        // --force: --out may replace a file that is not a run file
  bool progress = true;
  bool help = false;         // --help: nothing else was parsed or checked; print train_usage()
};

// Parses the arguments after "khsweep train": --config FILE.yaml, then every table parameter as
// --name value or --name=value (flags override the file's values), --out, --quiet,
// --no-progress, --help. Throws one khsweep::Error listing every problem, one per line, each
// starting with where it is ("run.yaml:7: key 'hiden': ..." or "command line: --epochs: ...").
[[nodiscard]] TrainRequest parse_train_request(const std::vector<std::string>& args);

// Help text for `khsweep train`, generated from the table: every parameter, its accepted values,
// its default and its help line.
[[nodiscard]] std::string train_usage();

}  // namespace khsweep::cli
