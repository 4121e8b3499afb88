#pragma once
#include <string>
#include <vector>

namespace khsweep::cli {

// Exit codes shared by every subcommand (documented in README.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,   // a bug or an unexpected failure
  kExitUsage = 2,      // bad command line or configuration: nothing was run
  kExitInput = 3,      // missing or corrupt data, unwritable output: nothing was run
  kExitDiverged = 4,   // the run diverged; its result was still written
};

// `khsweep train ARGS...`: one run, no MPI. Returns the process exit code.
int train_command(const std::vector<std::string>& args);

}  // namespace khsweep::cli
