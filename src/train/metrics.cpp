#include "khsweep/train/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "khsweep/model/math.hpp"

namespace khsweep::train {

namespace {

template <class Real>
Real uniform(Rng& rng) {
  if constexpr (std::is_same_v<Real, float>)
    return rng.uniform_float();
  else
    return rng.uniform();
}

}  // namespace

template <class Real>
SetMetrics evaluate(const model::Params<Real>& params, const data::Dataset& set, std::size_t limit, Rng& rng) {
  using model::log_sigmoid;
  using model::sigmoid;
  using model::softplus;
  const auto& layout = params.layout;
  const int pixels = layout.pixels;
  const int M = layout.hidden;
  const std::size_t n = limit == 0 ? set.count : std::min(limit, set.count);
  SetMetrics out;
  if (n == 0) return out;

  const model::Matrix<Real> Wt = params.W.transpose();
  model::Vector<Real> image_input(M), hidden_input(M), visible_input(layout.visible());
  std::vector<int> on;
  double squared_error = 0.0, cross_entropy = 0.0, pll = 0.0;
  std::size_t correct = 0;
  std::vector<double> label_log_p(layout.classes);

  for (std::size_t s = 0; s < n; ++s) {
    const std::uint8_t* v = set.row(s);
    on.clear();
    for (int i = 0; i < pixels; ++i)
      if (v[i]) on.push_back(i);
    image_input = params.b;
    for (int i : on) image_input += params.W.row(i).transpose();
    hidden_input = image_input;
    if (layout.classifies()) hidden_input += params.W.row(pixels + set.labels[s]).transpose();

    // Reconstruction: v -> h ~ p(h|v) -> v' ~ p(v|h), compared on the image pixels.
    visible_input = params.a;
    for (int j = 0; j < M; ++j)
      if (uniform<Real>(rng) < sigmoid(hidden_input[j])) visible_input += Wt.row(j).transpose();
    std::size_t mismatches = 0;
    double sample_entropy = 0.0;
    for (int i = 0; i < pixels; ++i) {
      const Real x = visible_input[i];
      const bool reconstructed = uniform<Real>(rng) < sigmoid(x);
      mismatches += (reconstructed != (v[i] != 0));
      // -[v log s(x) + (1 - v) log(1 - s(x))] = softplus(x) - v x, exact for any x.
      sample_entropy += static_cast<double>(softplus(x)) - (v[i] ? static_cast<double>(x) : 0.0);
    }
    squared_error += static_cast<double>(mismatches);
    cross_entropy += sample_entropy;

    // Pseudo-log-likelihood with one random pixel flipped: N log sigmoid(F(v~) - F(v)).
    const int flip = static_cast<int>(rng.below(static_cast<std::uint64_t>(pixels)));
    const double sign = v[flip] ? -1.0 : 1.0;  // the flipped pixel's change
    double free_energy_change = -sign * static_cast<double>(params.a[flip]);
    for (int j = 0; j < M; ++j) {
      const double before = hidden_input[j];
      const double after = before + sign * static_cast<double>(params.W(flip, j));
      free_energy_change -= softplus(after) - softplus(before);
    }
    pll += pixels * log_sigmoid(free_energy_change);

    if (layout.classifies()) {
      // argmax_y log p(y|x) from the image-only input; ties go to the lower label.
      int best = 0;
      double best_score = -INFINITY;
      for (int y = 0; y < layout.classes; ++y) {
        double score = params.a[pixels + y];
        for (int j = 0; j < M; ++j)
          score += softplus(static_cast<double>(image_input[j]) + static_cast<double>(params.W(pixels + y, j)));
        if (score > best_score) {
          best_score = score;
          best = y;
        }
      }
      correct += (best == set.labels[s]);
    }
  }
  const double pixel_count = static_cast<double>(n) * pixels;
  out.mse = squared_error / pixel_count;
  out.cross_entropy = cross_entropy / pixel_count;
  out.pseudo_log_likelihood = pll / static_cast<double>(n);
  if (layout.classifies()) out.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return out;
}

template <class Real>
double receptive_field_overlap(const model::Params<Real>& params) {
  const int pixels = params.layout.pixels;
  const int M = params.layout.hidden;
  if (M < 2) return kNotMeasured;
  // Unit-normalised image weights of each hidden unit, as rows; explicit loops in a fixed order
  // so the value is the same bits on every machine running this binary.
  std::vector<double> unit(static_cast<std::size_t>(M) * pixels);
  for (int j = 0; j < M; ++j) {
    double norm = 0.0;
    for (int i = 0; i < pixels; ++i) norm += static_cast<double>(params.W(i, j)) * params.W(i, j);
    norm = std::sqrt(norm);
    for (int i = 0; i < pixels; ++i) unit[static_cast<std::size_t>(j) * pixels + i] = norm > 0 ? params.W(i, j) / norm : 0.0;
  }
  std::vector<double> best(M, -1.0);
  for (int j = 0; j < M; ++j) {
    const double* uj = unit.data() + static_cast<std::size_t>(j) * pixels;
    for (int k = j + 1; k < M; ++k) {
      const double* uk = unit.data() + static_cast<std::size_t>(k) * pixels;
      double cosine = 0.0;
      for (int i = 0; i < pixels; ++i) cosine += uj[i] * uk[i];
      best[j] = std::max(best[j], cosine);
      best[k] = std::max(best[k], cosine);
    }
  }
  double sum = 0.0;
  for (double b : best) sum += b;
  return sum / M;
}

template SetMetrics evaluate<float>(const model::Params<float>&, const data::Dataset&, std::size_t, Rng&);
template SetMetrics evaluate<double>(const model::Params<double>&, const data::Dataset&, std::size_t, Rng&);
template double receptive_field_overlap<float>(const model::Params<float>&);
template double receptive_field_overlap<double>(const model::Params<double>&);

}  // namespace khsweep::train
