#include "khsweep/sweep/config_file.hpp"

#include <yaml-cpp/yaml.h>

#include <map>

#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/core/text_file.hpp"
#include "yaml_nodes.hpp"

namespace khsweep::sweep {

ConfigFile read_config_file(const std::string& path) {
  ConfigFile file;
  try {
    file.text = read_text_file(path, "config file");
  } catch (const Error& e) {  // its message names the file
    file.problems.emplace_back(e.what());
    return file;
  }

  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(file.text);
  } catch (const YAML::ParserException& e) {
    file.problems.push_back(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                            ": YAML syntax error: " + e.msg);
    return file;
  } catch (const YAML::Exception& e) {
    file.problems.push_back(path + ": YAML error: " + e.what());
    return file;
  }
  if (docs.size() > 1) {
    file.problems.push_back(path + ":" + std::to_string(docs[1].Mark().line + 1) + ": expected one YAML document, found " +
                            std::to_string(docs.size()) + " (remove the '---')");
    return file;
  }
  file.readable = true;
  if (docs.empty() || docs[0].IsNull()) return file;  // an empty file sets nothing
  const YAML::Node& root = docs[0];
  if (!root.IsMap()) {
    file.problems.push_back(path + ":" + std::to_string(root.Mark().line + 1) +
                            ": the top level must be a mapping of parameter names to values ('hidden: 500'), got " +
                            node_kind(root));
    file.readable = false;
    return file;
  }

  std::map<std::string, int> first_line;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const int line = key.Mark().line + 1;
    ConfigEntry entry;
    entry.where = path + ":" + std::to_string(line);
    if (!key.IsScalar()) {
      file.problems.push_back(entry.where + ": keys must be parameter names, got " + node_kind(key));
      continue;
    }
    entry.name = key.Scalar();
    entry.where += ": key " + in_quotes(entry.name);
    if (auto [seen, fresh] = first_line.emplace(entry.name, line); !fresh) entry.first_line = seen->second;
    entry.is_scalar = value.IsScalar();
    if (entry.is_scalar) entry.value = value.Scalar();
    else entry.value_kind = node_kind(value);
    file.entries.push_back(std::move(entry));
  }
  return file;
}

}  // namespace khsweep::sweep
