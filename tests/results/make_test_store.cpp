// make_test_store STORE.h5: writes the synthetic store of synthetic_store.hpp (known values) for
// tests in other languages, e.g. python_store_test.py, with its /aggregates as `khsweep aggregate`
// writes them. An existing file is replaced.
#include <exception>
#include <filesystem>
#include <iostream>
#include <system_error>
#include <vector>

#include "khsweep/results/aggregate.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "synthetic_store.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_test_store STORE.h5\n";
    return 2;
  }
  try {
    const std::filesystem::path path = argv[1];
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    khsweep::testing::write_synthetic_store(path);
    namespace results = khsweep::results;
    results::Aggregate aggregate;
    khsweep::store::read_store(path, 5.0, [&](const khsweep::h5::File& file) {
      const khsweep::store::IndexTable table = khsweep::store::read_index(file);
      std::vector<std::size_t> rows(table.rows);
      for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = r;
      aggregate = results::aggregate_runs(table, rows, &file);
    });
    results::store_aggregates(path, aggregate, "", 5.0);
    std::cout << "wrote " << path.string() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "make_test_store: " << e.what() << "\n";
    return 1;
  }
}
