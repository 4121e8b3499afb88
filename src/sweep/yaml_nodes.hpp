#pragma once
// Small facts about yaml-cpp nodes for error messages, shared by every YAML reader (sweep files,
// `khsweep train --config`).
#include <yaml-cpp/yaml.h>

#include <string>

namespace khsweep::sweep {

// 1-based line of a node; 0 when yaml-cpp has no position for it.
inline int line_of(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

// What a node is, for "expected a number, got a list" messages.
inline std::string node_kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Null: return "no value";
    case YAML::NodeType::Scalar: return "a single value";
    default: return "nothing";
  }
}

}  // namespace khsweep::sweep
