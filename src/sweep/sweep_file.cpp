// Sweep files: YAML -> validated sections -> the expanded list of runs.
#include "khsweep/sweep/sweep_file.hpp"
#include "yaml_nodes.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/core/text_file.hpp"
#include "khsweep/sweep/load_data.hpp"

namespace khsweep::sweep {
namespace {

// More runs than this is taken as a mistake in the file, not a plan.
constexpr std::size_t kMaxRuns = 1'000'000;

const std::vector<std::string> kTopKeys = {"name", "description", "fixed", "grid", "arms", "service"};
const std::vector<std::string> kServiceKeys = {"checkpoint_every", "commit_every_seconds"};

// Sweep and arm names become file names and table values: [A-Za-z0-9_.-]+ only.
bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (const char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

// Every problem of one file, reported in line order, each distinct line once.
class Problems {
 public:
  explicit Problems(std::string path) : path_(std::move(path)) {}
  // "FILE:LINE: what", or "FILE: what" for line 0.
  void add(int line, const std::string& what) {
    entries_.push_back({line, path_ + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + what});
  }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[noreturn]] void raise() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.line < b.line; });
    std::vector<std::string> lines;
    std::set<std::string> seen;
    for (const auto& e : entries_)
      if (seen.insert(e.text).second) lines.push_back(e.text);
    throw Error(join(lines, "\n"));
  }

 private:
  struct Entry {
    int line;
    std::string text;
  };
  std::string path_;
  std::vector<Entry> entries_;
};

// One parameter set in one place: a scalar (one value) or an axis (a list).
struct Setting {
  const train::ParamSpec* spec = nullptr;
  int line = 0;             // the key's line
  std::string section;      // "fixed", "grid" or "arm 'kh'", as messages name it
  std::vector<std::string> values;  // as written; each accepted by the table

  [[nodiscard]] std::string where() const { return section + ": key " + in_quotes(spec->name); }
};

struct Arm {
  std::string name;  // "" for the implicit arm of a sweep without arms
  int line = 0;
  std::vector<Setting> settings;
};

enum class Lists { refused, allowed, required };

// State of one load: the sections read so far and every problem found.
struct Load {
  Problems problems;
  // False once a section or value the runs need was refused: expanding would check runs that are
  // not the ones the user wrote, and report misleading problems across parameters.
  bool runs_complete = true;
  std::vector<Setting> fixed;
  std::vector<Setting> grid;
  std::vector<Arm> arms;

  DataPaths data_paths = DataPaths::must_exist;

  explicit Load(std::string path) : problems(std::move(path)) {}
};

// Checks one value against its row of the table; returns its canonical text, or nullopt after
// reporting why it was refused.
std::optional<std::string> check_value(Load& st, const train::ParamSpec& spec, const std::string& where,
                                       const YAML::Node& node, int fallback_line) {
  const int line = line_of(node) ? line_of(node) : fallback_line;
  train::RunParams scratch;
  if (auto why = spec.set(scratch, node.Scalar()); !why.empty()) {
    st.problems.add(line, where + ": " + why);
    st.runs_complete = false;
    return std::nullopt;
  }
  if (spec.name == "data") {  // checked here, so every bad path or name is reported at its own line
    const bool absent_allowed = st.data_paths == DataPaths::may_be_absent && is_absent_path(node.Scalar());
    if (auto why = data_value_problem(node.Scalar()); !why.empty() && !absent_allowed)
      st.problems.add(line, where + ": " + why);
  }
  return spec.get(scratch);
}

