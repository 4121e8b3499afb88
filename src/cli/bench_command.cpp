// `khsweep bench`: seconds per epoch of the real trainer, training and metric phases apart, for
// each configuration, against yardsticks measured in the same run (a dense-Eigen CD-1 epoch and the
// GEMM peak of a CD step's shapes). Machines differ between sessions: the ratios are what count.
#include <sys/resource.h>
#include <malloc.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/options.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/sweep/cost.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/sweep/sweep_file.hpp"
#include "khsweep/train/run_params.hpp"
#include "khsweep/train/dense_reference.hpp"
#include "khsweep/train/trainer.hpp"

namespace khsweep::cli {

namespace {

const char* kBenchUsage =
    "usage: khsweep bench [--data NAME|DIR] [--train-samples N] [--hidden 100,500] [--k 1,10]\n"
    "                     [--task reconstruction,classification] [--kh none,top_down,bottom_up]\n"
    "                     [--repeat N]\n"
    "  One rank, one thread, float. Defaults: mnist, all 60 000 training images, every\n"
    "  combination above, --repeat 3. Prints seconds per epoch (training and metric phases apart)\n"
    "  and ratios to a dense-Eigen CD-1 epoch and to the GEMM peak measured in the same run. It\n"
    "  measures in N rounds, each timing every configuration's first epoch once, and reports the\n"
    "  fastest round of each: a busy neighbour only ever slows a timing down.\n";

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// Heap bytes in use now (glibc's count of allocated blocks, mmapped ones included): the difference
// across one live run is that run's working memory (weights, buffers, its state), exactly, with
// the dataset loaded before. Resident memory would not show it: freed pages are kept and reused.
double heap_in_use_mib() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd) / (1024.0 * 1024.0);
}

double peak_memory_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// The comma-separated items of a flag's value, each parsed by the run-parameter table's row
// `name` (so the bench accepts and refuses exactly what `khsweep train` does, with its messages);
// `field` reads the parsed value back.
template <class Field>
auto table_values(const std::string& flag, const std::string& value, const char* name, Field field,
                  std::vector<std::string>& problems) {
  const train::ParamSpec& row = *train::find_parameter(name);
  std::vector<decltype(field(train::RunParams{}))> values;
  for (const auto& item : split(value)) {
    train::RunParams params;
    const std::string reason = row.set(params, item);
    if (reason.empty())
      values.push_back(field(params));
    else
      problems.push_back(flag + ": " + reason);
  }
  if (split(value).empty()) problems.push_back(flag + ": needs at least one value");
  return values;
}

struct Options {
  train::DataSelection data;
  std::vector<int> hidden{100, 500};
  std::vector<int> k{1, 10};
  std::vector<train::Task> tasks{train::Task::reconstruction, train::Task::classification};
  std::vector<model::KhVariant> kh{model::KhVariant::none, model::KhVariant::top_down, model::KhVariant::bottom_up};
  int repeat = 3;
};

// The options, or nothing after --help; throws the problems, one per line.
std::optional<Options> parse(const std::vector<std::string>& args) {
  Options o;
  o.data.dataset = "mnist";
  ArgReader in(args, "bench");
  std::vector<std::string>& problems = in.problems();
  while (in.next()) {
    if (in.help()) return std::nullopt;
    if (in.positional()) {
      in.problem("unexpected argument '" + in.arg() + "'");
      continue;
    }
    const std::string& flag = in.option();
    if (!in.option_is_one_of({"--data", "--train-samples", "--hidden", "--k", "--task", "--kh", "--repeat"})) {
      in.unknown_option();
      (void)in.value_if_given();  // every bench option takes a value: skip it too
      continue;
    }
    const auto value = in.value();
    if (!value) continue;
    if (flag == "--data") {
      o.data.dataset = *value;
    } else if (flag == "--repeat") {
      const auto n = in.positive_number(*value, "a whole number of rounds from 1 to 100");
      if (n && (*n != std::floor(*n) || *n > 100))
        in.problem(flag + ": expected a whole number of rounds from 1 to 100, got '" + *value + "'");
      else if (n)
        o.repeat = static_cast<int>(*n);
    } else if (flag == "--train-samples") {
      const auto n = table_values(flag, *value, "train_subset", [](const auto& p) { return p.data.train_subset; }, problems);
      if (n.size() > 1) in.problem(flag + ": takes one number, got '" + *value + "'");
      if (!n.empty()) o.data.train_subset = n.front();
    } else if (flag == "--hidden") {
      o.hidden = table_values(flag, *value, "hidden", [](const auto& p) { return p.config.hidden; }, problems);
    } else if (flag == "--k") {
      o.k = table_values(flag, *value, "k", [](const auto& p) { return p.config.gibbs_steps; }, problems);
    } else if (flag == "--task") {
      o.tasks = table_values(flag, *value, "task", [](const auto& p) { return p.config.task; }, problems);
    } else {
      o.kh = table_values(flag, *value, "kh", [](const auto& p) { return p.config.kh; }, problems);
    }
  }
  if (!problems.empty()) throw Error(join(problems, "\n"));
  return o;
}

