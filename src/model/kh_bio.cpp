#include "khsweep/model/kh_bio.hpp"

#include <cmath>

namespace khsweep::model {

double kh_bio_epsilon(double eps0, int epoch, int anneal_epochs) {
  if (anneal_epochs <= 0 || epoch >= anneal_epochs) return 0.0;
  return eps0 * (1.0 - static_cast<double>(epoch) / anneal_epochs);
}

template <class Real>
void readout_features(const Matrix<Real>& synapses_t, const std::uint8_t* rows, int count, int pixels,
                      double activation_power, Matrix<Real>& features) {
  const auto hidden = synapses_t.cols();
  features.setZero(count, hidden);
  // Inputs are 0/1: the current is the sum of the active pixels' weight rows.
  for (int s = 0; s < count; ++s) {
    const std::uint8_t* x = rows + static_cast<std::size_t>(s) * pixels;
    auto out = features.row(s);
    for (int i = 0; i < pixels; ++i)
      if (x[i]) out += synapses_t.row(i);
  }
  const Real n = static_cast<Real>(activation_power);
  for (int s = 0; s < count; ++s) {
    auto row = features.row(s);
    // Dividing by the strongest current rescales a sample's scores by a positive factor, so it never
    // changes a prediction; it keeps the readout's tanh out of saturation whatever the scale of the
    // synapses (random N(0, 1) ones give currents near 10, and 10^4.5 would pin tanh at +-1).
    const Real strongest = row.maxCoeff();
    if (!(strongest > 0)) {
      row.setZero();
      continue;
    }
    for (Eigen::Index j = 0; j < hidden; ++j) {
      const Real current = row(j);
      row(j) = current > 0 ? std::pow(current / strongest, n) : Real(0);
    }
  }
}

template <class Real>
void readout_scores(const Matrix<Real>& readout, const Matrix<Real>& features, double beta, Matrix<Real>& scores) {
  scores.noalias() = features * readout.transpose();
  scores *= static_cast<Real>(beta);
}

template <class Real>
double readout_step(Matrix<Real>& readout, AdamMoments<Real>& moments, long step, const Matrix<Real>& features,
                    const std::uint8_t* labels, const ReadoutSettings& settings) {
  const auto count = features.rows();
  const auto classes = readout.rows();
  Matrix<Real> scores;
  readout_scores(readout, features, settings.beta, scores);
  // dLoss/dz for z = S h: m |c - t|^(m-1) sign(c - t) * beta (1 - c^2), averaged over the batch.
  Matrix<Real> dz(count, classes);
  double loss = 0.0;
  const double m = settings.loss_power;
  for (Eigen::Index s = 0; s < count; ++s)
    for (Eigen::Index a = 0; a < classes; ++a) {
      const double c = std::tanh(static_cast<double>(scores(s, a)));
      const double t = labels[s] == a ? 1.0 : -1.0;
      const double diff = c - t;
      loss += std::pow(std::abs(diff), m);
      dz(s, a) = static_cast<Real>(m * std::pow(std::abs(diff), m - 1) * (diff < 0 ? -1.0 : 1.0) * settings.beta *
                                   (1.0 - c * c) / static_cast<double>(count));
    }
  const Matrix<Real> gradient = dz.transpose() * features;  // classes x hidden
  if (moments.first.size() == 0) {
    moments.first.setZero(readout.rows(), readout.cols());
    moments.second.setZero(readout.rows(), readout.cols());
  }
  constexpr double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  const double correction1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double correction2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  for (Eigen::Index i = 0; i < readout.size(); ++i) {
    const double g = gradient.data()[i];
    const double first = beta1 * moments.first.data()[i] + (1 - beta1) * g;
    const double second = beta2 * moments.second.data()[i] + (1 - beta2) * g * g;
    moments.first.data()[i] = static_cast<Real>(first);
    moments.second.data()[i] = static_cast<Real>(second);
    readout.data()[i] -= static_cast<Real>(settings.learning_rate * (first / correction1) /
                                           (std::sqrt(second / correction2) + epsilon));
  }
  return loss / static_cast<double>(count);
}

template void readout_features<float>(const Matrix<float>&, const std::uint8_t*, int, int, double, Matrix<float>&);
template void readout_features<double>(const Matrix<double>&, const std::uint8_t*, int, int, double, Matrix<double>&);
template void readout_scores<float>(const Matrix<float>&, const Matrix<float>&, double, Matrix<float>&);
template void readout_scores<double>(const Matrix<double>&, const Matrix<double>&, double, Matrix<double>&);
template double readout_step<float>(Matrix<float>&, AdamMoments<float>&, long, const Matrix<float>&,
                                    const std::uint8_t*, const ReadoutSettings&);
template double readout_step<double>(Matrix<double>&, AdamMoments<double>&, long, const Matrix<double>&,
                                     const std::uint8_t*, const ReadoutSettings&);

}  // namespace khsweep::model
