// store_check: checks on sweep stores for the MPI integration tests (tests/runner/*.sh).
//
//   store_check valid S.h5 [--expect-runs N] [--wait SECONDS]
//       the store opens read-only, has the store schema, its /runs ids are unique, every completed
//       or diverged run has a readable /run/<id> (store::read_run) whose curves have one row per
//       trained epoch, and no /run/<id> lacks its index row (no partial run is visible).
//   store_check ids S.h5                 the committed ids, sorted, one per line
//   store_check contains S.h5 ID...      every ID is committed
//   store_check same A.h5 B.h5           the same runs, bitwise, apart from wall times and per-job fields
//   store_check same-run RUN.h5 S.h5 ID  a `khsweep train --out` file equals run ID of the store
//   store_check checkpoint FILE...       per checkpoint (S.h5.checkpoints/<id>.ckpt) one line
//       "<id> epoch E batch B": E epochs done and B minibatches of the next (B > 0: saved mid-epoch)
//
// Exit 0 when the check holds; otherwise 1 with one line "store_check: <reason>" on stderr
// (2 for a bad command line). While a coordinator holds the store's lock, a read that fails (a
// commit in progress holds HDF5's write lock) is retried for up to --wait seconds (default 20).
// A leftover journal of a dead writer is reported, not rolled back: this tool never writes.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/index.hpp"
#include "khsweep/store/run_file.hpp"
#include "khsweep/store/run_layout.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "khsweep/store/transaction.hpp"
#include "khsweep/train/checkpoint.hpp"
#include "khsweep/train/run_params.hpp"

