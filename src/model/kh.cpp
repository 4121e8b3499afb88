#include "khsweep/model/kh.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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

// The largest of currents[0, units). Lanes past `units` hold padding, so they are left out. A
// maximum is exact: the order in which lanes are compared cannot change it.
template <class Real>
Real largest_current(const Rows<Real>& currents, int units) {
  const Real* c = currents.values(0);
  const int full = units / kLanes<Real>;
  Lane<Real> lane_best = splat<Real>(-std::numeric_limits<Real>::infinity());
  for (int l = 0; l < full; ++l) {
    const Lane<Real> x = currents.row(0)[l];
    lane_best = x > lane_best ? x : lane_best;
  }
  Real best = lane_best[0];
  for (int e = 1; e < kLanes<Real>; ++e) best = std::max(best, lane_best[e]);
  for (int u = full * kLanes<Real>; u < units; ++u) best = std::max(best, c[u]);
  return best;
}

// The first unit whose current equals `value`, a lane at a time, or `units` if none does.
template <class Real>
int first_unit_holding(const Rows<Real>& currents, int units, Real value) {
  const Lane<Real> target = splat<Real>(value);
  for (int first = 0, l = 0; first < units; first += kLanes<Real>, ++l) {
    const std::uint32_t hits = lane_bits<Real>(currents.row(0)[l] == target) & elements_before<Real>(units, first);
    if (hits != 0) return first + __builtin_ctz(hits);
  }
  return units;
}

// For the paper's l = 1 the strongest and the second-strongest unit, by two vectorised maxima and
// a search for the first unit holding each: the same units select_winners ranks first and second
// (ties to the lower index), without its per-unit branches. Falls back to it for NaN currents.
template <class Real>
void select_top_two(Rows<Real>& currents, int units, std::vector<int>& top) {
  Real* c = currents.values(0);
  top.clear();
  const Real first = largest_current(currents, units);
  const int winner = first_unit_holding(currents, units, first);
  if (winner == units) {  // NaN: no current equals the maximum
    select_winners(c, units, 1, top);
    return;
  }
  top.push_back(winner);
  if (units < 2) return;
  c[winner] = -std::numeric_limits<Real>::infinity();  // out of the second search, then back
  const Real second = largest_current(currents, units);
  const int runner_up = first_unit_holding(currents, units, second);
  c[winner] = first;
  if (runner_up == units || runner_up == winner) {  // every other current was -inf or NaN
    select_winners(c, units, 1, top);
    return;
  }
  top.push_back(runner_up);
}

// sign(w) |w|^e. Whole exponents (p = 3, 4, ...) multiply, so the common cases never reach libm's
// pow, whose code path is chosen from the CPU at run time.
template <class Real>
Real signed_power(Real w, double e) {
  const Real magnitude = std::abs(w);
  Real power;
  if (e == std::floor(e) && e >= 0 && e <= 16) {
    power = 1;
    for (int i = 0; i < static_cast<int>(e); ++i) power *= magnitude;
  } else {
    power = static_cast<Real>(std::pow(static_cast<double>(magnitude), e));
  }
  return std::copysign(power, w);
}

}  // namespace

