// make_test_store STORE.h5: writes the synthetic store of synthetic_store.hpp (known values) for
// tests in other languages, e.g. python_store_test.py. An existing file is replaced.
#include <exception>
#include <filesystem>
#include <iostream>
#include <system_error>

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
    std::cout << "wrote " << path.string() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "make_test_store: " << e.what() << "\n";
    return 1;
  }
}
