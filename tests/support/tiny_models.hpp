#pragma once
// Test helpers: small structured data sets and exact quantities by enumeration.
#include <cmath>
#include <cstdint>
#include <vector>

#include "khsweep/data/dataset.hpp"
#include "khsweep/model/rbm.hpp"
#include "khsweep/train/config.hpp"

namespace khsweep::testing {

// Bars and stripes on a side x side grid: every pattern whose rows are all equal (bars) or whose
// columns are all equal (stripes). Labels: 0 for bars, 1 for stripes; the all-off and all-on
// patterns, which are both, are left out so the labels are unambiguous. Each pattern `copies` times.
inline data::Dataset bars_and_stripes(int side, int copies) {
  data::Dataset d;
  d.dim = static_cast<std::size_t>(side) * side;
  d.classes = 2;
  for (int label = 0; label < 2; ++label) {
    for (int mask = 1; mask + 1 < (1 << side); ++mask) {
      for (int c = 0; c < copies; ++c) {
        for (int r = 0; r < side; ++r)
          for (int col = 0; col < side; ++col)
            d.bits.push_back(static_cast<std::uint8_t>((mask >> (label == 0 ? r : col)) & 1));
        d.labels.push_back(static_cast<std::uint8_t>(label));
        ++d.count;
      }
    }
  }
  d.checksum = "bars-and-stripes";
  return d;
}

// A small RBM run for bars_and_stripes(3, 10): 6 hidden units, minibatches of 10 (12 an epoch).
inline train::RunConfig tiny_rbm_config(train::Precision precision, int epochs, int metrics_every) {
  train::RunConfig c;
  c.hidden = 6;
  c.batch_size = 10;
  c.epochs = epochs;
  c.metrics_every = metrics_every;
  c.precision = precision;
  return c;
}

// The RBM training rules the bitwise resume tests cover, one of each kind of state: plain CD-1; PCD
// (a persistent chain) with bottom-up KH; a cRBM with top-down KH and two Gibbs steps.
struct RbmRule {
  const char* name;
  train::Task task;
  model::KhVariant kh;
  bool persistent;
  int gibbs_steps;
};
inline const std::vector<RbmRule>& rbm_rules() {
  static const std::vector<RbmRule> rules = {
      {"CD-1", train::Task::reconstruction, model::KhVariant::none, false, 1},
      {"KH_BU PCD-1", train::Task::reconstruction, model::KhVariant::bottom_up, true, 1},
      {"KH_TD cRBM CD-2", train::Task::classification, model::KhVariant::top_down, false, 2}};
  return rules;
}

// `c` trained by `rule`; KH is annealed to 0 two thirds of the way, so both regimes are trained.
inline train::RunConfig with_rule(train::RunConfig c, const RbmRule& rule) {
  c.task = rule.task;
  c.kh = rule.kh;
  c.persistent = rule.persistent;
  c.gibbs_steps = rule.gibbs_steps;
  if (rule.kh != model::KhVariant::none) {
    c.kh_eps0 = 0.02;
    c.kh_anneal_epochs = 2 * c.epochs / 3;
  }
  return c;
}

// Visible vector number `code` (bit i = unit i).
inline std::vector<std::uint8_t> visible_from_code(unsigned code, int size) {
  std::vector<std::uint8_t> v(size);
  for (int i = 0; i < size; ++i) v[i] = static_cast<std::uint8_t>((code >> i) & 1u);
  return v;
}

inline double log_sum_exp(const std::vector<double>& x) {
  double m = -INFINITY;
  for (double v : x) m = std::max(m, v);
  double s = 0.0;
  for (double v : x) s += std::exp(v - m);
  return m + std::log(s);
}

// log Z of a plain RBM, summing exp(-F(v)) over every visible vector.
template <class Real>
double log_partition(const model::Params<Real>& p) {
  const int n = p.layout.visible();
  std::vector<double> terms;
  for (unsigned code = 0; code < (1u << n); ++code) terms.push_back(-model::free_energy(p, visible_from_code(code, n).data()));
  return log_sum_exp(terms);
}

// Mean exact log-likelihood of a data set's images under a plain RBM.
template <class Real>
double mean_log_likelihood(const model::Params<Real>& p, const data::Dataset& d) {
  const double log_z = log_partition(p);
  double sum = 0.0;
  for (std::size_t s = 0; s < d.count; ++s) sum += -model::free_energy(p, d.row(s)) - log_z;
  return sum / static_cast<double>(d.count);
}

}  // namespace khsweep::testing
