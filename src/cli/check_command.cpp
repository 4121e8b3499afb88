// `khsweep check STORE [--repair]`: whether the index /runs and the run groups /run/<id> agree, and
// (with --repair) making them agree, so that `khsweep run` and the readers take the store again.
#include <iostream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::cli {

namespace {

constexpr const char* kUsage =
    "usage: khsweep check STORE.h5 [--repair]\n"
    "  Reads the whole store and prints one line per problem, then a summary line: a damaged journal\n"
    "  or an interrupted commit, the schema, and whether /runs and the /run/<id> groups agree (every\n"
    "  row of a completed or diverged run has its group, with config, summary, curves and params\n"
    "  readable and the row's status; every group has a row; no id twice; every row's job under\n"
    "  /jobs). Never writes. Exit 0 when the store is sound, 3 when it has problems.\n"
    "  --repair  make /runs and the groups agree, in one crash-safe commit recorded as a job of its\n"
    "            own: a group without a row gets its row rebuilt from the group (its sweep, arm,\n"
    "            data and host columns stay empty: the group does not hold them); a row whose group\n"
    "            is missing or unreadable is removed (the next `khsweep run` retrains the run), and\n"
    "            so is an unreadable group. A schema 1 store is also upgraded to schema 2 (one name\n"
    "            per parameter). Refused while a sweep runs on the store.\n";

std::string line_of(const store::StoreProblem& p) { return (p.id.empty() ? "" : p.id + ": ") + p.problem; }

}  // namespace

int check_command(const std::vector<std::string>& args) {
  std::string store_path;
  bool repair = false;
  if (const auto stop = read_store_and_flags(args, "check", kUsage, store_path, {{"--repair", &repair}})) return *stop;
  try {
    if (repair) {
      const store::RepairReport report = store::repair_store(store_path);
      if (report.rolled_back) std::cout << "rolled back an interrupted commit first\n";
      for (const store::StoreProblem& p : report.repaired) std::cout << line_of(p) << ": " << p.repair << "\n";
      if (!report.repaired.empty())
        std::cout << store_path << ": repaired " << report.repaired.size() << " problem"
                  << (report.repaired.size() == 1 ? "" : "s") << " in one commit, recorded as /jobs/" << report.job
                  << "\n";
      if (report.upgraded)
        std::cout << store_path << ": upgraded from schema " << store::kStoreSchemaV1 << " to " << store::kStoreSchema
                  << " (one name per parameter; run ids unchanged)\n";
    }
    const std::vector<store::StoreProblem> problems = store::check_store(store_path);
    for (const store::StoreProblem& p : problems) std::cout << line_of(p) << " (--repair: " << p.repair << ")\n";
    if (problems.empty()) {
      std::cout << store_path << ": sound: /runs and the /run groups agree\n";
      if (store::store_schema(store_path) != store::kStoreSchema)
        std::cout << store_path << ": schema " << store::store_schema(store_path) << " (readable; the next `khsweep run` "
                  << "into it, or `khsweep check --repair`, upgrades it to " << store::kStoreSchema << ")\n";
      return kExitOk;
    }
    std::cout << store_path << ": " << problems.size() << " problem" << (problems.size() == 1 ? "" : "s")
              << (repair ? " left after the repair\n"
                         : "; `khsweep check --repair " + store_path + "` fixes " +
                               (problems.size() == 1 ? "it\n" : "them\n"));
    return kExitInput;
  } catch (const Error& e) {
    print_problem("check", e.what());
    return kExitInput;
  }
}

}  // namespace khsweep::cli
