// `khsweep bench`: seconds per epoch of the real trainer, training and metric phases apart, for
// each configuration, against yardsticks measured in the same run (a dense-Eigen CD-1 epoch and the
// GEMM peak of a CD step's shapes). Machines differ between sessions: the ratios are what count.
#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/train/dense_reference.hpp"
#include "khsweep/train/trainer.hpp"

namespace khsweep::cli {

namespace {

const char* kBenchUsage =
    "usage: khsweep bench [--data NAME|DIR] [--train-samples N] [--hidden 100,500] [--k 1,10]\n"
    "                     [--task reconstruction,classification] [--kh none,top_down,bottom_up]\n"
    "  One rank, one thread, float. Defaults: mnist, all 60 000 training images, every\n"
    "  combination above. Prints seconds per epoch (training and metric phases apart) and ratios to\n"
    "  a dense-Eigen CD-1 epoch and to the GEMM peak measured in the same run.\n";

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

double peak_memory_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

struct Options {
  sweep::DataSelection data;
  std::vector<int> hidden{100, 500};
  std::vector<int> k{1, 10};
  std::vector<train::Task> tasks{train::Task::reconstruction, train::Task::classification};
  std::vector<model::KhVariant> kh{model::KhVariant::none, model::KhVariant::top_down, model::KhVariant::bottom_up};
};

Options parse(const std::vector<std::string>& args) {
  Options o;
  o.data.dataset = "mnist";
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) {
      problems.push_back(flag + ": needs a value");
      break;
    }
    const std::string value = args[++i];
    try {
      if (flag == "--data") {
        o.data.dataset = value;
      } else if (flag == "--train-samples") {
        o.data.train_subset = std::stoul(value);
      } else if (flag == "--hidden" || flag == "--k") {
        auto& list = flag == "--hidden" ? o.hidden : o.k;
        list.clear();
        for (const auto& item : split(value)) list.push_back(std::stoi(item));
      } else if (flag == "--task") {
        o.tasks.clear();
        for (const auto& item : split(value)) {
          if (item != "reconstruction" && item != "classification") throw std::invalid_argument(item);
          o.tasks.push_back(item == "reconstruction" ? train::Task::reconstruction : train::Task::classification);
        }
      } else if (flag == "--kh") {
        o.kh.clear();
        for (const auto& item : split(value)) {
          if (item == "none") o.kh.push_back(model::KhVariant::none);
          else if (item == "top_down") o.kh.push_back(model::KhVariant::top_down);
          else if (item == "bottom_up") o.kh.push_back(model::KhVariant::bottom_up);
          else throw std::invalid_argument(item);
        }
      } else {
        problems.push_back("unknown option '" + flag + "'");
      }
    } catch (const std::exception&) {
      problems.push_back(flag + ": cannot use '" + value + "'");
    }
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
    throw Error(message);
  }
  return o;
}

struct Measured {
  double train = 0, metrics = 0;
};

}  // namespace

int bench_command(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kBenchUsage;
    return kExitOk;
  }
  Options options;
  data::DataSplit data;
  try {
    options = parse(args);
  } catch (const Error& e) {
    std::cerr << "khsweep bench: " << e.what() << "\n" << kBenchUsage;
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
    dense[M] = train::dense_cd1_epoch_seconds(data.train, M, 1);
    std::printf("  M=%-4d GEMM GFLOP/s: V*W %.1f, h*W^T %.1f, V^T*H %.1f; dense-Eigen CD-1 epoch %.3f s\n", M,
                forward, backward, gradient, dense[M]);
  }

  std::printf("\n%-15s %-9s %5s %5s %10s %10s %9s %9s %9s\n", "task", "kh", "M", "k", "train s", "metric s",
              "metric/tr", "vs dense", "vs plain");
  std::map<std::string, Measured> plain;  // task/M/k -> the plain run, for KH overheads
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
          train::Trainer<float> trainer(c, data.train, data.validation);
          const train::EpochRecord record = trainer.run_epoch();
          Measured m{record.train_seconds, record.metric_seconds};
          const std::string key = std::string(train::to_string(task)) + "/" + std::to_string(M) + "/" + std::to_string(k);
          if (kh == model::KhVariant::none) plain[key] = m;
          char versus_plain[32] = "-";
          if (kh != model::KhVariant::none && plain.count(key))
            std::snprintf(versus_plain, sizeof versus_plain, "%+.0f%%", 100.0 * (m.train / plain[key].train - 1.0));
          std::printf("%-15s %-9s %5d %5d %10.3f %10.3f %9.2f %8.2fx %9s\n", train::to_string(task),
                      train::to_string(kh), M, k, m.train, m.metrics, m.metrics / m.train, dense[M] / m.train,
                      versus_plain);
          std::fflush(stdout);
        }
  std::printf("\n'vs dense': speed-up of the training phase over the same run's dense-Eigen CD-1 epoch at that M\n"
              "(for k > 1 the dense epoch is still CD-1). 'vs plain': training time added by KH.\n"
              "peak memory of this process: %.0f MiB (%.0f MiB after loading the data)\n",
              peak_memory_mib(), memory_with_data);
  return kExitOk;
}

}  // namespace khsweep::cli