struct Measured {
  double train = 0, metrics = 0;
};

using MeasuredByKey = std::map<std::string, Measured>;

std::string key_of(train::Task task, model::KhVariant kh, int M, int k) {
  return std::string(train::to_string(task)) + "/" + train::to_string(kh) + "/" + std::to_string(M) + "/" +
         std::to_string(k);
}

// The speed targets, from this run's measurements (only those it measured): what a CD-1 epoch must
// gain over the dense-Eigen yardstick, what KH and the metrics may add to it.
void print_targets(const Options& options, const MeasuredByKey& measured, const std::map<int, double>& dense,
                   double largest_run_memory) {
  std::printf("\ntargets (one rank, one thread; ratios from this run only)\n");
  const auto find = [&](train::Task task, model::KhVariant kh, int M, int k) -> const Measured* {
    const auto it = measured.find(key_of(task, kh, M, k));
    return it == measured.end() ? nullptr : &it->second;
  };
  const auto report = [](const std::string& what, double value, const char* unit, double bound, bool at_least) {
    const bool met = at_least ? value >= bound : value <= bound;
    std::printf("  %-52s %7.2f%s  (%s %.2f%s)  %s\n", what.c_str(), value, unit, at_least ? ">=" : "<=", bound, unit,
                met ? "met" : "NOT met");
  };
  const auto R = train::Task::reconstruction, C = train::Task::classification;
  const auto none = model::KhVariant::none, td = model::KhVariant::top_down, bu = model::KhVariant::bottom_up;
  for (int M : options.hidden) {
    const std::string m = " M=" + std::to_string(M);
    const Measured* rbm = find(R, none, M, 1);
    const Measured* crbm = find(C, none, M, 1);
    if (rbm) report("CD-1 speed-up over dense-Eigen CD-1," + m, dense.at(M) / rbm->train, "x", M <= 100 ? 4.0 : 3.0, true);
    if (const Measured* x = find(R, td, M, 1); x && rbm) report("KH_TD CD-1 / plain CD-1," + m, x->train / rbm->train, "", 1.3, false);
    if (const Measured* x = find(R, bu, M, 1); x && rbm) report("KH_BU CD-1 / plain CD-1," + m, x->train / rbm->train, "", 1.2, false);
    if (rbm) report("metric phase / training phase, RBM CD-1," + m, rbm->metrics / rbm->train, "", 0.5, false);
    if (crbm) report("metric phase / training phase, cRBM CD-1," + m, crbm->metrics / crbm->train, "", 0.7, false);
    if (const Measured* x = find(R, none, M, 10); x && rbm) report("CD-10 / CD-1," + m, x->train / rbm->train, "", 6.0, false);
    if (crbm && rbm) report("cRBM CD-1 / RBM CD-1," + m, crbm->train / rbm->train, "", 1.15, false);
  }
  report("largest working memory of one run", largest_run_memory, " MiB", 64.0, false);
}

