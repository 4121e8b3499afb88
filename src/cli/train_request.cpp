// `khsweep train`'s front end: a YAML file and flags -> one validated run.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "khsweep/cli/train_request.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/sweep/config_file.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"

namespace khsweep::cli {

using train::cross_check;
using train::find_parameter;
using train::ParamKind;
using train::ParamProblem;
using train::ParamSpec;
using train::run_parameters;
using train::RunParams;
using train::suggest_parameter;

namespace {

// Options of `khsweep train` that are not run parameters.
struct CommandOption {
  const char* name;
  const char* placeholder;  // "" when the option takes no value
  bool in_yaml;             // also a config-file key
  const char* help;
};

const std::vector<CommandOption>& command_options() {
  static const std::vector<CommandOption> options = {
      {"config", "FILE", false, "read parameters from a YAML file (one 'name: value' per line); flags override it"},
      {"out", "FILE", true, "write the run's HDF5 file here (also a config key)"},
      {"force", "", false,
       "let --out replace an existing file that is not a run file (never a sweep store or a non-regular file)"},
      {"quiet", "", false, "print nothing but errors"},
      {"no-progress", "", false, "no per-epoch progress lines"},
      {"help", "", false, "print this help (also -h)"},
  };
  return options;
}

const CommandOption* find_command_option(std::string_view name) {
  for (const auto& o : command_options())
    if (name == o.name) return &o;
  return nullptr;
}

// Every name a user may type, for did-you-mean on the command line.
std::vector<std::string> flag_names() {
  std::vector<std::string> names;
  for (const auto& p : train::run_parameters()) names.push_back(p.name);
  for (const auto& o : command_options()) names.emplace_back(o.name);
  return names;
}

// Problems with their place. Reported file first (in line order), then the command line (in
// argument order), then the checks across parameters.
enum class Stage { file, command_line, cross };

class Problems {
 public:
  // `order` sorts within a stage (an argument's index); by default, the order of adding.
  void add(Stage stage, const std::string& where, const std::string& what, std::size_t order = SIZE_MAX) {
    add_line(stage, where + ": " + what, order);
  }
  // A problem whose text already starts with its place (a khsweep::Error's message).
  void add_line(Stage stage, const std::string& line, std::size_t order = SIZE_MAX) {
    entries_.push_back({stage, order == SIZE_MAX ? entries_.size() : order, line});
  }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[noreturn]] void raise() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.stage != b.stage ? a.stage < b.stage : a.order < b.order;
    });
    std::vector<std::string> lines;
    for (const auto& e : entries_) lines.push_back(e.line);
    throw Error(join(lines, "\n"));
  }

 private:
  struct Entry {
    Stage stage;
    std::size_t order;
    std::string line;
  };
  std::vector<Entry> entries_;
};

constexpr const char* kCommandLine = "command line";

std::string flag_where(std::string_view name) { return std::string(kCommandLine) + ": --" + std::string(name); }


// State of one parse: the request, where each parameter got its value, and the problems.
struct Parse {
  TrainRequest request;
  std::map<std::string, std::string> where;  // parameter -> "file:7: key 'x'" / "command line: --x"
  std::vector<std::string> given;            // parameters the user set, in first-set order
  Problems problems;

  void record(const std::string& name, const std::string& place) {
    if (where.find(name) == where.end()) given.push_back(name);
    where[name] = place;
  }
  // The place a problem with `name` is reported at: where it was set, else the input as a whole.
  [[nodiscard]] std::string place_of(const std::string& name) const {
    if (auto it = where.find(name); it != where.end()) return it->second;
    if (!request.config_path.empty()) return name.empty() ? request.config_path : request.config_path + ": key " + in_quotes(name);
    return name.empty() ? std::string(kCommandLine) : flag_where(name);
  }
};

