#include "khsweep/model/mhc.hpp"

#include <cmath>

namespace khsweep::model {

void mhc_softmax(const Vector<double>& h, double beta, Vector<double>& f) {
  f = beta * h;
  f.array() -= f.maxCoeff();  // exp of non-positive values cannot overflow
  f = f.array().exp();
  f /= f.sum();
}

void mhc_train_sample(Matrix<double>& W, const double* input, int label, Vector<double>& hidden,
                      const MhcSettings& settings) {
  const Eigen::Map<const Vector<double>> v(input, W.rows());
  Vector<double> f, drive;
  for (int step = 0; step < settings.steps; ++step) {
    mhc_softmax(hidden, settings.beta, f);
    drive.noalias() = W.transpose() * v;  // from the weights before this step's change
    Vector<double> error = -f;
    error(label) += 1.0;  // t - f
    const double rate = settings.dt * settings.learning_rate;
    for (Eigen::Index i = 0; i < W.rows(); ++i) {
      const double gi = rate * v(i);
      if (gi == 0.0) continue;
      for (Eigen::Index j = 0; j < W.cols(); ++j) W(i, j) += gi * error(j) * std::exp(std::abs(W(i, j)));
    }
    hidden += settings.dt * (drive - hidden);
  }
}

int mhc_classify(const Matrix<double>& W, const double* input, Vector<double> hidden, const MhcSettings& settings) {
  Vector<double> v = Eigen::Map<const Vector<double>>(input, W.rows());
  Vector<double> f, dv, dh;
  for (int step = 0; step < settings.steps; ++step) {
    mhc_softmax(hidden, settings.beta, f);
    dv.noalias() = W * f - v;
    dh.noalias() = W.transpose() * v - hidden;
    v += settings.dt * dv;
    hidden += settings.dt * dh;
  }
  Eigen::Index best = 0;
  hidden.maxCoeff(&best);
  return static_cast<int>(best);
}

}  // namespace khsweep::model