// The core-hours of the paper's MNIST grid searches (sweeps/paper-*-mnist.yaml, from the working
// directory) at this run's measured rates, beside what `khsweep plan` budgets for them.
void print_paper_grids(const MeasuredByKey& measured, const data::DataSplit& data) {
  const double bench_train = static_cast<double>(data.train.count);
  const double bench_validation = static_cast<double>(data.validation.count);
  // An epoch of a run at the rates measured here: its configuration's training phase (KH on or
  // off), its evaluation scaled by the images it evaluates, both by its data's size.
  const sweep::RbmEpochCost at_measured_rates = [&](const train::RunConfig& c, std::size_t train,
                                                    std::size_t validation, bool kh_on) -> std::optional<sweep::EpochSeconds> {
    const auto it = measured.find(key_of(c.task, kh_on ? c.kh : model::KhVariant::none, c.hidden, c.gibbs_steps));
    if (it == measured.end()) return std::nullopt;
    const std::size_t metric_train = c.train_metric_samples > 0 ? std::min(c.train_metric_samples, train) : train;
    return sweep::EpochSeconds{it->second.train * static_cast<double>(train) / bench_train,
                               it->second.metrics * static_cast<double>(metric_train + validation) /
                                   (bench_train + bench_validation)};
  };
  std::printf("\npaper grid searches at this run's rates (one core per run; the sweep files as written)\n");
  for (const char* path : {"sweeps/paper-reconstruction-mnist.yaml", "sweeps/paper-classification-mnist.yaml"}) {
    sweep::Sweep grid;
    try {
      grid = sweep::load_sweep(path, sweep::DataPaths::may_be_absent);
    } catch (const Error& e) {
      const std::string why = e.what();
      std::printf("  %s: not read (%s); run bench from the repository root\n", path, why.substr(0, why.find('\n')).c_str());
      continue;
    }
    double measured_seconds = 0, planned_seconds = 0;
    std::size_t unmeasured = 0;
    for (const sweep::PlannedRun& run : grid.runs) {
      const std::optional<data::DataSplitFacts> facts = sweep::catalogued_selection_facts(run.params.data);
      const sweep::DataShape shape = facts ? sweep::shape_of(*facts) : sweep::DataShape{60000, 10000};
      planned_seconds += sweep::estimate_seconds(run.params, shape.train_samples, shape.validation_samples);
      const std::optional<double> seconds =
          run.params.config.model == train::Model::rbm
              ? sweep::rbm_run_seconds(run.params.config, shape.train_samples, shape.validation_samples, at_measured_rates)
              : std::nullopt;
      if (seconds)
        measured_seconds += *seconds;
      else
        ++unmeasured;
    }
    if (unmeasured > 0)
      std::printf("  %-28s %5zu runs: %zu in configurations not measured here (bench's defaults measure all); plan budgets %.0f core-hours\n",
                  grid.name.c_str(), grid.runs.size(), unmeasured, planned_seconds / 3600.0);
    else
      std::printf("  %-28s %5zu runs: %.0f core-hours at this run's rates (plan budgets %.0f)\n", grid.name.c_str(),
                  grid.runs.size(), measured_seconds / 3600.0, planned_seconds / 3600.0);
  }
}

}  // namespace

