#include "khsweep/core/error.hpp"

#include <system_error>

namespace khsweep {

Error::Error(const std::string& message) : std::runtime_error(message) {}

Error error_at(const std::string& where, const std::string& what) { return Error(where + ": " + what); }

std::string errno_text(int code) { return std::generic_category().message(code); }

}  // namespace khsweep
