#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "khsweep/data/dataset.hpp"
#include "khsweep/train/config.hpp"

// The one place user text (a sweep file's values, `khsweep train`'s YAML file and flags) becomes
// a run's parameters. Every parameter is a row of one table, so the names, the accepted values,
// the help text and the parsing can never drift apart.
namespace khsweep::train {

// Which data a run trains and validates on, and how it is binarised.
struct DataSelection {
  std::string dataset;                  // IDX directory path
  std::size_t train_subset = 0;         // 0: every training sample
  std::size_t validation_subset = 0;    // 0: every validation sample
  data::SubsetMode subset_mode = data::SubsetMode::first;
  std::uint64_t subset_seed = 0;
  int threshold = data::kDefaultThreshold;
};

// Everything the parameter table reads and writes: one run apart from where its output goes.
struct RunParams {
  train::RunConfig config;
  DataSelection data;
};

// What the parameter's text must look like.
enum class ParamKind {
  integer,   // a whole number (int field)
  count,     // a non-negative whole number (std::size_t / std::uint64_t field)
  real,      // a finite number; 1e-3 is fine
  boolean,   // true/false/yes/no
  choice,    // one of `choices`
  path,      // any non-empty text
};

// A parameter's value as the store keeps it: a whole number (signed or not), a real, or text.
using StoredValue = std::variant<std::int64_t, std::uint64_t, double, std::string>;

// One parameter: its name (the YAML key, the --flag, the /runs column and the /config attribute),
// what it accepts, how to set it, and how the store keeps it.
struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::integer;
  std::string group;                    // heading in the usage text
  std::string help;                     // one line
  std::vector<std::string> choices;     // kind == choice: the accepted names
  double min = 0;                       // integer/count/real bounds, when has_min/has_max
  double max = 0;
  bool has_min = false;
  bool has_max = false;
  bool min_exclusive = false;           // "> min" rather than ">= min"
  std::string default_note;             // shown instead of the default value when not empty
  std::vector<std::string> hints;       // other names users try (never accepted; only suggested)
  bool kh_only = false;                 // a KH-rule setting: an RBM reads it only when kh is not none
  std::vector<train::Model> models;     // the model kinds that read it; empty: every kind
  bool selects_data = false;            // picks the data (a DataSelection field), not the model
  bool kh_tuned = false;                // a KH setting the paper's grid search tunes (eps0, delta, S): `best` picks it
  bool blank_when_unread = true;        // /runs shows NaN, 0 or "" where the run does not read it
  std::size_t text_width = 0;           // choice and path rows: bytes of the fixed-width /runs column, NUL included
  std::vector<std::string> former_names;  // its /config attribute or /runs column name in schema 1 files, when it differed
  // Parses text and stores it; returns "" on success, else the reason ("must be >= 1, got 0").
  // Nothing is stored when the text is rejected.
  std::function<std::string(RunParams&, std::string_view)> set;
  // The current value as text that `set` accepts; equal values always print equally.
  std::function<std::string(const RunParams&)> get;
  // The value as set, typed (a boolean as 0/1): what a run's /config group keeps.
  std::function<StoredValue(const RunParams&)> value;
  // The value as the run uses it (S and R resolved from 0, the weights' real precision): what /runs keeps.
  std::function<StoredValue(const RunParams&)> effective;

  // "whole number >= 1", "one of none, top_down, bottom_up", ...: what the value must be.
  [[nodiscard]] std::string accepted() const;
};

// Whether a run of this config reads the parameter: its model kind uses it, and for an RBM a KH
// setting only with kh on. A parameter a run does not read is not in its id and may not be given.
[[nodiscard]] bool reads(const ParamSpec& spec, const train::RunConfig& config);

// The parameter table, in usage order.
[[nodiscard]] const std::vector<ParamSpec>& run_parameters();

// What the /runs column of `spec` holds for a run: the effective value, or where the run does not
// read the parameter (and blank_when_unread) NaN, 0 or "", so a baseline shows no KH settings.
[[nodiscard]] StoredValue column_value(const ParamSpec& spec, const RunParams& params);

// NaN, 0 or "": what /runs shows for a parameter a run does not read.
[[nodiscard]] StoredValue blank_value(const ParamSpec& spec);

// Sets the parameter from a stored value (a /config attribute) through `set`, so the same checks
// apply (a value equal to the current one, such as R's default 0, is taken as is); returns "" or the reason.
[[nodiscard]] std::string set_stored(const ParamSpec& spec, RunParams& params, const StoredValue& value);

// The names of the rows for which `keep` is true, in table order.
[[nodiscard]] std::vector<std::string> parameter_names(const std::function<bool(const ParamSpec&)>& keep);

// The row called exactly `name`, or nullptr.
[[nodiscard]] const ParamSpec* find_parameter(std::string_view name);

// The parameter name closest to an unknown one (by edit distance, or a known alias such as
// "gibbs_steps" -> "k"), or "" when nothing is close.
[[nodiscard]] std::string suggest_parameter(std::string_view unknown);


// Problems between parameters of a run whose values each parsed: `data` missing, eps0 = 0 with
// KH on, KH parameters in `given` (those the user set) while kh is none, then train::validate's.
[[nodiscard]] std::vector<ParamProblem> cross_check(const RunParams& params, const std::vector<std::string>& given);

}  // namespace khsweep::train