template <class Real>
const std::vector<int>& kh_step(Rows<Real>& post, Rows<Real>& post_t, const ActiveSets& x, double eps,
                                const KhSettings& settings, KhWorkspace<Real>& work) {
  const int units = post.rows();
  const int fan_in = post.cols();
  work.touched.clear();
  if (eps == 0.0) return work.touched;

  // The current of unit nu is sum_mu sign(w)|w|^(p-1) x_mu; for p = 2 that is W itself.
  const bool linear = settings.power == 2.0;
  if (!linear) {
    if (work.powered_t.rows() != fan_in || work.powered_t.cols() != units) work.powered_t.resize(fan_in, units);
    for (int r = 0; r < fan_in; ++r)
      for (int c = 0; c < units; ++c) work.powered_t(r, c) = signed_power(post_t(r, c), settings.power - 1.0);
  }
  const Rows<Real>& current_weights = linear ? post_t : work.powered_t;

  const int samples = x.samples();
  const int max_touched = std::min(units, 2 * samples);
  if (work.hebbian.rows() < max_touched || work.hebbian.cols() != fan_in) work.hebbian.resize(max_touched, fan_in);
  if (work.currents.cols() != units) work.currents.resize(1, units);
  if (static_cast<int>(work.slot_of_unit.size()) != units) work.slot_of_unit.assign(units, -1);
  work.current_sum.resize(max_touched);
  const Real hebbian_scale = signed_power(static_cast<Real>(settings.radius), settings.power);
  const Real* currents = work.currents.values(0);

  // Accumulate, per unit with a non-zero g: sum_b g R^p x_b (a row) and sum_b g I_b (a scalar).
  auto credit = [&](int unit, double g, int sample) {
    int slot = work.slot_of_unit[unit];
    if (slot < 0) {
      slot = static_cast<int>(work.touched.size());
      work.slot_of_unit[unit] = slot;
      work.touched.push_back(unit);
      std::fill(work.hebbian.row(slot), work.hebbian.row(slot) + work.hebbian.lanes(), Lane<Real>{});
      work.current_sum[slot] = 0.0;
    }
    work.current_sum[slot] += g * static_cast<double>(currents[unit]);
    const Real gr = static_cast<Real>(g) * hebbian_scale;
    Real* row = work.hebbian.values(slot);
    for (int k = x.offset[sample]; k < x.offset[sample + 1]; ++k) row[x.index[k]] += gr;
  };

  const std::vector<Lane<Real>> zero(static_cast<std::size_t>(work.currents.lanes()));
  for (int s = 0; s < samples; ++s) {
    sum_rows(current_weights, x.ones(s), x.count(s), zero.data(), work.currents.row(0));
    if (settings.rank == 1)
      select_top_two(work.currents, units, work.top);
    else
      select_winners(currents, units, settings.rank, work.top);
    credit(work.top.front(), 1.0, s);
    if (static_cast<int>(work.top.size()) == settings.rank + 1 && settings.delta != 0.0)
      credit(work.top.back(), -settings.delta, s);
  }

  // ds_nu = hebbian_nu - (sum_b g I) w_nu, then every row moves by eps * ds / max|ds|. Padding
  // lanes are 0 on both sides, so they stay 0.
  const int lanes = post.lanes();
  Lane<Real> max_abs{};
  for (int slot = 0; slot < static_cast<int>(work.touched.size()); ++slot) {
    const Real c = static_cast<Real>(work.current_sum[slot]);
    Lane<Real>* ds = work.hebbian.row(slot);
    const Lane<Real>* w = post.row(work.touched[slot]);
    for (int l = 0; l < lanes; ++l) {
      ds[l] -= c * w[l];
      const Lane<Real> magnitude = ds[l] < Lane<Real>{} ? -ds[l] : ds[l];
      max_abs = magnitude > max_abs ? magnitude : max_abs;
    }
  }
  Real largest = 0;
  for (int l = 0; l < kLanes<Real>; ++l) largest = std::max(largest, max_abs[l]);
  if (work.applied_change.rows() < work.hebbian.rows() || work.applied_change.cols() != fan_in)
    work.applied_change.resize(work.hebbian.rows(), fan_in);
  if (!(largest > 0 && std::isfinite(largest))) {  // nothing moves: the touched units' changes are zero
    for (int slot = 0; slot < static_cast<int>(work.touched.size()); ++slot)
      std::fill(work.applied_change.row(slot), work.applied_change.row(slot) + lanes, Lane<Real>{});
  } else {
    const Real scale = static_cast<Real>(eps / static_cast<double>(largest));
    for (int slot = 0; slot < static_cast<int>(work.touched.size()); ++slot) {
      const int unit = work.touched[slot];
      Lane<Real>* w = post.row(unit);
      const Lane<Real>* ds = work.hebbian.row(slot);
      Lane<Real>* change = work.applied_change.row(slot);
      for (int l = 0; l < lanes; ++l) {
        change[l] = scale * ds[l];
        w[l] += change[l];
      }
    }
    // The touched columns of post_t, 16 rows of it at a time so they stay in cache while every
    // touched unit writes its entry (column by column, each write would miss).
    constexpr int tile = 16;
    for (int c0 = 0; c0 < fan_in; c0 += tile) {
      const int c1 = std::min(c0 + tile, fan_in);
      for (int unit : work.touched) {
        const Real* updated = post.values(unit);
        for (int c = c0; c < c1; ++c) post_t(c, unit) = updated[c];
      }
    }
  }
  for (int unit : work.touched) work.slot_of_unit[unit] = -1;
  return work.touched;
}

template const std::vector<int>& kh_step<float>(Rows<float>&, Rows<float>&, const ActiveSets&, double,
                                                const KhSettings&, KhWorkspace<float>&);
template const std::vector<int>& kh_step<double>(Rows<double>&, Rows<double>&, const ActiveSets&, double,
                                                 const KhSettings&, KhWorkspace<double>&);

}  // namespace khsweep::model
