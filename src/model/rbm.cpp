#include "khsweep/model/rbm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "khsweep/model/math.hpp"

namespace khsweep::model {

template <class Real>
Params<Real> init_params(const Layout& layout, Init init, Rng& rng) {
  Params<Real> p;
  p.layout = layout;
  const int visible = layout.visible();
  // LeCun: variance 1/fan-in, and a hidden unit's fan-in is the whole visible layer.
  const double sigma = init == Init::lecun ? 1.0 / std::sqrt(static_cast<double>(visible)) : 1.0;
  p.W.resize(visible, layout.hidden);
  for (Eigen::Index i = 0; i < p.W.size(); ++i) p.W.data()[i] = static_cast<Real>(sigma * rng.normal());
  p.a = Vector<Real>::Zero(visible);
  p.b = Vector<Real>::Zero(layout.hidden);
  return p;
}

template <class Real>
double free_energy(const Params<Real>& p, const std::uint8_t* visible) {
  const int n_visible = p.layout.visible();
  const int n_hidden = p.layout.hidden;
  std::vector<double> pre(p.b.data(), p.b.data() + n_hidden);
  double energy = 0.0;
  for (int i = 0; i < n_visible; ++i) {
    if (!visible[i]) continue;
    energy -= p.a[i];
    for (int j = 0; j < n_hidden; ++j) pre[j] += p.W(i, j);
  }
  for (int j = 0; j < n_hidden; ++j) energy -= softplus(pre[j]);
  return energy;
}

template <class Real>
void label_log_probabilities(const Params<Real>& p, const std::uint8_t* image, double* out) {
  const int pixels = p.layout.pixels;
  const int classes = p.layout.classes;
  const int n_hidden = p.layout.hidden;
  std::vector<double> pre(p.b.data(), p.b.data() + n_hidden);
  for (int i = 0; i < pixels; ++i)
    if (image[i])
      for (int j = 0; j < n_hidden; ++j) pre[j] += p.W(i, j);
  // log p(y|x) = score_y - logsumexp(score), score_y = a_y + sum_j softplus(pre_j + W_yj).
  double max_score = -INFINITY;
  for (int y = 0; y < classes; ++y) {
    const int row = pixels + y;
    double score = p.a[row];
    for (int j = 0; j < n_hidden; ++j) score += softplus(pre[j] + static_cast<double>(p.W(row, j)));
    out[y] = score;
    max_score = std::max(max_score, score);
  }
  double sum = 0.0;
  for (int y = 0; y < classes; ++y) sum += std::exp(out[y] - max_score);
  const double log_norm = max_score + std::log(sum);
  for (int y = 0; y < classes; ++y) out[y] -= log_norm;
}

template Params<float> init_params<float>(const Layout&, Init, Rng&);
template Params<double> init_params<double>(const Layout&, Init, Rng&);
template double free_energy<float>(const Params<float>&, const std::uint8_t*);
template double free_energy<double>(const Params<double>&, const std::uint8_t*);
template void label_log_probabilities<float>(const Params<float>&, const std::uint8_t*, double*);
template void label_log_probabilities<double>(const Params<double>&, const std::uint8_t*, double*);

}  // namespace khsweep::model
