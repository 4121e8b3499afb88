#pragma once
// Test helper: tests on the real MNIST run only where KHSWEEP_MNIST_DIR names it (scripts/test.sh
// sets it to data/mnist) and are skipped elsewhere.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>

namespace khsweep::testing {

// Use as *boost::unit_test::precondition(mnist_present).
inline boost::test_tools::assertion_result mnist_present(boost::unit_test::test_unit_id) {
  const char* dir = std::getenv("KHSWEEP_MNIST_DIR");
  boost::test_tools::assertion_result present(dir != nullptr && *dir != '\0' && std::filesystem::is_directory(dir));
  if (!present) present.message() << "KHSWEEP_MNIST_DIR is unset or not a directory";
  return present;
}

}  // namespace khsweep::testing
