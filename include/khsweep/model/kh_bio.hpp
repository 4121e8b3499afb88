#pragma once
// Krotov & Hopfield (PNAS 2019), "Unsupervised learning by competing hidden units": a hidden layer
// trained by the ranking rule alone, then a supervised readout on the frozen layer.
//
// The unsupervised step is model::kh_step in its bottom-up orientation (docs/algorithms.md section 5, x = the data,
// the hidden units compete); it is exactly the published code's update (g = 1 for the strongest unit,
// -Delta for the unit ranked l+1, ds = R^p g x - (g I) w, step eps * ds / max|ds|). Inputs are the
// binarised images (docs/algorithms.md section 1), so the sparse 0/1 form kh_step takes loses nothing.
#include <cstdint>
#include <vector>

#include "khsweep/model/kh.hpp"
#include "khsweep/model/rbm.hpp"

namespace khsweep::model {

// The published code's schedule: eps0 (1 - epoch/S), linear, and 0 from epoch S on.
[[nodiscard]] double kh_bio_epsilon(double eps0, int epoch, int anneal_epochs);

// The readout of the PNAS paper: hidden h_mu = max(<W_mu, v>, 0)^n, outputs c = tanh(beta S h),
// loss sum_alpha |c_alpha - t_alpha|^m with t = +1 for the label and -1 for the others.
struct ReadoutSettings {
  double activation_power = 4.5;  // n
  double loss_power = 6.0;        // m
  double beta = 1.0;              // gain of the tanh outputs
  double learning_rate = 0.01;    // Adam's step size
};

// Hidden activations of a batch: features (rows x hidden) = max(I / max_mu I_mu, 0)^n with the currents
// I = X synapses_t, where X holds the rows' 0/1 pixels and synapses_t is pixels x hidden (the first
// `pixels` rows of W). The per-sample division by the strongest current is our addition (see the .cpp).
template <class Real>
void readout_features(const Matrix<Real>& synapses_t, const std::uint8_t* rows, int count, int pixels,
                      double activation_power, Matrix<Real>& features);

// The readout's class scores for a batch of features: beta * features * S^T (argmax = prediction).
template <class Real>
void readout_scores(const Matrix<Real>& readout, const Matrix<Real>& features, double beta, Matrix<Real>& scores);

// Adam's state for the readout weights (classes x hidden), and its step counter.
template <class Real>
struct AdamMoments {
  Matrix<Real> first;
  Matrix<Real> second;
};

// One minibatch step of the readout (classes x hidden) on `features` with `labels`: the gradient of
// the mean power-m loss over the batch, applied by Adam (beta1 0.9, beta2 0.999, eps 1e-8) as its
// step number `step` (from 1). Returns the batch's mean loss before the step.
template <class Real>
double readout_step(Matrix<Real>& readout, AdamMoments<Real>& moments, long step, const Matrix<Real>& features,
                    const std::uint8_t* labels, const ReadoutSettings& settings);

}  // namespace khsweep::model
