#pragma once
#include <stdexcept>
#include <string>

namespace khsweep {

// The one exception type khsweep throws for bad input or failed I/O.
// Its message is one line a user can act on: where (file, key), what, and why.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
};

// "where: what" — the shape of every khsweep error message.
[[nodiscard]] Error error_at(const std::string& where, const std::string& what);

// What errno value `code` means, e.g. "No such file or directory".
[[nodiscard]] std::string errno_text(int code);

}  // namespace khsweep