// Reads one `name: value` or `name: [values]` entry of a parameter section.
std::optional<Setting> read_setting(Load& st, const YAML::Node& key, const YAML::Node& value,
                                    const std::string& section, Lists lists) {
  const int line = line_of(key);
  const std::string name = key.Scalar();
  const train::ParamSpec* spec = train::find_parameter(name);
  if (!spec) {
    std::string why = section + ": key " + in_quotes(name) + ": unknown parameter";
    if (auto near = train::suggest_parameter(name); !near.empty()) why += "; did you mean " + in_quotes(near) + "?";
    else why += " (khsweep train --help lists them)";
    st.problems.add(line, why);
    return std::nullopt;
  }
  Setting s;
  s.spec = spec;
  s.line = line;
  s.section = section;
  const std::string where = s.where();
  const auto refuse = [&](const std::string& why) {
    st.problems.add(line, where + ": " + why);
    st.runs_complete = false;
    return std::nullopt;
  };

  if (value.IsScalar()) {
    if (lists == Lists::required)
      return refuse("an axis is a list of values ([a, b]); put a single value under fixed, or write [" +
                    value.Scalar() + "]");
    if (!check_value(st, *spec, where, value, line)) return std::nullopt;
    s.values.push_back(value.Scalar());
    return s;
  }
  if (!value.IsSequence()) return refuse("expected " + spec->accepted() + ", got " + node_kind(value));
  if (lists == Lists::refused)
    return refuse("got a list; put lists under grid (or in an arm), fixed takes one value per parameter");
  if (value.size() == 0) return refuse("an empty list gives no runs; give at least one value");

  std::map<std::string, int> seen;  // canonical value -> its line, so 0.01 and 1e-2 are one value
  for (const YAML::Node& item : value) {
    const int item_line = line_of(item) ? line_of(item) : line;
    if (!item.IsScalar()) {
      st.problems.add(item_line, where + ": list items must be single values, got " + node_kind(item));
      st.runs_complete = false;
      continue;
    }
    const auto canonical = check_value(st, *spec, where, item, line);
    if (!canonical) continue;
    if (auto [first, fresh] = seen.emplace(*canonical, item_line); !fresh) {
      st.problems.add(item_line, where + ": value " + in_quotes(item.Scalar()) +
                                     " appears twice in this axis (first on line " + std::to_string(first->second) + ")");
      continue;  // dropping it keeps the expansion right; the problem is still reported
    }
    s.values.push_back(item.Scalar());
  }
  if (s.values.empty()) return std::nullopt;
  return s;
}

// Reads a mapping of parameters (fixed, grid, or an arm without its `name`).
std::vector<Setting> read_settings(Load& st, const YAML::Node& map, const std::string& section, Lists lists,
                                   const char* skip_key = nullptr) {
  std::vector<Setting> out;
  std::map<std::string, int> first_line;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    const int line = line_of(key);
    if (!key.IsScalar()) {
      st.problems.add(line, section + ": keys must be parameter names, got " + node_kind(key));
      continue;
    }
    const std::string name = key.Scalar();
    if (skip_key && name == skip_key) continue;
    if (auto [seen, fresh] = first_line.emplace(name, line); !fresh) {
      st.problems.add(line, section + ": key " + in_quotes(name) + ": given twice (first on line " +
                                std::to_string(seen->second) + ")");
      continue;
    }
    if (auto s = read_setting(st, key, it->second, section, lists)) out.push_back(std::move(*s));
  }
  return out;
}

// A parameter section must be a mapping; an empty one ("grid:") sets nothing.
bool is_section(Load& st, const YAML::Node& node, int line, const std::string& name, const std::string& example) {
  if (node.IsNull() || node.IsMap()) return true;
  st.problems.add(line, name + ": must be a mapping of parameter names to values (" + example + "), got " +
                            node_kind(node));
  st.runs_complete = false;
  return false;
}

