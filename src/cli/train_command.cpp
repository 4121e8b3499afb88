// `khsweep train`: one run from a YAML file and/or flags, printed epoch by epoch, optionally
// written to an HDF5 run file.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>

#include "khsweep/cli/commands.hpp"
#include "khsweep/cli/train_request.hpp"
#include "khsweep/core/clock.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/host.hpp"
#include "khsweep/data/dataset.hpp"
#include "khsweep/store/run_file.hpp"
#include "khsweep/sweep/cost.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/train/learner.hpp"
#include "khsweep/train/trainer.hpp"

namespace khsweep::cli {

namespace {

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// "train / validation" pair of one metric.
std::string pair(double train_value, double validation_value, int decimals, double scale = 1.0) {
  return fixed(train_value * scale, decimals) + " / " + fixed(validation_value * scale, decimals);
}

std::string describe(const TrainRequest& r, const data::DataSplit& data) {
  const auto& c = r.config;
  std::ostringstream out;
  if (c.model == train::Model::kh_bio)
    out << "KH-bio: M=" << c.hidden << " eps0=" << c.kh_eps0 << " delta=" << c.kh_delta << " S=" << c.anneal_epochs()
        << " l=" << c.kh_rank << " p=" << c.kh_power << " R=" << c.radius() << " B=" << c.batch_size
        << " epochs=" << c.epochs << "\n  readout: n=" << c.readout_activation_power << " m=" << c.readout_loss_power
        << " beta=" << c.readout_beta << " Adam " << c.readout_learning_rate << " epochs=" << c.readout_epochs
        << " seed=" << c.seed << " " << train::to_string(c.precision);
  else if (c.model == train::Model::mhc)
    out << "MHC: eta=" << c.mhc_learning_rate << " beta=" << c.mhc_beta << " steps=" << c.euler_steps
        << " dt=" << c.euler_dt << " noise=" << c.noise << " epochs=" << c.epochs << " seed=" << c.seed << " double";
  else
    out << train::to_string(c.task) << " RBM: M=" << c.hidden << " " << (c.persistent ? "PCD-" : "CD-") << c.gibbs_steps
      << " init=" << train::to_string(c.init) << " eta=" << c.learning_rate << " B=" << c.batch_size
      << " epochs=" << c.epochs << " seed=" << c.seed << " " << train::to_string(c.precision);
  if (c.kh != model::KhVariant::none)
    out << "\n  KH " << train::to_string(c.kh) << ": eps0=" << c.kh_eps0 << " delta=" << c.kh_delta
        << " S=" << c.anneal_epochs() << " l=" << c.kh_rank << " p=" << c.kh_power << " R=" << c.radius();
  out << "\n  data: " << r.data.dataset << " (" << data.train.count << " train, " << data.validation.count
      << " validation, binarised at " << r.data.threshold << ")";
  return out.str();
}

// `reconstructs`: the model has reconstruction metrics (the RBM); KH-bio and the MHC only classify.
void print_epoch(const train::EpochRecord& e, int epochs, bool classifies, bool reconstructs = true) {
  std::ostringstream line;
  line << "epoch " << (e.epoch + 1) << "/" << epochs << "  eps " << fixed(e.kh_epsilon, 5) << "  train "
       << fixed(e.train_seconds, 2) << " s";
  if (e.evaluated) {
    line << "  metrics " << fixed(e.metric_seconds, 2) << " s";
    if (reconstructs)
      line << "  mse " << pair(e.train.mse, e.validation.mse, 5) << "  xent "
           << pair(e.train.cross_entropy, e.validation.cross_entropy, 4) << "  pll "
           << pair(e.train.pseudo_log_likelihood, e.validation.pseudo_log_likelihood, 2);
    if (classifies) line << "  acc% " << pair(e.train.accuracy, e.validation.accuracy, 2, 100.0);
    if (!std::isnan(e.validation.noisy_accuracy)) line << "  noisy acc% " << fixed(100.0 * e.validation.noisy_accuracy, 2);
  } else {
    line << "  (metrics not due)";
  }
  std::cout << line.str() << std::endl;
}

// A one-line bar on stderr, redrawn while an epoch trains.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void update(int epoch, int epochs, int batch, int batches) {
    if (!enabled_ || (batch % 10 != 0 && batch != batches)) return;
    constexpr int width = 30;
    const int filled = width * batch / batches;
    std::fprintf(stderr, "\r  epoch %d/%d [%s%s] %3d%%", epoch, epochs, std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), 100 * batch / batches);
    if (batch == batches) std::fprintf(stderr, "\r%*s\r", width + 30, "");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
};

