#include "khsweep/core/error.hpp"

namespace khsweep {

Error::Error(const std::string& message) : std::runtime_error(message) {}

Error error_at(const std::string& where, const std::string& what) { return Error(where + ": " + what); }

}  // namespace khsweep