void read_arms(Load& st, const YAML::Node& node, int line) {
  if (!node.IsSequence()) {
    st.problems.add(line,
                    "arms: must be a list of arms ('- name: baseline' then its parameters), got " + node_kind(node));
    st.runs_complete = false;
    return;
  }
  if (node.size() == 0) {
    st.problems.add(line, "arms: an empty list gives no runs; remove it, or give at least one arm");
    st.runs_complete = false;
    return;
  }
  std::map<std::string, int> names;
  std::size_t number = 0;
  for (const YAML::Node& item : node) {
    ++number;
    const int item_line = line_of(item) ? line_of(item) : line;
    if (!item.IsMap()) {
      st.problems.add(item_line, "arms: arm " + std::to_string(number) + " must be a mapping with a name, got " +
                                     node_kind(item));
      st.runs_complete = false;
      continue;
    }
    Arm arm;
    arm.line = item_line;
    const YAML::Node name = item["name"];
    if (!name) {
      st.problems.add(item_line, "arms: arm " + std::to_string(number) + " has no name; add 'name: ...'");
      st.runs_complete = false;
    } else if (!name.IsScalar() || !valid_name(name.Scalar())) {
      st.problems.add(line_of(name) ? line_of(name) : item_line,
                      "arms: arm " + std::to_string(number) + ": name must be letters, digits, '_', '.' or '-', got " +
                          (name.IsScalar() ? in_quotes(name.Scalar()) : node_kind(name)));
      st.runs_complete = false;
    } else {
      arm.name = name.Scalar();
      if (auto [first, fresh] = names.emplace(arm.name, item_line); !fresh) {
        st.problems.add(item_line, "arm " + in_quotes(arm.name) + ": name used twice (first on line " +
                                       std::to_string(first->second) + ")");
        st.runs_complete = false;
      }
    }
    const std::string section = arm.name.empty() ? "arm " + std::to_string(number) : "arm " + in_quotes(arm.name);
    arm.settings = read_settings(st, item, section, Lists::allowed, "name");
    st.arms.push_back(std::move(arm));
  }
}

std::optional<long long> read_integer(const std::string& text) {
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<double> read_number(const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

void read_service(Load& st, const YAML::Node& node, int line, SweepService& service) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    st.problems.add(line, "service: must be a mapping ('checkpoint_every: 10'), got " + node_kind(node));
    return;
  }
  std::map<std::string, int> first_line;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const int key_line = line_of(it->first);
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
    const std::string where = "service: key " + in_quotes(name);
    if (auto [seen, fresh] = first_line.emplace(name, key_line); !fresh) {
      st.problems.add(key_line, where + ": given twice (first on line " + std::to_string(seen->second) + ")");
      continue;
    }
    const bool checkpoint = name == "checkpoint_every", commit = name == "commit_every_seconds";
    if (!checkpoint && !commit) {
      std::string why = where + ": unknown setting";
      if (auto near = closest_match(name, kServiceKeys); !near.empty())
        why += "; did you mean " + in_quotes(near) + "?";
      else if (train::find_parameter(name)) why += "; run parameters go under fixed or grid";
      else why += " (expected " + join(kServiceKeys, " or ") + ")";
      st.problems.add(key_line, why);
      continue;
    }
    const YAML::Node value = it->second;
    const std::string text = value.IsScalar() ? value.Scalar() : "";
    if (checkpoint) {
      const auto v = read_integer(text);
      if (!value.IsScalar() || !v || *v < 1 || *v > 1'000'000'000)
        st.problems.add(key_line, where + ": expected a whole number in 1..1000000000 (epochs between checkpoints), got " +
                                      (value.IsScalar() ? in_quotes(text) : node_kind(value)));
      else service.checkpoint_every = static_cast<int>(*v);
    } else {
      const auto v = read_number(text);
      if (!value.IsScalar() || !v || !(*v > 0))
        st.problems.add(key_line, where + ": expected a number > 0 (seconds), got " +
                                      (value.IsScalar() ? in_quotes(text) : node_kind(value)));
      else service.commit_every_seconds = *v;
    }
  }
}

// A parameter may be set in one place: fixed, grid, or arms (each arm may set it).
void check_places(Load& st) {
  std::map<std::string, const Setting*> outer;
  const auto claim = [&](std::vector<Setting>& settings) {
    std::vector<Setting> kept;
    for (auto& s : settings) {
      if (auto it = outer.find(s.spec->name); it != outer.end()) {
        st.problems.add(s.line, s.where() + ": also set in " + it->second->section + " (line " +
                                    std::to_string(it->second->line) + "); set each parameter in one place");
        continue;
      }
      kept.push_back(s);
    }
    settings = std::move(kept);
  };
  claim(st.fixed);
  for (const auto& s : st.fixed) outer.emplace(s.spec->name, &s);
  claim(st.grid);
  for (const auto& s : st.grid) outer.emplace(s.spec->name, &s);
  for (auto& arm : st.arms) claim(arm.settings);
}