// Reads --config's file into the request. Returns false when the file could not be read or
// parsed at all, so that checks depending on its contents are skipped rather than misleading.
bool apply_config_file(Parse& st) {
  sweep::ConfigFile file = sweep::read_config_file(st.request.config_path);
  st.request.config_text = std::move(file.text);
  for (const std::string& problem : file.problems) st.problems.add_line(Stage::file, problem);
  if (!file.readable) return false;

  for (const sweep::ConfigEntry& entry : file.entries) {
    const std::string& name = entry.name;
    const std::string& where = entry.where;
    if (entry.first_line > 0) {
      st.problems.add(Stage::file, where, "given twice (first on line " + std::to_string(entry.first_line) + ")");
      continue;
    }
    const train::ParamSpec* spec = train::find_parameter(name);
    const CommandOption* option = spec ? nullptr : find_command_option(name);
    if (!spec && !option) {
      std::string why = "unknown parameter";
      if (auto near = train::suggest_parameter(name); !near.empty()) why += "; did you mean " + in_quotes(near) + "?";
      else why += " (khsweep train --help lists them)";
      st.problems.add(Stage::file, where, why);
      continue;
    }
    if (option && !option->in_yaml) {
      st.problems.add(Stage::file, where, std::string("is a command-line option (--") + option->name + "), not a config key");
      continue;
    }
    const std::string accepted = spec ? spec->accepted() : "a path";
    if (!entry.is_scalar) {
      st.problems.add(Stage::file, where, "expected " + accepted + ", got " + entry.value_kind);
      continue;
    }
    if (option) {  // out
      if (entry.value.empty()) st.problems.add(Stage::file, where, "needs a non-empty path");
      else st.request.out_path = entry.value;
      continue;
    }
    if (auto why = spec->set(st.request, entry.value); !why.empty()) {
      st.problems.add(Stage::file, where, why);
      continue;
    }
    st.record(name, where);
  }
  return true;
}

struct GivenFlag {
  std::string name;
  std::optional<std::string> value;
  std::size_t index = 0;  // position among the arguments, to report problems in order
};

// Splits the arguments into flags, reporting malformed ones; values are checked later.
std::vector<GivenFlag> split_flags(const std::vector<std::string>& args, Problems& problems) {
  std::vector<GivenFlag> flags;
  std::map<std::string, bool> seen;
  ArgReader in(args, "train");
  while (in.next()) {
    if (in.arg().size() < 3 || in.arg().rfind("--", 0) != 0) {
      problems.add(Stage::command_line, kCommandLine,
                   "unexpected argument " + in_quotes(in.arg()) + "; parameters are given as --name value", in.position());
      continue;
    }
    GivenFlag f;
    f.index = in.position();
    f.name = in.option().substr(2);
    f.value = in.inline_value();

    const train::ParamSpec* spec = train::find_parameter(f.name);
    const CommandOption* option = spec ? nullptr : find_command_option(f.name);
    if (!spec && !option) {
      std::string why = "unknown option";
      std::string near = closest_match(f.name, flag_names());
      if (near.empty()) near = train::suggest_parameter(f.name);
      if (!near.empty()) why += "; did you mean --" + near + "?";
      else why += " (khsweep train --help lists them)";
      problems.add(Stage::command_line, flag_where(f.name), why, f.index);
      (void)in.value_if_given();  // skip its value
      continue;
    }
    const bool takes_value = spec ? true : option->placeholder[0] != '\0';
    if (!takes_value) {
      if (f.value) {
        problems.add(Stage::command_line, flag_where(f.name), "takes no value, got " + in_quotes(*f.value), f.index);
        continue;
      }
    } else {
      f.value = in.value_if_given();
      if (!f.value && spec && spec->kind == train::ParamKind::boolean) f.value = "true";  // a bare boolean flag
      if (!f.value) {
        problems.add(Stage::command_line, flag_where(f.name), "needs a value", f.index);
        continue;
      }
    }
    if (seen[f.name]) {
      problems.add(Stage::command_line, flag_where(f.name), "given twice", f.index);
      continue;
    }
    seen[f.name] = true;
    flags.push_back(std::move(f));
  }
  return flags;
}

}  // namespace

