#pragma once

namespace khsweep {

// Process exit codes of every subcommand (README.md lists them).
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,     // a bug or an unexpected failure
  kExitUsage = 2,        // bad command line, configuration or sweep file: nothing was run
  kExitInput = 3,        // missing or corrupt data, unusable store or output: nothing was run;
                         // `check`: the store has problems
  kExitDiverged = 4,     // `train`: the run diverged; its result was still written
  kExitRunsFailed = 5,   // `run`: the sweep finished, but some runs threw (recorded in the store)
  kExitInterrupted = 75, // `run`: stopped by a signal after checkpointing; run the same command to resume
};

}  // namespace khsweep