std::size_t saturating_product(std::size_t a, std::size_t b) {
  if (a != 0 && b > (kMaxRuns + 1) / a) return kMaxRuns + 1;
  return std::min(a * b, kMaxRuns + 1);
}

std::size_t count_runs(const Load& st) {
  std::size_t grid = 1;
  for (const auto& s : st.grid) grid = saturating_product(grid, s.values.size());
  std::size_t total = 0;
  for (const auto& arm : st.arms) {
    std::size_t n = grid;
    for (const auto& s : arm.settings) n = saturating_product(n, s.values.size());
    total = std::min(total + n, kMaxRuns + 1);
  }
  return total;
}

// Every run in order: arms in file order; within an arm, the grid axes then the arm's axes as
// nested loops in file order, the first slowest. Cross checks run on each, each distinct problem
// reported once.
std::vector<PlannedRun> expand(Load& st) {
  train::RunParams base;
  for (const auto& s : st.fixed) (void)s.spec->set(base, s.values.front());

  // Problems with a parameter no place sets (or with none): message -> the arms it occurs in.
  std::map<std::string, std::set<std::size_t>> unplaced;

  std::vector<PlannedRun> runs;
  for (std::size_t arm_index = 0; arm_index < st.arms.size(); ++arm_index) {
    const Arm& arm = st.arms[arm_index];
    std::vector<const Setting*> axes;
    for (const auto& s : st.grid) axes.push_back(&s);
    for (const auto& s : arm.settings) axes.push_back(&s);
    std::vector<std::string> given;
    for (const auto& s : st.fixed) given.push_back(s.spec->name);
    for (const Setting* s : axes) given.push_back(s->spec->name);
    // Where a problem with `name` is reported: the innermost place that sets it.
    const auto place = [&](const std::string& name) -> const Setting* {
      for (auto it = axes.rbegin(); it != axes.rend(); ++it)
        if ((*it)->spec->name == name) return *it;
      for (const auto& s : st.fixed)
        if (s.spec->name == name) return &s;
      return nullptr;
    };

    std::vector<std::size_t> at(axes.size(), 0);
    while (true) {
      PlannedRun run;
      run.params = base;
      for (std::size_t a = 0; a < axes.size(); ++a) (void)axes[a]->spec->set(run.params, axes[a]->values[at[a]]);
      run.arm = arm.name;
      run.index = runs.size();

      for (const train::ParamProblem& p : train::cross_check(run.params, given)) {
        const std::string key = p.parameter.empty() ? "" : "key " + in_quotes(p.parameter) + ": ";
        if (const Setting* s = p.parameter.empty() ? nullptr : place(p.parameter)) {
          const bool from_arm = std::any_of(arm.settings.begin(), arm.settings.end(),
                                            [s](const Setting& mine) { return &mine == s; });
          const std::string context = arm.name.empty() || from_arm ? "" : ", in arm " + in_quotes(arm.name);
          st.problems.add(s->line, s->where() + context + ": " + p.reason);
        } else {
          unplaced[key + p.reason].insert(arm_index);
        }
      }
      runs.push_back(std::move(run));

      std::size_t a = axes.size();  // odometer: the last axis turns fastest
      while (a > 0 && ++at[a - 1] == axes[a - 1]->values.size()) at[--a] = 0;
      if (a == 0) break;
    }
  }
  // Said of the file when every arm has it (a missing `data`), else of the arms that do.
  for (const auto& [message, arms] : unplaced) {
    if (arms.size() == st.arms.size()) {
      st.problems.add(0, message);
      continue;
    }
    for (std::size_t a : arms) st.problems.add(st.arms[a].line, "arm " + in_quotes(st.arms[a].name) + ": " + message);
  }
  return runs;
}

}  // namespace

