// `khsweep plan`: validates a sweep file and shows what it would run and what it would cost.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/data/catalog.hpp"
#include "khsweep/sweep/cost.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/sweep/run_id.hpp"
#include "khsweep/sweep/sweep_file.hpp"

namespace khsweep::cli {
namespace {

constexpr const char* kUsage =
    "Usage: khsweep plan SWEEP.yaml [--list N|all] [--format table|csv] [--workers N]\n"
    "\n"
    "Validates a sweep file (docs/sweep-files.md), reporting every problem at once, then prints\n"
    "its runs: count per arm, the datasets, the first N runs (default 20) with their ids, the\n"
    "parameters that vary and an estimated duration, and the total cost in core-hours with the\n"
    "wall time on 1, 2, 8 and 64 workers, and the largest run's memory. Nothing is trained.\n"
    "A run whose estimated memory exceeds this machine's ($KHSWEEP_MEMORY when set) is refused\n"
    "(exit 3), naming the parameter to lower.\n"
    "\n"
    "Data that is not on this machine yet (a login node) does not stop the plan: a known dataset's\n"
    "sizes and checksums come from khsweep's catalogue, so its ids are final; for data given by a\n"
    "path that is not there, ids are provisional (marked ?) and MNIST's sizes are assumed. The plan\n"
    "says which data checks were skipped; `khsweep run` makes them all.\n"
    "\n"
    "  --list N|all          runs to list (default 20; with --format csv, all)\n"
    "  --format table|csv    csv: only the run list, one row per run, for scripts\n"
    "  --workers N           also show the wall time on N workers (MPI ranks: every rank trains)\n"
    "  --help                print this help (also -h)\n";

// The worker counts whose wall time is shown.
constexpr int kWorkerCounts[] = {1, 2, 8, 64};

struct PlanArgs {
  std::string path;
  std::size_t list = 20;
  bool list_given = false;
  bool csv = false;
  bool help = false;
  int workers = 0;  // --workers: one more worker count for the wall time
};

// Every line of a (possibly multi-line) error, prefixed so each reads on its own in a log.
void report(const std::string& message) {
  std::istringstream lines(message);
  for (std::string line; std::getline(lines, line);) std::cerr << "khsweep plan: " << line << "\n";
}

PlanArgs parse_args(const std::vector<std::string>& args) {
  PlanArgs out;
  ArgReader in(args, "plan");
  while (in.next()) {
    if (in.help()) {
      out.help = true;
      return out;
    }
    if (in.positional()) {
      if (out.path.empty()) out.path = in.arg();
      else in.problem("unexpected argument '" + in.arg() + "'; plan takes one sweep file");
    } else if (in.option() == "--format") {
      if (const auto value = in.value()) {
        if (*value == "csv" || *value == "table") out.csv = *value == "csv";
        else in.problem("--format: must be one of table, csv, got '" + *value + "'");
      }
    } else if (in.option() == "--workers") {
      if (const auto value = in.value()) {
        int n = 0;
        auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
        if (ec == std::errc() && end == value->data() + value->size() && n >= 1) out.workers = n;
        else in.problem("--workers: expected a whole number >= 1, got '" + *value + "'");
      }
    } else if (in.option() == "--list") {
      if (const auto value = in.value()) {
        out.list_given = true;
        std::size_t n = 0;
        auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
        if (*value == "all") out.list = SIZE_MAX;
        else if (ec == std::errc() && end == value->data() + value->size()) out.list = n;
        else in.problem("--list: expected a whole number >= 0 or 'all', got '" + *value + "'");
      }
    } else {
      in.unknown_option();
    }
  }
  if (out.path.empty() && in.problems().empty()) in.problem("no sweep file given");
  if (!in.problems().empty()) {
    // "command line: " sets them apart from the sweep file's problems, which name file and line.
    for (std::string& problem : in.problems()) problem.insert(0, "command line: ");
    throw Error(join(in.problems(), "\n"));
  }
  if (out.csv && !out.list_given) out.list = SIZE_MAX;
  return out;
}

// Where a selection's sizes and checksums came from.
enum class DataOrigin {
  files,      // read and checked
  catalogue,  // a known dataset not on this machine: the catalogue's, exact
  assumed,    // a path with nothing there: MNIST's sizes assumed, no checksums
};

// The data of one distinct selection: what run ids and costs need from it.
struct DataFacts {
  std::string dataset;
  sweep::DataShape shape;
  std::string train_checksum;
  std::string validation_checksum;
  DataOrigin origin = DataOrigin::files;
};

// What plan knows of a selection's data, reading it when it is here. Throws khsweep::Error when
// data that is here cannot be read or is not what its name promises.
DataFacts facts_of(const train::DataSelection& selection) {
  DataFacts facts;
  facts.dataset = selection.dataset;
  const sweep::DataSource source = sweep::resolve_data(selection.dataset);
  data::DataSplitFacts split;
  std::error_code ec;
  if (sweep::is_absent_path(selection.dataset)) {
    facts.origin = DataOrigin::assumed;
    const data::KnownDataset& mnist = *data::find_known_dataset("mnist");
    split = data::catalogued_facts(mnist);
    const auto cut = [](std::size_t count, std::size_t n) { return n == 0 ? count : n; };
    split.train.count = cut(split.train.count, selection.train_subset);
    split.validation.count = cut(split.validation.count, selection.validation_subset);
    split.train.checksum = split.validation.checksum = "";
  } else if (source.known != nullptr && !std::filesystem::exists(source.directory, ec)) {
    facts.origin = DataOrigin::catalogue;
    split = *sweep::catalogued_selection_facts(selection);
  } else {
    split = data::facts_of(sweep::load_data(selection));
    if (source.known != nullptr) facts.dataset += " (" + source.directory.string() + ", checksums verified)";
  }
  if (facts.origin == DataOrigin::catalogue)
    facts.dataset += " (not in " + source.directory.string() + " here: sizes and checksums from the catalogue, "
                     "files not checked)";
  if (facts.origin == DataOrigin::assumed)
    facts.dataset += " (not here: MNIST's sizes assumed, ids provisional)";
  facts.shape = sweep::shape_of(split);
  facts.train_checksum = split.train.checksum;
  facts.validation_checksum = split.validation.checksum;
  return facts;
}

std::string fixed_decimals(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// Minutes to three significant digits, never in exponent notation.
std::string minutes(double seconds) {
  const double m = seconds / 60;
  if (m < 0.0001) return "<0.0001";
  if (m >= 100) return fixed_decimals(m, 0);
  char text[64];
  std::snprintf(text, sizeof text, "%.3g", m);
  return text;
}

// "42 s", "3.5 min", "2.1 h", "3.2 days".
std::string duration(double seconds) {
  if (seconds < 60) return fixed_decimals(seconds, seconds < 10 ? 1 : 0) + " s";
  if (seconds < 3600) return fixed_decimals(seconds / 60, 1) + " min";
  if (seconds < 86400 * 2) return fixed_decimals(seconds / 3600, 1) + " h";
  return fixed_decimals(seconds / 86400, 1) + " days";
}

}  // namespace

int plan_command(const std::vector<std::string>& args) {
  PlanArgs opts;
  sweep::Sweep plan;
  try {
    opts = parse_args(args);
    if (opts.help) {
      std::cout << kUsage;
      return kExitOk;
    }
    plan = sweep::load_sweep(opts.path, sweep::DataPaths::may_be_absent);
  } catch (const Error& e) {
    report(e.what());
    std::cerr << "(see `khsweep plan --help` and docs/sweep-files.md)\n";
    return kExitUsage;
  }

  // Each distinct data selection is read once: its sizes drive the costs, its checksums the ids.
  std::map<std::string, DataFacts> data;
  std::vector<std::string> data_order;
  for (const auto& run : plan.runs) {
    const std::string key = sweep::selection_key(run.params.data);
    if (data.count(key)) continue;
    DataFacts facts;
    try {
      facts = facts_of(run.params.data);
    } catch (const Error& e) {
      report(e.what());
      return kExitInput;
    }
    data.emplace(key, facts);
    data_order.push_back(key);
  }

  struct Row {
    const sweep::PlannedRun* run;
    std::string id;
    double seconds;
    bool repeat;       // an earlier run has the same id: it is trained once
    bool provisional;  // its data is not here and has no catalogue entry: the id lacks its checksums
  };
  std::vector<Row> rows;
  std::set<std::string> ids;
  double total = 0, longest = 0;
  std::map<std::string, std::size_t> per_arm;
  std::vector<std::string> arm_order;
  std::size_t biggest = 0;  // the row of the run needing the most memory
  double biggest_bytes = 0;
  sweep::MemoryLimit limit;
  try {
    limit = sweep::memory_limit();
    for (const auto& run : plan.runs) {
      const DataFacts& facts = data.at(sweep::selection_key(run.params.data));
      const sweep::DataShape& shape = facts.shape;
      // As `khsweep run` will: a run that cannot fit is refused before anything is listed.
      sweep::check_fits_in_memory(plan, run, shape);
      Row row{&run, sweep::run_id(run.params, facts.train_checksum, facts.validation_checksum),
              sweep::estimate_seconds(run.params, shape.train_samples, shape.validation_samples), false,
              facts.origin == DataOrigin::assumed};
      row.repeat = !ids.insert(row.id).second;
      if (!row.repeat) {
        total += row.seconds;
        longest = std::max(longest, row.seconds);
      }
      if (per_arm[run.arm]++ == 0) arm_order.push_back(run.arm);
      if (const double bytes = sweep::estimate_bytes(run.params, shape); bytes > biggest_bytes) {
        biggest_bytes = bytes;
        biggest = rows.size();
      }
      rows.push_back(row);
    }
  } catch (const Error& e) {
    report(e.what());
    return kExitInput;
  }

  const std::vector<std::string> varying = sweep::varying_parameters(plan);
  std::vector<std::string> header = {"#", "id"};
  if (!plan.runs.front().arm.empty()) header.push_back("arm");
  header.insert(header.end(), varying.begin(), varying.end());
  header.push_back("est_min");
  const auto cells_of = [&](const Row& r) {
    std::vector<std::string> cells = {std::to_string(r.run->index),
                                      r.id + (r.provisional ? "?" : "") + (r.repeat ? "*" : "")};
    if (!r.run->arm.empty()) cells.push_back(r.run->arm);
    for (const auto& name : varying) {
      const train::ParamSpec& p = *train::find_parameter(name);
      const bool unused = !train::reads(p, r.run->params.config);
      cells.push_back(unused ? "-" : p.get(r.run->params));
    }
    cells.push_back(minutes(r.seconds));
    return cells;
  };
  const std::size_t listed = std::min(opts.list, rows.size());

  if (opts.csv) {
    for (std::size_t i = 0; i < header.size(); ++i)
      std::cout << (i ? "," : "") << csv_field(header[i] == "#" ? "index" : header[i]);
    std::cout << "\n";
    for (std::size_t r = 0; r < listed; ++r) {
      const auto cells = cells_of(rows[r]);
      for (std::size_t i = 0; i < cells.size(); ++i) std::cout << (i ? "," : "") << csv_field(cells[i]);
      std::cout << "\n";
    }
    return kExitOk;
  }

  std::ostringstream out;
  out << "sweep " << plan.name << " (" << plan.path << ")";
  if (!plan.description.empty()) out << ": " << plan.description;
  out << "\nruns: " << plan.runs.size();
  if (ids.size() != plan.runs.size())
    out << " (" << ids.size() << " distinct; runs marked * repeat an earlier run's id and are trained once)";
  out << "\n";
  if (!arm_order.front().empty())
    for (const auto& arm : arm_order) out << "  arm " << arm << ": " << per_arm[arm] << " runs\n";
  out << "datasets: " << data_order.size() << "\n";
  for (const auto& key : data_order) {
    const DataFacts& f = data.at(key);
    out << "  " << f.dataset << ": " << f.shape.train_samples << " train + " << f.shape.validation_samples
        << " validation samples";
    if (f.origin != DataOrigin::assumed) out << " (train checksum " << f.train_checksum.substr(0, 12) << "...)";
    out << "\n";
  }
  const auto skipped = std::count_if(data_order.begin(), data_order.end(),
                                     [&](const std::string& key) { return data.at(key).origin != DataOrigin::files; });
  if (skipped > 0)
    out << "data checks skipped for " << skipped << " of " << data_order.size()
        << " datasets (not on this machine); `khsweep run` makes them" << "\n";
  if (std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.provisional; }))
    out << "ids marked ? are provisional: they need the checksums of data that is not here\n";
  double shared_bytes = 0;  // every selection is held once per node
  for (const auto& key : data_order) shared_bytes += sweep::data_bytes(data.at(key).shape);
  out << "memory: about " << sweep::bytes_text(biggest_bytes) << " for the largest run (#" << rows[biggest].run->index
      << "), plus " << sweep::bytes_text(shared_bytes) << " of data per node, within " << limit.describe() << "\n";

