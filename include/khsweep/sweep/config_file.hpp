#pragma once
// A flat YAML file of 'name: value' lines (`khsweep train --config`), read into plain entries so
// that the caller decides what each name means and yaml-cpp stays inside the sweep layer.
#include <string>
#include <vector>

namespace khsweep::sweep {

// One key of the file's top-level mapping, in file order.
struct ConfigEntry {
  std::string where;          // "run.yaml:7: key 'hidden'" (or "run.yaml:7" when the key is not text)
  std::string name;           // the key; empty when the key is not a single value
  std::string value;          // the scalar value, when is_scalar
  bool is_scalar = false;     // false: `value_kind` says what was given instead ("a list", ...)
  std::string value_kind;
  int first_line = 0;         // > 0: the same key was already given on this line
};

struct ConfigFile {
  std::string text;                    // the file as read, for provenance
  std::vector<ConfigEntry> entries;    // empty for an empty file
  std::vector<std::string> problems;   // "run.yaml:3:5: YAML syntax error: ...", each naming its place
  bool readable = false;               // false: the file could not be read or parsed at all
};

// Reads `path` through core's bounded reader and parses it as one YAML mapping. Never throws for a
// bad file: every problem is in `problems`, each starting with where it is.
[[nodiscard]] ConfigFile read_config_file(const std::string& path);

}  // namespace khsweep::sweep