Sweep load_sweep(const std::filesystem::path& path, DataPaths data_paths) {
  Sweep sweep;
  sweep.path = path.string();
  Load st(sweep.path);
  st.data_paths = data_paths;
  sweep.text = read_text_file(path, "sweep file");

  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(sweep.text);
  } catch (const YAML::ParserException& e) {
    throw Error(sweep.path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw Error(sweep.path + ": YAML error: " + e.what());
  }
  if (docs.size() > 1) {
    st.problems.add(line_of(docs[1]), "expected one YAML document, found " + std::to_string(docs.size()) +
                                          " (remove the '---')");
    st.problems.raise();
  }
  if (docs.empty() || !docs[0].IsMap()) {
    st.problems.add(docs.empty() ? 0 : line_of(docs[0]),
                    "the top level must be a mapping with name, fixed, grid, ... (docs/sweep-files.md), got " +
                        (docs.empty() ? std::string("an empty file") : node_kind(docs[0])));
    st.problems.raise();
  }
  const YAML::Node& root = docs[0];

  std::map<std::string, int> first_line;
  bool has_arms = false;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const int line = line_of(key);
    if (!key.IsScalar()) {
      st.problems.add(line, "keys must be names, got " + node_kind(key));
      continue;
    }
    const std::string name = key.Scalar();
    if (auto [seen, fresh] = first_line.emplace(name, line); !fresh) {
      st.problems.add(line,
                      "key " + in_quotes(name) + ": given twice (first on line " + std::to_string(seen->second) + ")");
      continue;
    }
    if (name == "name" || name == "description") {
      if (!value.IsScalar()) {
        st.problems.add(line, "key " + in_quotes(name) + ": expected text, got " + node_kind(value));
      } else if (name == "description") {
        sweep.description = value.Scalar();
      } else if (!valid_name(value.Scalar())) {
        st.problems.add(line, "key 'name': must be letters, digits, '_', '.' or '-', got " + in_quotes(value.Scalar()));
      } else {
        sweep.name = value.Scalar();
      }
    } else if (name == "fixed") {
      if (is_section(st, value, line, "fixed", "'epochs: 20'"))
        st.fixed = read_settings(st, value, "fixed", Lists::refused);
    } else if (name == "grid") {
      if (is_section(st, value, line, "grid", "'hidden: [100, 500]'"))
        st.grid = read_settings(st, value, "grid", Lists::required);
    } else if (name == "arms") {
      has_arms = true;
      read_arms(st, value, line);
    } else if (name == "service") {
      read_service(st, value, line, sweep.service);
    } else {
      std::string why = "key " + in_quotes(name) + ": unknown key";
      if (auto near = closest_match(name, kTopKeys); !near.empty())
        why += "; did you mean " + in_quotes(near) + "?";
      else if (const std::string param = train::find_parameter(name) ? name : train::suggest_parameter(name); !param.empty())
        why += "; run parameters such as " + in_quotes(param) + " go under fixed (one value) or grid (a list)";
      else
        why += " (expected one of " + join(kTopKeys, ", ") + ")";
      st.problems.add(line, why);
      if (train::find_parameter(name)) st.runs_complete = false;  // the runs would miss what the user meant
    }
  }
  if (first_line.find("name") == first_line.end())
    st.problems.add(0, "key 'name' is missing: every sweep needs a name (letters, digits, '_', '.', '-')");
  if (!has_arms) st.arms.push_back(Arm{});  // one implicit arm

  check_places(st);
  if (st.runs_complete) {
    const std::size_t count = count_runs(st);
    if (count > kMaxRuns)
      st.problems.add(0, "expands to more than " + std::to_string(kMaxRuns) + " runs; split it into smaller sweeps");
    else if (count == 0)
      st.problems.add(0, "expands to no runs");
    else
      sweep.runs = expand(st);
  }
  if (!st.problems.empty()) st.problems.raise();
  return sweep;
}

std::vector<std::string> varying_parameters(const Sweep& sweep) {
  std::vector<std::string> out;
  for (const auto& p : train::run_parameters()) {
    std::set<std::string> values;
    for (const auto& run : sweep.runs)
      if (train::reads(p, run.params.config)) values.insert(p.get(run.params));
    if (values.size() > 1) out.push_back(p.name);
  }
  return out;
}

}  // namespace khsweep::sweep
