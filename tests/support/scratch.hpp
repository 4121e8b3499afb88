#pragma once
// Test helpers: a private scratch directory, and checks on the message of a khsweep::Error.
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "khsweep/core/error.hpp"

namespace khsweep::testing {

// A file's whole content, as bytes ("" when it cannot be read).
inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh directory under the system temp dir, named `prefix` plus a unique suffix (mkdtemp), so test
// binaries that ctest runs in parallel never share one. Removed with everything in it at scope exit.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "khsweep-test-") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    dir_ = pattern;
  }
  ~ScratchDir() {
    try {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    } catch (...) {  // a destructor must not throw; a leftover temp dir is harmless
    }
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return dir_; }
  // The path of `name` inside the directory; creates nothing.
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return dir_ / name; }
  // The names of the directory's entries, sorted.
  [[nodiscard]] std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path dir_;
};

// The message of the khsweep::Error that `call` throws; fails the test if it throws nothing or something else.
template <class F>
std::string error_of(F&& call) {
  try {
    call();
  } catch (const khsweep::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    BOOST_ERROR("expected khsweep::Error, got another exception: " << e.what());
    return {};
  }
  BOOST_ERROR("expected khsweep::Error, nothing was thrown");
  return {};
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The lines of a (multi-line) error message.
inline std::vector<std::string> message_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Asserts that some line of `message` contains every one of `parts`: one problem, one line.
inline void expect_line(const std::string& message, const std::vector<std::string>& parts) {
  bool found = false;
  for (const auto& line : message_lines(message)) {
    bool all = true;
    for (const auto& p : parts) all = all && contains(line, p);
    found = found || all;
  }
  std::string wanted;
  for (const auto& p : parts) wanted += "[" + p + "] ";
  BOOST_TEST(found, "a line of the message contains " << wanted << "\nmessage:\n" << message);
}

}  // namespace khsweep::testing

// Checks that `message` contains `part`, showing both when it does not.
// Evaluates `message` once, so passing error_of(...) runs the call only once.
#define KHSWEEP_CHECK_MESSAGE_HAS(message, part)                                                  \
  do {                                                                                            \
    const std::string khsweep_message_ = (message);                                               \
    BOOST_TEST(::khsweep::testing::contains(khsweep_message_, part),                              \
               "'" << khsweep_message_ << "' lacks '" << (part) << "'");                          \
  } while (false)
