#pragma once
// Text for machine-readable output, shared by every command that prints CSV or JSON.
#include <string>

namespace khsweep {

// One RFC 4180 CSV field: quoted (with doubled quotes) when it holds a comma, quote or line break.
[[nodiscard]] std::string csv_field(const std::string& text);

// A JSON string literal, with quotes, backslashes and control characters escaped.
[[nodiscard]] std::string json_string(const std::string& text);

// A JSON number in the shortest form that reads back exactly; NaN and infinities as null.
[[nodiscard]] std::string json_number(double value);

}  // namespace khsweep