// Every line of a (possibly multi-line) error, prefixed so each reads on its own in a log.
void report(const Error& e) {
  std::istringstream lines(e.what());
  for (std::string line; std::getline(lines, line);) std::cerr << "khsweep train: " << line << "\n";
}

}  // namespace

int train_command(const std::vector<std::string>& args) {
  TrainRequest request;
  try {
    request = parse_train_request(args);
  } catch (const Error& e) {
    report(e);
    std::cerr << "(see `khsweep train --help`)\n";
    return kExitUsage;
  }
  if (request.help) {
    std::cout << train_usage();
    return kExitOk;
  }

  // Everything that can fail on input is checked before the first epoch.
  data::DataSplit data;
  try {
    if (!request.out_path.empty()) {
      store::check_replaceable(request.out_path, request.force);
      store::check_writable(request.out_path);
    }
    data = sweep::load_data(request.data);
    sweep::check_fits_in_memory("this run", request, sweep::shape_of(data::facts_of(data)));
  } catch (const Error& e) {
    report(e);
    return kExitInput;
  }

  const std::string started_at = utc_now();
  if (!request.quiet) std::cout << describe(request, data) << std::endl;
  const auto& config = request.config;
  ProgressBar bar(request.progress && !request.quiet && isatty(STDERR_FILENO));
  train::RunResult result;
  try {
    // The learner every sweep rank uses, so a run trained here has the bits of the same run in a store.
    const auto learner = train::make_learner(config, data.train, data.validation);
    const bool rbm = config.model == train::Model::rbm;
    const int epochs = config.total_epochs();
    const train::BatchObserver on_batch = [&](int batch, int batches) {
      bar.update(learner->epochs_done() + 1, epochs, batch, batches);
      return false;  // never pause
    };
    while (!learner->done()) {
      const train::EpochRecord& e = *learner->run_epoch(on_batch);
      if (!request.quiet) print_epoch(e, epochs, !rbm || config.task == train::Task::classification, rbm);
    }
    result = learner->result();
  } catch (const Error& e) {
    report(e);
    return kExitUsage;
  }

  const bool diverged = result.status == train::RunStatus::diverged;
  if (diverged)
    std::cout << "diverged: " << result.reason << "\n";
  else
    std::cout << "completed " << result.curves.size() << " epochs in " << fixed(result.total_seconds, 1) << " s"
              << (config.model == train::Model::rbm
                      ? "; receptive-field overlap " + fixed(result.receptive_field_overlap, 3)
                      : std::string())
              << "\n";

  if (!request.out_path.empty()) {
    store::Provenance provenance;
    provenance.entries = {{"data", request.data.dataset},
                          {"train_checksum", data.train.checksum},
                          {"validation_checksum", data.validation.checksum},
                          {"train_samples", std::to_string(data.train.count)},
                          {"validation_samples", std::to_string(data.validation.count)},
                          {"config_path", request.config_path},
                          {"config_yaml", request.config_text},
                          {"host", host_name()},
                          {"started_at", started_at},
                          {"finished_at", utc_now()}};
    try {
      // Again: the path may have changed while training (a sweep started a store there, say).
      store::check_replaceable(request.out_path, request.force);
      store::write_run_file(request.out_path, config, result, provenance, config.weights_precision());
    } catch (const Error& e) {
      report(e);
      return kExitInput;
    }
    if (!request.quiet) std::cout << "wrote " << request.out_path << "\n";
  }
  return diverged ? kExitDiverged : kExitOk;
}

}  // namespace khsweep::cli
