#pragma once
// Test helpers for commands run in-process: their exit code and what they printed, and a reader
// for the CSV they print.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace khsweep::testing {

struct CommandOutput {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `command` (returning an exit code) with std::cout and std::cerr captured; restores them even
// when it throws.
template <class Command>
CommandOutput capture_output(Command&& command) {
  std::ostringstream out, err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  struct Restore {
    std::streambuf* out;
    std::streambuf* err;
    ~Restore() {
      std::cout.rdbuf(out);
      std::cerr.rdbuf(err);
    }
  } restore{old_out, old_err};
  CommandOutput c;
  c.code = command();
  c.out = out.str();
  c.err = err.str();
  return c;
}

// The fields of one CSV line: RFC 4180 quoting with doubled quotes; no line ends inside fields.
inline std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

}  // namespace khsweep::testing