int bench_command(const std::vector<std::string>& args) {
  Options options;
  data::DataSplit data;
  try {
    const std::optional<Options> parsed = parse(args);
    if (!parsed) {
      std::cout << kBenchUsage;
      return kExitOk;
    }
    options = *parsed;
  } catch (const Error& e) {
    print_problem_lines("bench", e.what());
    std::cerr << kBenchUsage;
    return kExitUsage;
  }
  try {
    data = sweep::load_data(options.data);
  } catch (const Error& e) {
    std::cerr << "khsweep bench: " << e.what() << "\n";
    return kExitInput;
  }
  const double memory_with_data = peak_memory_mib();
  std::printf("khsweep bench: %zu training + %zu validation images, one thread, float\n", data.train.count,
              data.validation.count);

  // Yardsticks first, in the same run: GEMM peak of a CD step's shapes, and a dense CD-1 epoch.
  std::map<int, double> dense;
  std::printf("\nyardsticks\n");
  for (int M : options.hidden) {
    const double forward = train::gemm_gflops(100, static_cast<int>(data.train.dim), M, 5);     // V W
    const double backward = train::gemm_gflops(100, M, static_cast<int>(data.train.dim), 5);    // h W^T
    const double gradient = train::gemm_gflops(static_cast<int>(data.train.dim), 100, M, 5);    // V^T H
    std::printf("  M=%-4d GEMM GFLOP/s: V*W %.1f, h*W^T %.1f, V^T*H %.1f\n", M, forward, backward, gradient);
  }

  std::vector<train::RunConfig> configurations;
  for (train::Task task : options.tasks)
    for (int M : options.hidden)
      for (int k : options.k)
        for (model::KhVariant kh : options.kh) {
          train::RunConfig c;
          c.task = task;
          c.hidden = M;
          c.gibbs_steps = k;
          c.epochs = 1;
          c.kh = kh;
          c.kh_eps0 = kh == model::KhVariant::none ? 0.0 : 0.01;
          configurations.push_back(c);
        }

  // Rounds: every yardstick and configuration once per round, each figure the fastest of its
  // rounds. A slow spell of the machine then costs one round of everything, not every repeat of
  // the configurations it happens to fall on.
  MeasuredByKey measured;  // task/kh/M/k -> its times, for the ratios below
  std::map<std::string, double> run_memory;
  for (int round = 1; round <= options.repeat; ++round) {
    std::fprintf(stderr, "khsweep bench: round %d of %d\n", round, options.repeat);
    for (int M : options.hidden) {
      const double seconds = train::dense_cd1_epoch_seconds(data.train, M, 1);
      dense[M] = round == 1 ? seconds : std::min(dense[M], seconds);
    }
    for (const train::RunConfig& c : configurations) {
      const std::string key = key_of(c.task, c.kh, c.hidden, c.gibbs_steps);
      const double memory_before = heap_in_use_mib();
      train::Trainer<float> trainer(c, data.train, data.validation);
      const train::EpochRecord record = trainer.run_epoch();  // the first epoch, each round anew
      run_memory[key] = heap_in_use_mib() - memory_before;
      Measured& m = measured.try_emplace(key, Measured{INFINITY, INFINITY}).first->second;
      m.train = std::min(m.train, record.train_seconds);
      m.metrics = std::min(m.metrics, record.metric_seconds);
    }
  }

  std::printf("  dense-Eigen CD-1 epoch:");
  for (int M : options.hidden) std::printf(" %.3f s at M=%d", dense[M], M);
  std::printf("\n\n%-15s %-9s %5s %5s %10s %10s %9s %9s %9s %8s %9s %9s\n", "task", "kh", "M", "k", "train s",
              "metric s", "metric/tr", "vs dense", "vs plain", "run MiB", "planned s", "meas/plan");
  double measured_total = 0, planned_total = 0;
  double largest_run_memory = 0.0;
  for (const train::RunConfig& c : configurations) {
    const std::string key = key_of(c.task, c.kh, c.hidden, c.gibbs_steps);
    const Measured& m = measured.at(key);
    largest_run_memory = std::max(largest_run_memory, run_memory[key]);
    char versus_plain[32] = "-";
    const auto plain = measured.find(key_of(c.task, model::KhVariant::none, c.hidden, c.gibbs_steps));
    if (c.kh != model::KhVariant::none && plain != measured.end())
      std::snprintf(versus_plain, sizeof versus_plain, "%+.0f%%", 100.0 * (m.train / plain->second.train - 1.0));
    // What `khsweep plan` budgets for this epoch (training with KH on, plus one evaluation).
    const sweep::EpochSeconds planned =
        sweep::estimate_rbm_epoch(c, data.train.count, data.validation.count, c.kh != model::KhVariant::none);
    const double planned_epoch = planned.training + planned.evaluation;
    measured_total += m.train + m.metrics;
    planned_total += planned_epoch;
    std::printf("%-15s %-9s %5d %5d %10.3f %10.3f %9.2f %8.2fx %9s %8.1f %9.3f %9.2f\n", train::to_string(c.task),
                train::to_string(c.kh), c.hidden, c.gibbs_steps, m.train, m.metrics, m.metrics / m.train,
                dense[c.hidden] / m.train, versus_plain, run_memory[key], planned_epoch,
                (m.train + m.metrics) / planned_epoch);
  }
  std::printf("\n'vs dense': speed-up of the training phase over the same run's dense-Eigen CD-1 epoch at that M\n"
              "(for k > 1 the dense epoch is still CD-1). 'vs plain': training time added by KH. 'run MiB':\n"
              "heap the live run holds after an epoch (weights, buffers, state; the dataset is not in it).\n"
              "'planned s': the epoch (training and one evaluation) as `khsweep plan` estimates it;\n"
              "'meas/plan': measured over planned (1.00: the plan is exact on this machine).\n"
              "all configurations: measured %.1f s, planned %.1f s, measured/planned %.2f\n"
              "peak memory of this process: %.0f MiB (%.0f MiB after loading the data)\n",
              measured_total, planned_total, measured_total / planned_total, peak_memory_mib(), memory_with_data);

  print_targets(options, measured, dense, largest_run_memory);
  print_paper_grids(measured, data);
  return kExitOk;
}

}  // namespace khsweep::cli
