// `khsweep recover STORE`: rolls back the commit a killed writer left half done, so that the
// readers (status, query, aggregate, best, compare, plot) can read the store again.
#include <iostream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/store/job_progress.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "khsweep/store/transaction.hpp"

namespace khsweep::cli {

namespace {

constexpr const char* kUsage =
    "usage: khsweep recover STORE.h5\n"
    "  Rolls back a commit that a killed writer left half done (its journal, STORE.h5.journal): the\n"
    "  store is then exactly as it was before that commit, and every committed run is still in it.\n"
    "  Refused while a sweep runs on the store. Nothing to do is not an error. (`khsweep run` does the\n"
    "  same before it resumes; reading commands never do it, they say it is pending.)\n";

}  // namespace

int recover_command(const std::vector<std::string>& args) {
  std::string store_path;
  if (const auto stop = read_store_and_flags(args, "recover", kUsage, store_path)) return *stop;
  try {
    if (const store::JobSight job = store::look_for_job(store_path); job.live) {
      print_problem("recover", store_path + ": a sweep is running on it (" + job.who +
                                   (job.certain ? "" : ", judged from its progress file: this file system gives no locks") +
                                   "); it rolls back its own commits: nothing to recover");
      return kExitInput;
    }
    const bool had_journal = store::has_journal(store_path);
    const bool done = store::recover(store_path);
    if (had_journal && done)
      std::cout << "rolled back an interrupted commit: " << store_path << " is as it was before it\n";
    else
      std::cout << "nothing to recover in " << store_path << "\n";
    return kExitOk;
  } catch (const Error& e) {
    print_problem("recover", e.what());
    return kExitInput;
  }
}

}  // namespace khsweep::cli
