#include "khsweep/model/kh.hpp"

#include <algorithm>
#include <cmath>

namespace khsweep::model {

double kh_epsilon(double eps0, int epoch, int anneal_epochs) {
  if (anneal_epochs <= 0 || epoch >= anneal_epochs) return 0.0;
  const double remaining = 1.0 - static_cast<double>(epoch) / anneal_epochs;
  // x^(3/2) as x * sqrt(x): sqrt is correctly rounded everywhere, pow is not.
  return eps0 * remaining * std::sqrt(remaining);
}

namespace {

// The strongest unit and the unit ranked rank+1 among `currents` (ties: the lower index ranks
// higher). `top` holds the running best rank+1 units in descending order.
template <class Real>
void select_winners(const Real* currents, int units, int rank, std::vector<int>& top) {
  const auto outranks = [&](int a, int b) { return currents[a] > currents[b] || (currents[a] == currents[b] && a < b); };
  const int keep = std::min(rank + 1, units);
  top.clear();
  for (int u = 0; u < units; ++u) {
    if (static_cast<int>(top.size()) == keep && !outranks(u, top.back())) continue;
    if (static_cast<int>(top.size()) == keep) top.pop_back();
    auto pos = top.end();
    while (pos != top.begin() && outranks(u, *(pos - 1))) --pos;
    top.insert(pos, u);
  }
}

}  // namespace

template <class Real>
const std::vector<int>& kh_step(Matrix<Real>& post, Matrix<Real>& post_t, const ActiveSets& x, double eps,
                                const KhSettings& settings, KhWorkspace<Real>& work) {
  const int units = static_cast<int>(post.rows());
  const int fan_in = static_cast<int>(post.cols());
  work.touched.clear();
  if (eps == 0.0) return work.touched;

  // The current of unit nu is sum_mu sign(w)|w|^(p-1) x_mu; for p = 2 that is W itself.
  const bool linear = settings.power == 2.0;
  if (!linear) {
    work.powered_t.resize(fan_in, units);
    const Real exponent = static_cast<Real>(settings.power - 1.0);
    for (Eigen::Index i = 0; i < post_t.size(); ++i) {
      const Real w = post_t.data()[i];
      work.powered_t.data()[i] = std::copysign(std::pow(std::abs(w), exponent), w);
    }
  }
  const Matrix<Real>& current_weights = linear ? post_t : work.powered_t;

  const int samples = x.samples();
  const int max_touched = std::min(units, 2 * samples);
  if (work.hebbian.rows() < max_touched || work.hebbian.cols() != fan_in) work.hebbian.resize(max_touched, fan_in);
  if (static_cast<int>(work.slot_of_unit.size()) != units) work.slot_of_unit.assign(units, -1);
  work.current_sum.resize(max_touched);
  work.currents.resize(units);
  std::vector<int> top;
  top.reserve(settings.rank + 1);
  const Real hebbian_scale = static_cast<Real>(std::pow(settings.radius, settings.power));

  // Accumulate, per unit with a non-zero g: sum_b g R^p x_b (a row) and sum_b g I_b (a scalar).
  auto credit = [&](int unit, double g, int sample) {
    int slot = work.slot_of_unit[unit];
    if (slot < 0) {
      slot = static_cast<int>(work.touched.size());
      work.slot_of_unit[unit] = slot;
      work.touched.push_back(unit);
      work.hebbian.row(slot).setZero();
      work.current_sum[slot] = 0.0;
    }
    work.current_sum[slot] += g * static_cast<double>(work.currents[unit]);
    const Real gr = static_cast<Real>(g) * hebbian_scale;
    for (int k = x.offset[sample]; k < x.offset[sample + 1]; ++k) work.hebbian(slot, x.index[k]) += gr;
  };

  Eigen::Map<Vector<Real>> currents(work.currents.data(), units);
  for (int s = 0; s < samples; ++s) {
    currents.setZero();
    for (int k = x.offset[s]; k < x.offset[s + 1]; ++k) currents += current_weights.row(x.index[k]).transpose();
    select_winners(work.currents.data(), units, settings.rank, top);
    credit(top.front(), 1.0, s);
    if (static_cast<int>(top.size()) == settings.rank + 1 && settings.delta != 0.0) credit(top.back(), -settings.delta, s);
  }

  // ds_nu = hebbian_nu - (sum_b g I) w_nu, then every row moves by eps * ds / max|ds|.
  Real max_abs = 0;
  for (int slot = 0; slot < static_cast<int>(work.touched.size()); ++slot) {
    const int unit = work.touched[slot];
    const Real c = static_cast<Real>(work.current_sum[slot]);
    auto ds = work.hebbian.row(slot);
    ds -= c * post.row(unit);
    max_abs = std::max(max_abs, ds.cwiseAbs().maxCoeff());
  }
  if (max_abs > 0 && std::isfinite(max_abs)) {
    const Real scale = static_cast<Real>(eps / static_cast<double>(max_abs));
    for (int slot = 0; slot < static_cast<int>(work.touched.size()); ++slot) {
      const int unit = work.touched[slot];
      post.row(unit) += scale * work.hebbian.row(slot);
      post_t.col(unit) = post.row(unit).transpose();
    }
  }
  for (int unit : work.touched) work.slot_of_unit[unit] = -1;
  return work.touched;
}

template const std::vector<int>& kh_step<float>(Matrix<float>&, Matrix<float>&, const ActiveSets&, double,
                                                const KhSettings&, KhWorkspace<float>&);
template const std::vector<int>& kh_step<double>(Matrix<double>&, Matrix<double>&, const ActiveSets&, double,
                                                 const KhSettings&, KhWorkspace<double>&);

}  // namespace khsweep::model
