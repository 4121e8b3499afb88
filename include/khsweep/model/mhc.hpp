#pragma once
// The Modern Hopfield Classifier (Joshi, Krishnan, Bazhenov 2023): feature units v (the image) and one
// hidden unit per class, coupled by one weight matrix W (features x classes), integrated with Euler steps:
//   tau dv/dt = -v + W f,   tau dh/dt = -h + W^T g,   f = softmax(beta h),  g = v      (Eq. 1, 2)
// and, while training with v clamped to the image, the local rule of Eq. 3:
//   dW_ij/dt = eta g_i (t_j - f_j) / exp(-|W_ij|)
// Time is measured in units of tau (tau_v = tau_h = 1).
#include "khsweep/model/rbm.hpp"

namespace khsweep::model {

struct MhcSettings {
  double beta = 1.0;           // inverse temperature of the softmax
  double learning_rate = 0.1;  // eta of Eq. 3
  int steps = 100;             // Euler steps per presentation (the paper's 100)
  double dt = 0.1;             // Euler step, in units of tau
};

// f = softmax(beta h), computed stably.
void mhc_softmax(const Vector<double>& h, double beta, Vector<double>& f);

// Presents one training image: v stays clamped to `input` (features values), h starts at `hidden`
// (small random values) and evolves by Eq. 2 while W evolves by Eq. 3 towards the one-hot target of
// `label`; both are stepped together from the same state (explicit Euler). `hidden` ends as the
// final state.
void mhc_train_sample(Matrix<double>& W, const double* input, int label, Vector<double>& hidden,
                      const MhcSettings& settings);

// Classifies one image: v starts at `input`, h at `hidden`; both evolve by Eq. 1-2 for settings.steps
// Euler steps; the most active hidden unit is the prediction.
[[nodiscard]] int mhc_classify(const Matrix<double>& W, const double* input, Vector<double> hidden,
                               const MhcSettings& settings);

}  // namespace khsweep::model
