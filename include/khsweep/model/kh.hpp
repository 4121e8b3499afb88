#pragma once
#include <cstdint>
#include <vector>

#include "khsweep/model/lanes.hpp"
#include "khsweep/model/rbm.hpp"

namespace khsweep::model {

// Which layer the Krotov-Hopfield step treats as postsynaptic (docs/algorithms.md section 5.1).
enum class KhVariant {
  none,
  top_down,   // x = h ~ p(h|v); postsynaptic units are the visible units, weight vectors rows of W
  bottom_up,  // x = v (the data); postsynaptic units are the hidden units, weight vectors columns of W
};

struct KhSettings {
  double delta = 0.4;   // anti-Hebbian strength given to the unit ranked rank+1
  int rank = 1;         // l: the (l+1)-th strongest unit is pushed away (paper's l = 1)
  double power = 2.0;   // p: Lebesgue power of the currents and of the sphere norm
  double radius = 1.0;  // R: the weight sphere the rule drives winning units onto
};

// eps0 (1 - epoch/S)^(3/2) for epoch < S, 0 from epoch S on (epoch counts from 0).
[[nodiscard]] double kh_epsilon(double eps0, int epoch, int anneal_epochs);

// A batch of 0/1 vectors held as the indices of their ones: sample s has ones at
// index[offset[s] .. offset[s+1]), in increasing order. `index` may be longer than in use:
// filling a batch reuses its room, so a training loop allocates nothing per minibatch.
struct ActiveSets {
  std::vector<int> offset{0};
  std::vector<int> index;
  [[nodiscard]] int samples() const { return static_cast<int>(offset.size()) - 1; }
  [[nodiscard]] int total() const { return offset.back(); }
  [[nodiscard]] const int* ones(int s) const { return index.data() + offset[s]; }
  [[nodiscard]] int count(int s) const { return offset[s + 1] - offset[s]; }
  void clear() { offset.assign(1, 0); }
  // Room for the next sample's ones (at most n, plus the slack the index writers need);
  // close_sample(k) then keeps the first k.
  [[nodiscard]] int* room(int n) {
    const auto needed = static_cast<std::size_t>(total() + n + data::kIndexSlack);
    if (index.size() < needed) index.resize(needed);
    return index.data() + total();
  }
  void close_sample(int ones) { offset.push_back(total() + ones); }
};

// Reusable buffers for kh_step, so a training loop allocates nothing per minibatch.
template <class Real>
struct KhWorkspace {
  Rows<Real> currents;                // one sample's K currents (one row)
  std::vector<int> slot_of_unit;      // unit -> row in `hebbian`, or -1
  std::vector<int> touched;           // units with a non-zero g this batch, in first-touch order
  std::vector<double> current_sum;    // per touched unit: sum_b g I
  Rows<Real> hebbian;                 // per touched unit: R^p sum_b g x (fan-in wide), then ds
  Rows<Real> applied_change;          // per touched unit (row = its place in `touched`): what was added
  Rows<Real> powered_t;               // sign(w)|w|^(p-1), transposed, when p != 2
  std::vector<int> top;               // the rank+1 strongest units of one sample
};

// One KH step (Eq. 6-8) on the postsynaptic weight vectors, which are the rows of `post`
// (K x fan-in); `post_t` is its transpose and is kept in sync. x holds the batch's presynaptic
// 0/1 activities. Every row of post changes by eps * ds / max|ds|. Returns the touched units
// (those whose g was non-zero for some sample), the only rows that can have changed; row k of
// work.applied_change holds what was added to the row of touched[k].
template <class Real>
const std::vector<int>& kh_step(Rows<Real>& post, Rows<Real>& post_t, const ActiveSets& x, double eps,
                                const KhSettings& settings, KhWorkspace<Real>& work);

}  // namespace khsweep::model
