#pragma once
// Text helpers shared by every layer: quoting and joining for messages, "did you mean" for
// misspelt names, and fields for the machine-readable output (CSV, JSON).
#include <string>
#include <string_view>
#include <vector>

namespace khsweep {

// "'text'": how a message quotes a name or value the user gave (no escaping: it is for reading).
[[nodiscard]] std::string in_quotes(std::string_view text);

// `text` with ASCII letters lower-cased.
[[nodiscard]] std::string lowercase(std::string_view text);

// The parts with `separator` between each pair: join({"a", "b"}, ", ") is "a, b".
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view separator);

// The candidate `word` is most likely a typo of, for "did you mean ...?": the first candidate at the
// smallest case-insensitive edit distance (a swap of neighbours counts as one edit), or "" when none
// is within the typo budget: no edits for words of one or two letters (every short name would be
// "close" to every other), one up to five letters, two up to nine, three beyond.
[[nodiscard]] std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// One RFC 4180 CSV field: quoted (with doubled quotes) when it holds a comma, quote or line break.
[[nodiscard]] std::string csv_field(const std::string& text);

// A JSON string literal, with quotes, backslashes and control characters escaped.
[[nodiscard]] std::string json_string(const std::string& text);

// A duration as hours, minutes and seconds: "2h 05m 09s", "5m 09s", "9s"; "?" when not known.
[[nodiscard]] std::string hms(double seconds);

// A JSON number in the shortest form that reads back exactly; NaN and infinities as null.
[[nodiscard]] std::string json_number(double value);

}  // namespace khsweep
