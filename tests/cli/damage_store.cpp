// damage_store: damages a sweep store the way an edit behind khsweep's back does, for
// check_repair.sh (tests/support/damaged_store.hpp has the damage).
//   damage_store remove S.h5 OBJECT    unlinks OBJECT, e.g. run/<id> or run/<id>/summary
//   damage_store drop-row S.h5 ID      removes run ID's row from /runs, keeping its group
#include <iostream>
#include <string>

#include "../support/damaged_store.hpp"
#include "khsweep/core/error.hpp"

int main(int argc, char** argv) {
  const std::string what = argc == 4 ? argv[1] : "";
  if (what != "remove" && what != "drop-row") {
    std::cerr << "usage: damage_store remove S.h5 OBJECT | drop-row S.h5 ID\n";
    return 2;
  }
  try {
    if (what == "remove")
      khsweep::testing::remove_from_store(argv[2], argv[3]);
    else
      khsweep::testing::drop_index_row(argv[2], argv[3]);
    return 0;
  } catch (const khsweep::Error& e) {
    std::cerr << "damage_store: " << e.what() << "\n";
    return 1;
  }
}