TrainRequest parse_train_request(const std::vector<std::string>& args) {
  Parse st;
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      st.request.help = true;
      return st.request;
    }

  const std::vector<GivenFlag> flags = split_flags(args, st.problems);
  for (const GivenFlag& f : flags)
    if (f.name == "config") st.request.config_path = *f.value;

  bool file_ok = true;
  if (!st.request.config_path.empty()) file_ok = apply_config_file(st);

  // Flags after the file, so they override it wherever they stand on the line.
  for (const GivenFlag& f : flags) {
    const std::string where = flag_where(f.name);
    if (f.name == "config") continue;
    if (f.name == "quiet") st.request.quiet = true;
    else if (f.name == "force") st.request.force = true;
    else if (f.name == "no-progress") st.request.progress = false;
    else if (f.name == "out") {
      if (f.value->empty()) st.problems.add(Stage::command_line, where, "needs a non-empty path", f.index);
      else st.request.out_path = *f.value;
    } else if (const train::ParamSpec* spec = train::find_parameter(f.name)) {
      if (auto why = spec->set(st.request, *f.value); !why.empty())
        st.problems.add(Stage::command_line, where, why, f.index);
      else st.record(f.name, where);
    }
  }

  // The data value is checked whenever one was given, even if the file could not be read.
  std::vector<train::ParamProblem> cross;
  const std::string& data = st.request.data.dataset;
  if (!data.empty())
    if (auto why = sweep::data_value_problem(data); !why.empty()) cross.push_back({"data", why});
  // Checks across parameters only make sense once the file's values are in.
  if (file_ok) {
    const std::vector<train::ParamProblem> more = train::cross_check(st.request, st.given);
    cross.insert(cross.end(), more.begin(), more.end());
  }
  for (const auto& p : cross) st.problems.add(Stage::cross, st.place_of(p.parameter), p.reason);

  if (!st.problems.empty()) st.problems.raise();
  return st.request;
}

std::string train_usage() {
  std::ostringstream out;
  const train::RunParams defaults;
  const auto placeholder = [](const train::ParamSpec& p) -> std::string {
    switch (p.kind) {
      case train::ParamKind::integer:
      case train::ParamKind::count: return "N";
      case train::ParamKind::real: return "X";
      case train::ParamKind::boolean: return "[BOOL]";
      case train::ParamKind::choice: return join(p.choices, "|");
      case train::ParamKind::path: return "NAME|DIR";
    }
    return "VALUE";
  };
  const auto row = [&out](const std::string& flag, const std::string& first, const std::string& second) {
    constexpr std::size_t width = 30;
    out << "  " << flag;
    if (flag.size() + 2 < width) out << std::string(width - 2 - flag.size(), ' ');
    else out << "\n" << std::string(width, ' ');
    out << first << "\n";
    if (!second.empty()) out << std::string(width, ' ') << second << "\n";
  };

  out << "Usage: khsweep train --data NAME|DIR [--name value ...]\n"
         "       khsweep train --config run.yaml [--name value ...]\n"
         "\n"
         "Trains one RBM (optionally Krotov-Hopfield modulated) and records its metrics.\n"
         "Every parameter is a key of the --config YAML file ('hidden: 500') and a flag\n"
         "('--hidden 500' or '--hidden=500'); flags override the file. Every problem is\n"
         "reported at once, with its file and line. The Krotov-Hopfield parameters are\n"
         "refused when kh is none, so that a baseline run never looks like a KH run.\n";
  // By group, the groups in the order they first appear: a row placed later in the table (the
  // table's order is the store's column order, which stays) still shows under its own heading.
  std::vector<std::string> groups;
  for (const auto& p : train::run_parameters())
    if (std::find(groups.begin(), groups.end(), p.group) == groups.end()) groups.push_back(p.group);
  for (const std::string& group : groups) {
    out << "\n" << group << ":\n";
    for (const auto& p : train::run_parameters()) {
      if (p.group != group) continue;
      const std::string shown = p.default_note.empty() ? p.get(defaults) : p.default_note;
      std::string second = p.kind == train::ParamKind::choice ? "" : p.accepted() + "; ";
      if (p.kind == train::ParamKind::boolean) second = "true/false/yes/no, bare: true; ";
      second += shown == "required" ? shown : "default: " + shown;
      row("--" + p.name + " " + placeholder(p), p.help, second);
    }
  }
  out << "\nOther options:\n";
  for (const auto& o : command_options())
    row(std::string("--") + o.name + (o.placeholder[0] ? std::string(" ") + o.placeholder : ""), o.help, "");
  return out.str();
}

}  // namespace khsweep::cli
