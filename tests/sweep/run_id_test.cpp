// Run ids: stable, sensitive to every parameter that changes a result, blind to everything else.
#include <boost/test/unit_test.hpp>

#include <string>

#include "khsweep/sweep/run_id.hpp"

using khsweep::model::KhVariant;
using khsweep::sweep::run_id;
using khsweep::train::reads;
using khsweep::train::run_parameters;
using khsweep::train::RunParams;

namespace {

const std::string kTrain = "1111111111111111111111111111111111111111111111111111111111111111";
const std::string kValidation = "2222222222222222222222222222222222222222222222222222222222222222";

// A KH classification run, so that every parameter of the table is read.
RunParams kh_run() {
  RunParams p;
  p.data.dataset = "data/mnist";
  p.config.task = khsweep::train::Task::classification;
  p.config.hidden = 100;
  p.config.epochs = 10;
  p.config.kh = KhVariant::top_down;
  p.config.kh_eps0 = 0.01;
  return p;
}

std::string id_of(const RunParams& p) { return run_id(p, kTrain, kValidation); }

// Another valid value for the row: the next choice, the flipped boolean, or one more.
std::string other_value(const khsweep::train::ParamSpec& spec, const RunParams& p) {
  const std::string now = spec.get(p);
  switch (spec.kind) {
    case khsweep::train::ParamKind::choice:
      for (const auto& c : spec.choices)
        if (c != now) return c;
      return now;
    case khsweep::train::ParamKind::boolean: return now == "true" ? "false" : "true";
    case khsweep::train::ParamKind::real: return std::to_string(std::stod(now) + 1.0);
    default: return std::to_string(std::stoull(now) + 1);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(stable_recipe) {
  // Hard-coded: a change here means every stored run would be recomputed. Change it only together
  // with kNumericsVersion or on purpose.
  BOOST_TEST(id_of(kh_run()) == "c278859dcdb35504");
  RunParams baseline;
  baseline.data.dataset = "data/mnist";
  BOOST_TEST(id_of(baseline) == "65e7637543b21d28");
  const std::string id = id_of(kh_run());
  BOOST_TEST(id.size() == 16u);
  BOOST_TEST(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  BOOST_TEST(khsweep::sweep::kNumericsVersion == 2);
}

// A run that reads `spec`: the KH run, or a run of the first model kind the row belongs to.
RunParams reader_of(const khsweep::train::ParamSpec& spec) {
  RunParams run = kh_run();
  if (reads(spec, run.config)) return run;
  run.config.kh = khsweep::model::KhVariant::none;
  run.config.model = spec.models.front();
  return run;
}

BOOST_AUTO_TEST_CASE(every_result_parameter_changes_the_id) {
  for (const auto& spec : run_parameters()) {
    if (spec.selects_data) continue;
    const RunParams base = reader_of(spec);
    BOOST_TEST_REQUIRE(reads(spec, base.config), spec.name);
    RunParams changed = base;
    const std::string value = other_value(spec, base);
    BOOST_TEST_REQUIRE(spec.set(changed, value).empty(), spec.name << " = " << value);
    BOOST_TEST(id_of(changed) != id_of(base), spec.name << ": " << spec.get(base) << " -> " << value);
  }
  const RunParams base = kh_run();
  BOOST_TEST(run_id(base, kValidation, kValidation) != id_of(base));
  BOOST_TEST(run_id(base, kTrain, kTrain) != id_of(base));
}

BOOST_AUTO_TEST_CASE(data_selection_enters_only_through_checksums) {
  const RunParams base = kh_run();
  for (const auto& spec : run_parameters()) {
    if (!spec.selects_data) continue;
    RunParams moved = base;
    const std::string value = spec.name == "data" ? "/elsewhere/mnist" : other_value(spec, base);
    BOOST_TEST_REQUIRE(spec.set(moved, value).empty(), spec.name << " = " << value);
    BOOST_TEST(id_of(moved) == id_of(base), spec.name);
  }
}

BOOST_AUTO_TEST_CASE(defaults_are_resolved) {
  RunParams zero = kh_run();
  RunParams explicit_s = zero;
  explicit_s.config.kh_anneal_epochs = explicit_s.config.epochs;  // S = 0 means S = epochs
  BOOST_TEST(id_of(zero) == id_of(explicit_s));
  RunParams explicit_r = zero;
  explicit_r.config.kh_radius = 0.1;  // R = 0 means 0.1 under lecun init
  BOOST_TEST(id_of(zero) == id_of(explicit_r));
  explicit_r.config.kh_radius = 1.0;
  BOOST_TEST(id_of(zero) != id_of(explicit_r));
}

// The model kinds added after the RBM leave every RBM id as it was (stable_recipe pins two), and a
// run of another kind ignores the RBM's rows and the other kind's.
BOOST_AUTO_TEST_CASE(model_kinds_read_only_their_rows) {
  RunParams rbm;
  rbm.data.dataset = "data/mnist";
  RunParams other_kinds_values = rbm;
  other_kinds_values.config.mhc_beta = 9.0;
  other_kinds_values.config.readout_epochs = 3;
  BOOST_TEST(id_of(rbm) == id_of(other_kinds_values));

  RunParams mhc = rbm;
  mhc.config.model = khsweep::train::Model::mhc;
  BOOST_TEST(id_of(mhc) != id_of(rbm));
  RunParams mhc_with_rbm_values = mhc;
  mhc_with_rbm_values.config.hidden = 500;
  mhc_with_rbm_values.config.gibbs_steps = 10;
  mhc_with_rbm_values.config.readout_epochs = 3;
  BOOST_TEST(id_of(mhc) == id_of(mhc_with_rbm_values));
  mhc_with_rbm_values.config.mhc_beta = 9.0;
  BOOST_TEST(id_of(mhc) != id_of(mhc_with_rbm_values));

  RunParams kh_bio = rbm;
  kh_bio.config.model = khsweep::train::Model::kh_bio;
  kh_bio.config.kh_eps0 = 0.02;
  RunParams kh_bio_radius = kh_bio;
  kh_bio_radius.config.kh_radius = 1.0;  // R = 0 means the published code's unit sphere for kh_bio
  BOOST_TEST(id_of(kh_bio) == id_of(kh_bio_radius));
  kh_bio_radius.config.init = khsweep::model::Init::std_normal;  // kh_bio always starts from N(0, 1)
  BOOST_TEST(id_of(kh_bio) == id_of(kh_bio_radius));
}

BOOST_AUTO_TEST_CASE(unread_parameters_do_not_matter) {
  RunParams baseline;
  baseline.data.dataset = "data/mnist";
  RunParams with_kh_values = baseline;  // KH settings a baseline run never reads
  with_kh_values.config.kh_eps0 = 0.5;
  with_kh_values.config.kh_delta = 0.1;
  with_kh_values.config.kh_anneal_epochs = 3;
  with_kh_values.config.kh_radius = 2.0;
  BOOST_TEST(id_of(baseline) == id_of(with_kh_values));

  RunParams argmax = baseline;  // label sampling draws label units: a reconstruction RBM has none
  argmax.config.label_sampling = khsweep::model::LabelSampling::argmax;
  BOOST_TEST(id_of(baseline) == id_of(argmax));
  argmax.config.task = khsweep::train::Task::classification;
  RunParams sampled = argmax;
  sampled.config.label_sampling = khsweep::model::LabelSampling::sample;
  BOOST_TEST(id_of(argmax) != id_of(sampled));

  // The canonical text names what was hashed.
  const std::string text = khsweep::sweep::canonical_run_text(baseline, kTrain, kValidation);
  BOOST_TEST(text.find("numerics_version=2\n") != std::string::npos);
  BOOST_TEST(text.find("hidden=100\n") != std::string::npos);
  BOOST_TEST(text.find("eps0=") == std::string::npos);
  BOOST_TEST(text.find("data=") == std::string::npos);
}