namespace {

namespace fs = std::filesystem;
using khsweep::Error;
namespace h5 = khsweep::h5;
namespace store = khsweep::store;
using khsweep::join;

// A failed check: its message is the one line printed.
struct CheckFailed {
  std::string reason;
};

[[noreturn]] void fail(const std::string& reason) { throw CheckFailed{reason}; }

// ---- the columns compared: the store's own layouts, less what legitimately differs ----

using khsweep::store::CurveRow;
using khsweep::store::IndexRow;

// Wall times and per-job fields differ between two stores holding the same runs.
bool compared_index_field(const std::string& name) {
  static const std::set<std::string> skipped = {"train_seconds_per_epoch", "metric_seconds_per_evaluation",
                                                "total_seconds", "host", "rank", "resumed", "job", "committed_at"};
  return !skipped.count(name);
}

bool compared_curve_field(const std::string& name) { return name != "train_seconds" && name != "metric_seconds"; }

std::vector<h5::Field> fields_where(const std::vector<h5::Field>& all, bool (*keep)(const std::string&)) {
  std::vector<h5::Field> out;
  for (const h5::Field& f : all)
    if (keep(f.name)) out.push_back(f);
  return out;
}

const std::vector<h5::Field>& compared_index_fields() {
  static const auto fields = fields_where(store::index_fields(), compared_index_field);
  return fields;
}

const std::vector<h5::Field>& compared_curve_fields() {
  static const auto fields = fields_where(store::curve_fields(), compared_curve_field);
  return fields;
}

std::size_t type_size(h5::Type type, std::size_t length) {
  switch (type) {
    case h5::Type::int8: return 1;
    case h5::Type::int32: return 4;
    case h5::Type::int64:
    case h5::Type::uint64:
    case h5::Type::float64: return 8;
    case h5::Type::float32: return 4;
    case h5::Type::string: return length;
    default: return 0;
  }
}

// The fields of two rows that differ, bitwise (so NaN equals NaN, and -0 differs from 0).
template <class Row>
std::vector<std::string> differing_fields(const Row& x, const Row& y, const std::vector<h5::Field>& fields) {
  std::vector<std::string> out;
  const auto* bx = reinterpret_cast<const unsigned char*>(&x);
  const auto* by = reinterpret_cast<const unsigned char*>(&y);
  for (const h5::Field& f : fields)
    if (std::memcmp(bx + f.offset, by + f.offset, type_size(f.type, f.length)) != 0) out.push_back(f.name);
  return out;
}

std::string text(const char* field, std::size_t length) { return h5::get_fixed_string(field, length); }

// ---- opening a store, patiently while a live coordinator commits ----

double g_wait_seconds = 20;

// Calls `read` on the store opened read-only. While a coordinator holds the store's lock, a
// failure may be a commit in progress (HDF5's write lock keeps readers out): retry until the wait
// is over. Without a live coordinator any failure is final.
template <class F>
auto with_store(const fs::path& path, F&& read) {
  if (!fs::exists(path)) fail(path.string() + ": no such store");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(g_wait_seconds);
  for (auto pause = std::chrono::milliseconds(5);; pause = std::min(pause * 2, std::chrono::milliseconds(200))) {
    const bool live = !store::lock_holder(path).empty();
    if (!live && store::has_journal(path))
      fail(path.string() + ": a journal of an interrupted commit is present and no coordinator holds the lock "
                           "(the file is mid-transaction until rolled back; `khsweep recover` or the next run does that)");
    try {
      const h5::File file = h5::File::open_read(path);
      return read(file);
    } catch (const Error& e) {
      if (!live || std::chrono::steady_clock::now() >= deadline) fail(e.what());
    }
    // A CheckFailed is final even on a live store: while we hold the file open, HDF5's lock keeps
    // every commit out, so what we read is the state after some commit.
    std::this_thread::sleep_for(pause);
  }
}

void check_store_schema(const h5::File& file) {
  if (!file.has_attribute("schema")) fail(file.file_path() + ": no 'schema' attribute");
  const auto schema = file.attribute<std::string>("schema");
  if (schema != store::kStoreSchema)
    fail(file.file_path() + ": schema '" + schema + "', expected '" + store::kStoreSchema + "'");
  if (!store::index_is_current(file)) fail(file.file_path() + ": /runs lacks columns of the current layout");
}

std::vector<IndexRow> read_index(const h5::File& file) {
  check_store_schema(file);
  if (!file.exists("runs")) fail(file.file_path() + ": no /runs table");
  return store::read_index_rows(file);
}

// id -> row; fails on a duplicate id.
std::map<std::string, IndexRow> index_by_id(const h5::File& file) {
  std::map<std::string, IndexRow> out;
  for (const IndexRow& row : read_index(file)) {
    const std::string id = text(row.id, sizeof row.id);
    if (!out.emplace(id, row).second) fail(file.file_path() + ": run " + id + " appears twice in /runs");
  }
  return out;
}

// ---- comparing two runs ----

struct RunData {
  store::RunRecord record;
  std::vector<CurveRow> curves;
  h5::Type weight_type = h5::Type::float64;
  std::vector<double> W, a, b;  // as stored; float32 values widened exactly
  std::vector<std::size_t> W_dims;
  std::string status, reason;
  std::int64_t epochs_trained = 0;
  double overlap = 0;
};

RunData read_run_data(const h5::Location& where, const std::string& what) {
  RunData r;
  try {
    r.record = store::read_run(where);
    r.curves = where.read_table<CurveRow>("curves", store::curve_fields());
    const h5::Group params = where.open_group("params");
    const h5::Dataset W = params.open_dataset("W");
    r.weight_type = W.element_type();
    r.W_dims = W.dims();
    for (const auto& t : {params.open_dataset("a").element_type(), params.open_dataset("b").element_type()})
      if (t != r.weight_type) fail(what + ": params/W, a and b have different element types");
    const auto read_all = [&](const char* name) {
      const h5::Dataset d = params.open_dataset(name);
      std::size_t n = 1;
      for (std::size_t dim : d.dims()) n *= dim;
      std::vector<double> values(n);
      d.read(values.data(), n);
      return values;
    };
    r.W = read_all("W");
    r.a = read_all("a");
    r.b = read_all("b");
    const h5::Group summary = where.open_group("summary");
    summary.read_attribute("status", r.status);
    summary.read_attribute("reason", r.reason);
    summary.read_attribute("epochs_trained", r.epochs_trained);
    summary.read_attribute("receptive_field_overlap", r.overlap);
  } catch (const Error& e) {
    fail(what + ": unreadable: " + e.what());
  }
  return r;
}

bool same_bits(double x, double y) { return std::memcmp(&x, &y, sizeof x) == 0; }

// Names of the parameters whose /config values differ, bitwise for reals.
std::vector<std::string> config_differences(const khsweep::train::RunConfig& x, const khsweep::train::RunConfig& y) {
  namespace train = khsweep::train;
  const train::RunParams px{x, {}}, py{y, {}};
  std::vector<std::string> out;
  for (const train::ParamSpec& spec : train::run_parameters()) {
    if (spec.selects_data) continue;
    const train::StoredValue vx = spec.value(px), vy = spec.value(py);
    const auto* dx = std::get_if<double>(&vx);
    const auto* dy = std::get_if<double>(&vy);
    if (dx && dy ? !same_bits(*dx, *dy) : vx != vy) out.push_back(spec.name);
  }
  return out;
}

bool same_values(const std::vector<double>& x, const std::vector<double>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
}

// Fails naming the first difference between two runs (wall times ignored).
void compare_runs(const RunData& x, const RunData& y, const std::string& what) {
  if (auto d = config_differences(x.record.config, y.record.config); !d.empty())
    fail(what + ": config differs in " + join(d, ", "));
  if (x.status != y.status || x.reason != y.reason)
    fail(what + ": summary status differs ('" + x.status + "' vs '" + y.status + "')");
  if (x.epochs_trained != y.epochs_trained)
    fail(what + ": epochs_trained differs (" + std::to_string(x.epochs_trained) + " vs " +
         std::to_string(y.epochs_trained) + ")");
  if (!same_bits(x.overlap, y.overlap)) fail(what + ": receptive_field_overlap differs");
  if (x.curves.size() != y.curves.size())
    fail(what + ": curves have " + std::to_string(x.curves.size()) + " vs " + std::to_string(y.curves.size()) + " rows");
  for (std::size_t i = 0; i < x.curves.size(); ++i)
    if (auto d = differing_fields(x.curves[i], y.curves[i], compared_curve_fields()); !d.empty())
      fail(what + ": curves row " + std::to_string(i) + " differs in " + join(d, ", "));
  if (x.weight_type != y.weight_type)
    fail(what + ": params stored as " + h5::to_string(x.weight_type) + " vs " + h5::to_string(y.weight_type));
  if (x.W_dims != y.W_dims) fail(what + ": params/W shapes differ");
  if (!same_values(x.W, y.W)) fail(what + ": params/W differs");
  if (!same_values(x.a, y.a)) fail(what + ": params/a differs");
  if (!same_values(x.b, y.b)) fail(what + ": params/b differs");
}

// ---- the subcommands ----

int check_valid(const fs::path& path, long expect_runs) {
  const std::string message = with_store(path, [&](const h5::File& file) {
    const std::map<std::string, IndexRow> index = index_by_id(file);
    std::map<std::string, int> by_status;
    for (const auto& [id, row] : index) {
      const std::string status = text(row.status, sizeof row.status);
      ++by_status[status];
      if (id.size() != 16 || id.find_first_not_of("0123456789abcdef") != std::string::npos)
        fail(path.string() + ": malformed run id '" + id + "' in /runs");
      if (status != store::kCompleted && status != store::kDiverged && status != store::kFailed)
        fail(path.string() + ": run " + id + " has status '" + status + "'");
      if (status == store::kFailed) continue;  // a failed run has only its index row
      const std::string where = "/run/" + id;
      if (!file.exists("run/" + id)) fail(path.string() + ": run " + id + " is in /runs but " + where + " is missing");
      const RunData run = read_run_data(file.open_group("run/" + id), path.string() + ": " + where);
      if (run.status != status)
        fail(path.string() + ": " + where + ": summary status '" + run.status + "' but /runs says '" + status + "'");
      if (static_cast<std::int64_t>(run.curves.size()) != row.epochs_trained)
        fail(path.string() + ": " + where + ": curves has " + std::to_string(run.curves.size()) +
             " rows but /runs says " + std::to_string(row.epochs_trained) + " epochs trained");
      if (status == store::kCompleted && row.epochs_trained != run.record.config.total_epochs())
        fail(path.string() + ": " + where + ": completed after " + std::to_string(row.epochs_trained) + " of " +
             std::to_string(run.record.config.epochs) + " epochs");
    }
    // A group without its index row would be a partial commit made visible.
    for (const std::string& child : file.open_group("run").child_names())
      if (!index.count(child)) fail(path.string() + ": /run/" + child + " has no row in /runs (a partial run)");
    std::size_t resumed = 0;  // runs continued from a checkpoint
    for (const auto& [id, row] : index) resumed += row.resumed != 0 ? 1 : 0;
    int jobs = 0;
    const h5::Group g = file.open_group("jobs");
    while (g.exists(std::to_string(jobs + 1))) ++jobs;
    if (jobs == 0) fail(path.string() + ": no /jobs/1");
    if (expect_runs >= 0 && static_cast<long>(index.size()) != expect_runs)
      fail(path.string() + ": " + std::to_string(index.size()) + " runs, expected " + std::to_string(expect_runs));
    return "ok: " + path.string() + ": " + std::to_string(index.size()) + " runs (" +
           std::to_string(by_status[store::kCompleted]) + " completed, " + std::to_string(by_status[store::kDiverged]) +
           " diverged, " + std::to_string(by_status[store::kFailed]) + " failed; " + std::to_string(resumed) +
           " resumed from a checkpoint), " + std::to_string(jobs) + " jobs";
  });
  std::cout << message << "\n";
  return 0;
}

std::set<std::string> committed_ids(const fs::path& path) {
  return with_store(path, [&](const h5::File& file) {
    std::set<std::string> ids;
    for (const auto& [id, row] : index_by_id(file)) ids.insert(id);
    return ids;
  });
}

int print_ids(const fs::path& path) {
  for (const std::string& id : committed_ids(path)) std::cout << id << "\n";
  return 0;
}

int check_contains(const fs::path& path, const std::vector<std::string>& wanted) {
  const std::set<std::string> ids = committed_ids(path);
  std::vector<std::string> missing;
  for (const std::string& id : wanted)
    if (!ids.count(id)) missing.push_back(id);
  if (!missing.empty())
    fail(path.string() + ": " + std::to_string(missing.size()) + " of " + std::to_string(wanted.size()) +
         " runs missing: " + join(missing, ", "));
  std::cout << "ok: " << path.string() << " holds all " << wanted.size() << " runs\n";
  return 0;
}

struct StoreContents {
  std::map<std::string, IndexRow> index;
  std::map<std::string, RunData> runs;  // completed and diverged runs
};

StoreContents read_contents(const fs::path& path) {
  return with_store(path, [&](const h5::File& file) {
    StoreContents c;
    c.index = index_by_id(file);
    for (const auto& [id, row] : c.index)
      if (text(row.status, sizeof row.status) != store::kFailed)
        c.runs.emplace(id, read_run_data(file.open_group("run/" + id), path.string() + ": /run/" + id));
    return c;
  });
}

int check_same(const fs::path& a, const fs::path& b) {
  const StoreContents x = read_contents(a);
  const StoreContents y = read_contents(b);
  std::vector<std::string> only_x, only_y;
  for (const auto& [id, row] : x.index)
    if (!y.index.count(id)) only_x.push_back(id);
  for (const auto& [id, row] : y.index)
    if (!x.index.count(id)) only_y.push_back(id);
  if (!only_x.empty() || !only_y.empty())
    fail("the stores hold different runs: only in " + a.string() + ": [" + join(only_x, ", ") + "]; only in " + b.string() +
         ": [" + join(only_y, ", ") + "]");
  for (const auto& [id, row] : x.index) {
    if (auto d = differing_fields(row, y.index.at(id), compared_index_fields()); !d.empty())
      fail("run " + id + ": /runs rows differ in " + join(d, ", "));
    if (x.runs.count(id)) compare_runs(x.runs.at(id), y.runs.at(id), "run " + id);
  }
  std::cout << "ok: " << a.string() << " and " << b.string() << " hold the same " << x.index.size()
            << " runs, bitwise (wall times and per-job fields aside)\n";
  return 0;
}

int check_same_run(const fs::path& run_file, const fs::path& store_path, const std::string& id) {
  if (!fs::exists(run_file)) fail(run_file.string() + ": no such run file");
  RunData single;
  try {
    const h5::File file = h5::File::open_read(run_file);
    const std::string schema = file.has_attribute("schema") ? file.attribute<std::string>("schema") : "";
    if (schema != store::kRunSchema)
      fail(run_file.string() + ": schema '" + schema + "', expected '" + store::kRunSchema + "'");
    single = read_run_data(file, run_file.string());
  } catch (const Error& e) {
    fail(e.what());
  }
  const RunData stored = with_store(store_path, [&](const h5::File& file) {
    const auto index = index_by_id(file);
    if (!index.count(id)) fail(store_path.string() + ": run " + id + " is not committed");
    return read_run_data(file.open_group("run/" + id), store_path.string() + ": /run/" + id);
  });
  compare_runs(single, stored, run_file.string() + " vs " + store_path.string() + ":/run/" + id);
  std::cout << "ok: " << run_file.string() << " equals /run/" << id << " of " << store_path.string()
            << " bitwise (wall times aside)\n";
  return 0;
}

// A checkpoint's state, float or double, for the run its file is named after.
template <class Real>
bool print_place(const fs::path& file, std::string* problem) {
  const auto state = khsweep::train::load_checkpoint<Real>(file, file.stem().string(), problem);
  if (state) std::cout << file.stem().string() << " epoch " << state->epoch << " batch " << state->batch << "\n";
  return state.has_value();
}

int print_checkpoints(const std::vector<std::string>& files) {
  for (const auto& file : files) {
    std::string float_problem, double_problem;
    if (!print_place<float>(file, &float_problem) && !print_place<double>(file, &double_problem))
      fail(float_problem.empty() ? file + ": no such checkpoint" : float_problem + "; as double: " + double_problem);
  }
  return 0;
}

const char* kUsage =
    "usage: store_check valid S.h5 [--expect-runs N] [--wait SECONDS]\n"
    "       store_check ids S.h5\n"
    "       store_check contains S.h5 ID...\n"
    "       store_check same A.h5 B.h5\n"
    "       store_check same-run RUN.h5 S.h5 ID\n"
    "       store_check checkpoint FILE...\n";

int usage(const std::string& problem) {
  std::cerr << "store_check: " << problem << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  long expect_runs = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--expect-runs" || a == "--wait") {
      if (i + 1 >= argc) return usage(a + " needs a value");
      const std::string value = argv[++i];
      try {
        std::size_t used = 0;
        if (a == "--expect-runs") expect_runs = std::stol(value, &used);
        else g_wait_seconds = std::stod(value, &used);
        if (used != value.size()) throw std::invalid_argument(value);
      } catch (const std::exception&) {
        return usage(a + ": not a number: '" + value + "'");
      }
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) return usage("no subcommand");
  const std::string command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "valid" && rest.size() == 1) return check_valid(rest[0], expect_runs);
    if (command == "ids" && rest.size() == 1) return print_ids(rest[0]);
    if (command == "contains" && rest.size() >= 2)
      return check_contains(rest[0], std::vector<std::string>(rest.begin() + 1, rest.end()));
    if (command == "same" && rest.size() == 2) return check_same(rest[0], rest[1]);
    if (command == "same-run" && rest.size() == 3) return check_same_run(rest[0], rest[1], rest[2]);
    if (command == "checkpoint" && !rest.empty()) return print_checkpoints(rest);
    return usage("bad subcommand or arguments: " + join(args, " "));
  } catch (const CheckFailed& e) {
    std::cerr << "store_check: " << e.reason << "\n";
  } catch (const std::exception& e) {
    std::cerr << "store_check: " << e.what() << "\n";
  }
  return 1;
}