  if (listed > 0) {
    std::vector<std::vector<std::string>> table = {header};
    for (std::size_t r = 0; r < listed; ++r) table.push_back(cells_of(rows[r]));
    std::vector<std::size_t> width(header.size(), 0);
    for (const auto& line : table)
      for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
    out << "\n";
    for (const auto& line : table) {
      std::string text;
      for (std::size_t i = 0; i < line.size(); ++i)
        text += (i ? "  " : "") + line[i] + std::string(i + 1 < line.size() ? width[i] - line[i].size() : 0, ' ');
      out << text << "\n";
    }
    if (listed < rows.size())
      out << "... " << (rows.size() - listed) << " more (--list all shows every run)\n";
  }

  out << "\nestimated cost: " << fixed_decimals(total / 3600, total < 36 ? 4 : 2) << " core-hours ("
      << duration(total) << " on one core; longest run " << duration(longest) << ")\n";
  out << "wall time:";
  std::set<int> worker_counts(std::begin(kWorkerCounts), std::end(kWorkerCounts));
  if (opts.workers > 0) worker_counts.insert(opts.workers);
  for (int workers : worker_counts)
    out << "  " << workers << (workers == 1 ? " worker " : " workers ") << duration(std::max(total / workers, longest));
  out << "\n(rough estimates from a per-epoch cost model, docs/sweep-files.md)\n";
  std::cout << out.str();
  return kExitOk;
}

}  // namespace khsweep::cli
