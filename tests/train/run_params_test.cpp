// The parameter table itself: defaults round-trip, look-ups, did-you-mean, checks across parameters.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "khsweep/train/run_params.hpp"

using khsweep::train::cross_check;
using khsweep::train::find_parameter;
using khsweep::train::ParamProblem;
using khsweep::train::run_parameters;
using khsweep::train::RunParams;

namespace {

bool names(const std::vector<ParamProblem>& problems, const std::string& parameter, const std::string& part) {
  return std::any_of(problems.begin(), problems.end(), [&](const ParamProblem& p) {
    return p.parameter == parameter && p.reason.find(part) != std::string::npos;
  });
}

}  // namespace

BOOST_AUTO_TEST_CASE(table_round_trips_defaults) {
  // Every default printed by the table is accepted back by the same row.
  const RunParams defaults;
  for (const auto& p : run_parameters()) {
    if (!p.default_note.empty() && p.name != "S") continue;  // data (required) and R (tied to init)
    RunParams target;
    BOOST_TEST(p.set(target, p.get(defaults)).empty(), p.name << " = " << p.get(defaults));
  }
  BOOST_TEST(find_parameter("hidden") != nullptr);
  BOOST_TEST(find_parameter("Hidden") == nullptr);
}

BOOST_AUTO_TEST_CASE(did_you_mean) {
  using khsweep::train::suggest_parameter;
  BOOST_TEST(suggest_parameter("hiden") == "hidden");
  BOOST_TEST(suggest_parameter("epoch") == "epochs");
  BOOST_TEST(suggest_parameter("learningrate") == "learning_rate");
  BOOST_TEST(suggest_parameter("gibbs_steps") == "k");
  BOOST_TEST(suggest_parameter("kh_eps0") == "eps0");
  BOOST_TEST(suggest_parameter("s") == "S");
  BOOST_TEST(suggest_parameter("M") == "hidden");
  BOOST_TEST(suggest_parameter("Delta") == "delta");
  BOOST_TEST(suggest_parameter("completely_unrelated").empty());
}

BOOST_AUTO_TEST_CASE(choice_values_suggest) {
  RunParams p;
  const std::string why = find_parameter("kh")->set(p, "topdown");
  BOOST_TEST(why.find("did you mean 'top_down'?") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(data_rows_are_marked) {
  std::vector<std::string> data_rows;
  for (const auto& p : run_parameters())
    if (p.selects_data) data_rows.push_back(p.name);
  const std::vector<std::string> expected = {"data", "train_subset", "validation_subset", "subset", "subset_seed",
                                             "threshold"};
  BOOST_TEST(data_rows == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(cross_checks) {
  RunParams p;
  BOOST_TEST(names(cross_check(p, {}), "data", "required"));
  p.data.dataset = "data/mnist";
  BOOST_TEST(cross_check(p, {"data"}).empty());
  BOOST_TEST(names(cross_check(p, {"data", "eps0"}), "eps0", "has no effect when kh is none"));
  p.config.kh = khsweep::model::KhVariant::top_down;
  BOOST_TEST(names(cross_check(p, {"data", "kh"}), "kh", "needs eps0 > 0"));
  p.config.kh_eps0 = 0.01;
  BOOST_TEST(cross_check(p, {"data", "kh", "eps0"}).empty());
}

// Each model kind reads its own rows: another kind's setting is refused, naming the kinds that read it.
BOOST_AUTO_TEST_CASE(model_kinds_refuse_rows_they_do_not_read) {
  RunParams p;
  p.data.dataset = "data/mnist";
  BOOST_TEST(names(cross_check(p, {"data", "beta"}), "beta", "has no effect when model is rbm; remove it, or set model to mhc"));
  p.config.model = khsweep::train::Model::mhc;
  BOOST_TEST(cross_check(p, {"data", "model", "beta", "noise", "epochs"}).empty());
  BOOST_TEST(names(cross_check(p, {"data", "model", "hidden"}), "hidden", "set model to rbm or kh_bio"));
  BOOST_TEST(names(cross_check(p, {"data", "model", "eps0"}), "eps0", "has no effect when model is mhc"));

  p.config.model = khsweep::train::Model::kh_bio;
  BOOST_TEST(names(cross_check(p, {"data", "model"}), "model", "kh_bio needs eps0 > 0"));
  p.config.kh_eps0 = 0.02;
  BOOST_TEST(cross_check(p, {"data", "model", "eps0", "delta", "l", "hidden", "readout_epochs"}).empty());
  BOOST_TEST(names(cross_check(p, {"data", "model", "eps0", "k"}), "k", "has no effect when model is kh_bio"));
  p.config.kh_rank = 100;  // the hidden units are ranked: the anti-Hebbian unit must exist
  BOOST_TEST(names(cross_check(p, {"data", "model", "eps0", "l"}), "l", "kh_bio ranks the hidden units"));
}

// train::validate names its parameter as a typed field, never inside its text, and always a row of
// the table: the CLI places each problem where the user set that parameter.
BOOST_AUTO_TEST_CASE(validate_names_each_problem_by_a_table_row) {
  using khsweep::train::Model;
  using khsweep::model::KhVariant;
  khsweep::train::RunConfig bad;
  bad.hidden = 0;
  bad.gibbs_steps = 0;
  bad.learning_rate = -1;
  bad.batch_size = 0;
  bad.epochs = 0;
  bad.metrics_every = 0;
  bad.kh_anneal_epochs = -1;
  bad.kh = KhVariant::bottom_up;
  bad.kh_eps0 = 0;
  bad.kh_delta = -1;
  bad.kh_rank = 0;
  bad.kh_power = 0;
  bad.kh_radius = -1;
  std::vector<ParamProblem> problems = khsweep::train::validate(bad);
  khsweep::train::RunConfig bio;
  bio.model = Model::kh_bio;
  bio.kh = KhVariant::top_down;
  bio.readout_epochs = 0;
  khsweep::train::RunConfig mhc;
  mhc.model = Model::mhc;
  mhc.euler_steps = 0;
  for (const auto& more : {khsweep::train::validate(bio), khsweep::train::validate(mhc)})
    problems.insert(problems.end(), more.begin(), more.end());
  BOOST_TEST(problems.size() >= 16u);
  for (const auto& problem : problems) {
    BOOST_TEST(find_parameter(problem.parameter) != nullptr, problem.parameter + ": " + problem.reason);
    BOOST_TEST(problem.reason.find(problem.parameter + ":") != 0u, problem.reason);
  }
}
