#include "khsweep/train/config.hpp"

#include <cmath>
#include <string>

#include "khsweep/train/result.hpp"

namespace khsweep::train {

double RunConfig::radius() const {
  if (kh_radius > 0) return kh_radius;
  if (model == Model::kh_bio) return 1.0;  // the published code's unit sphere
  // The paper's choice keeps initial weights off the sphere, where KH updates would vanish.
  return init == model::Init::std_normal ? 1.0 : 0.1;
}

model::KhSettings RunConfig::kh_settings() const {
  model::KhSettings s;
  s.delta = kh_delta;
  s.rank = kh_rank;
  s.power = kh_power;
  s.radius = radius();
  return s;
}

std::vector<ParamProblem> validate(const RunConfig& c) {
  std::vector<ParamProblem> problems;
  auto require = [&](bool ok, const std::string& parameter, const std::string& reason) {
    if (!ok) problems.push_back({parameter, reason});
  };
  require(c.hidden >= 1, "hidden", "must be >= 1, got " + std::to_string(c.hidden));
  require(c.gibbs_steps >= 1, "k", "must be >= 1, got " + std::to_string(c.gibbs_steps));
  require(c.learning_rate > 0 && std::isfinite(c.learning_rate), "learning_rate", "must be a finite number > 0");
  require(c.batch_size >= 1, "batch_size", "must be >= 1, got " + std::to_string(c.batch_size));
  require(c.epochs >= 1, "epochs", "must be >= 1, got " + std::to_string(c.epochs));
  require(c.metrics_every >= 1, "metrics_every", "must be >= 1, got " + std::to_string(c.metrics_every));
  require(c.kh_anneal_epochs >= 0, "S", "must be >= 0 (0 means the number of epochs)");
  const bool kh_rule = c.kh != model::KhVariant::none || c.model == Model::kh_bio;
  if (kh_rule) {
    require(c.kh_eps0 > 0 && std::isfinite(c.kh_eps0),
            "eps0", c.model == Model::kh_bio ? std::string("must be > 0 when model is kh_bio")
                                             : "must be > 0 when kh is " + std::string(to_string(c.kh)));
    require(c.kh_delta >= 0 && std::isfinite(c.kh_delta), "delta", "must be >= 0");
    require(c.kh_rank >= 1, "l", "must be >= 1, got " + std::to_string(c.kh_rank));
    require(c.kh_power >= 1 && std::isfinite(c.kh_power), "p", "must be >= 1");
    require(c.kh_radius >= 0 && std::isfinite(c.kh_radius), "R", "must be > 0 (or 0 for the init's default)");
    // Bottom-up ranks the hidden units: the anti-Hebbian unit (rank l+1) must exist.
    if (c.kh == model::KhVariant::bottom_up || c.model == Model::kh_bio)
      require(c.kh_rank < c.hidden, "l", std::string(c.model == Model::kh_bio ? "kh_bio" : "bottom_up") +
                                        " ranks the hidden units, so l must be < hidden (" +
                                        std::to_string(c.hidden) + "), got " + std::to_string(c.kh_rank));
  }
  if (c.model == Model::kh_bio) {
    require(c.kh == model::KhVariant::none, "kh", "must be none when model is kh_bio (its rule is the KH step itself)");
    require(c.readout_epochs >= 1, "readout_epochs", "must be >= 1, got " + std::to_string(c.readout_epochs));
  }
  if (c.model == Model::mhc) {
    require(c.kh == model::KhVariant::none, "kh", "must be none when model is mhc");
    require(c.euler_steps >= 1, "euler_steps", "must be >= 1, got " + std::to_string(c.euler_steps));
  }
  return problems;
}

const char* to_string(Task t) { return t == Task::reconstruction ? "reconstruction" : "classification"; }
const char* to_string(Precision p) { return p == Precision::f32 ? "float" : "double"; }
const char* to_string(model::Init i) { return i == model::Init::std_normal ? "std" : "lecun"; }
const char* to_string(model::LabelSampling s) { return s == model::LabelSampling::sample ? "sample" : "argmax"; }
const char* to_string(model::KhVariant v) {
  switch (v) {
    case model::KhVariant::none: return "none";
    case model::KhVariant::top_down: return "top_down";
    case model::KhVariant::bottom_up: return "bottom_up";
  }
  return "?";
}
const char* to_string(Model m) {
  switch (m) {
    case Model::rbm: return "rbm";
    case Model::kh_bio: return "kh_bio";
    case Model::mhc: return "mhc";
  }
  return "?";
}
const char* to_string(RunStatus s) { return s == RunStatus::completed ? "completed" : "diverged"; }

}  // namespace khsweep::train
