#include "khsweep/train/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "khsweep/model/lanes.hpp"

namespace khsweep::train {

namespace {

// A row `width` wide, 1 in its first n columns and 0 after: multiplying by it keeps those columns.
template <class Real>
model::Rows<Real> ones_then_zeros(int n, int width) {
  model::Rows<Real> mask(1, width);
  for (int c = 0; c < n; ++c) mask(0, c) = 1;
  return mask;
}

}  // namespace

// Per image: the on pixels; h ~ p(h|v) and v' ~ p(v|h) through the lane kernels of training (sums
// of selected rows of W and W^T), so an epoch's metrics cost about one more Gibbs step over the data.
// Draws come from a counter-based stream keyed once per call, like the trainer's.
template <class Real>
SetMetrics evaluate(const model::Params<Real>& params, const data::Dataset& set, std::size_t limit, Rng& rng) {
  using Lane = model::Lane<Real>;
  using Rows = model::Rows<Real>;
  const auto& layout = params.layout;
  const int pixels = layout.pixels;
  const int M = layout.hidden;
  const std::size_t n = limit == 0 ? set.count : std::min(limit, set.count);
  SetMetrics out;
  if (n == 0) return out;

  const Rows W = Rows::from(params.W);
  Rows Wt;
  W.transpose_into(Wt);
  const Rows a = Rows::from(params.a);
  const Rows b = Rows::from(params.b);
  const Rows hidden_mask = ones_then_zeros<Real>(M, M);
  const Rows pixel_mask = ones_then_zeros<Real>(pixels, layout.visible());
  const int hidden_lanes = W.lanes(), visible_lanes = Wt.lanes();
  Rows image_input(1, M), hidden_input(1, M), scratch(1, std::max(M, layout.visible())), visible_input(1, layout.visible()), image(1, layout.visible());
  Rows terms(1, std::max(M, layout.visible()));  // one image's terms of a sum, before sum_lanes
  std::vector<float> uniforms(static_cast<std::size_t>(std::max(hidden_lanes, visible_lanes) * model::kLanes<Real>) + 2);
  std::vector<int> on(static_cast<std::size_t>(std::max(pixels, M) + 1 + data::kIndexSlack)),
      hidden_on(static_cast<std::size_t>(M + data::kIndexSlack));
  const std::uint64_t key = rng.next();

  double squared_error = 0.0, cross_entropy = 0.0, pll = 0.0;
  std::size_t correct = 0;
  for (std::size_t s = 0; s < n; ++s) {
    const std::uint8_t* v = set.row(s);
    const int ones = data::indices_of_ones(v, pixels, on.data());
    model::sum_rows(W, on.data(), ones, b.row(0), image_input.row(0));
    Lane* hidden = hidden_input.row(0);
    if (layout.classifies()) {
      const int label_unit = pixels + set.labels[s];
      model::sum_rows(W, &label_unit, 1, image_input.row(0), hidden);
    } else {
      std::copy(image_input.row(0), image_input.row(0) + hidden_lanes, hidden);
    }

    // Reconstruction: v -> h ~ p(h|v) -> v' ~ p(v|h), compared on the image pixels.
    const std::uint64_t position = static_cast<std::uint64_t>(s) << 21;
    fill_uniforms(key, position, uniforms.data(), M + (M & 1));
    Lane* probability = scratch.row(0);  // p(h|v)
    for (int l = 0; l < hidden_lanes; ++l) probability[l] = model::sigmoid_lanes<Real>(hidden[l]);
    const int hidden_ones = model::draw_ones<Real>(probability, uniforms.data(), M, hidden_on.data());
    Lane* x = visible_input.row(0);
    model::sum_rows(Wt, hidden_on.data(), hidden_ones, a.row(0), x);
    fill_uniforms(key, position | (1u << 20), uniforms.data(), pixels + (pixels & 1));
    Real* truth = image.values(0);
    for (int k = 0; k < ones; ++k) truth[on[k]] = 1;
    Lane* entropy = terms.row(0);
    const Lane* truth_lanes = image.row(0);
    std::size_t mismatches = 0;
    for (int l = 0; l < visible_lanes; ++l) {
      // -[v log s(x) + (1 - v) log(1 - s(x))] = softplus(x) - v x, exact for any x.
      entropy[l] = pixel_mask.row(0)[l] * (model::softplus_lanes<Real>(x[l]) - truth_lanes[l] * x[l]);
      // v' drawn as in training: count the pixels where v' != v.
      const int first = l * model::kLanes<Real>;
      if (first >= pixels) continue;
      const std::uint32_t differ = (model::lane_bits<Real>(model::draw_lane_from_inputs<Real>(x[l], uniforms.data(), first)) ^
                                    model::lane_bits<Real>(truth_lanes[l] != Real(0))) &
                                   model::elements_before<Real>(pixels, first);
      mismatches += static_cast<std::size_t>(__builtin_popcount(differ));
    }
    for (int k = 0; k < ones; ++k) truth[on[k]] = 0;
    squared_error += static_cast<double>(mismatches);
    cross_entropy += model::sum_lanes<Real>(entropy, visible_lanes);

    // Pseudo-log-likelihood with one random pixel flipped: N log sigmoid(F(v~) - F(v)).
    const int flip = static_cast<int>(rng.below(static_cast<std::uint64_t>(pixels)));
    const Real sign = v[flip] ? Real(-1) : Real(1);  // the flipped pixel's change
    const Lane* flipped_row = W.row(flip);
    Lane* change = terms.row(0);
    for (int l = 0; l < hidden_lanes; ++l)
      change[l] = model::softplus_lanes<Real>(hidden[l] + sign * flipped_row[l]) - model::softplus_lanes<Real>(hidden[l]);
    const double free_energy_change =
        -static_cast<double>(sign) * static_cast<double>(a(0, flip)) - model::sum_lanes<Real>(change, hidden_lanes);
    // log sigmoid(d) = -softplus(-d), through the same polynomial as everything else.
    pll -= pixels * static_cast<double>(model::softplus_lanes<Real>(model::splat<Real>(static_cast<Real>(-free_energy_change)))[0]);

    if (layout.classifies()) {
      // argmax_y log p(y|x) from the image-only input; ties go to the lower label.
      int best = 0;
      double best_score = -INFINITY;
      for (int y = 0; y < layout.classes; ++y) {
        const Lane* label_row = W.row(pixels + y);
        Lane* score = terms.row(0);
        for (int l = 0; l < hidden_lanes; ++l)
          score[l] = hidden_mask.row(0)[l] * model::softplus_lanes<Real>(image_input.row(0)[l] + label_row[l]);
        const double total = static_cast<double>(a(0, pixels + y)) + model::sum_lanes<Real>(score, hidden_lanes);
        if (total > best_score) {
          best_score = total;
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
