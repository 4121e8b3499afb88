#pragma once
#include <Eigen/Core>
#include <cstdint>

#include "khsweep/core/random.hpp"

namespace khsweep::model {

enum class Init { std_normal, lecun };  // W ~ N(0, 1) or N(0, 1/visible); biases start at 0
enum class LabelSampling { sample, argmax };  // how a cRBM's label units are drawn given h

// Shape of an RBM. A classification RBM (Larochelle et al.) appends `classes` one-hot label units
// to the `pixels` image units of its visible layer; a plain RBM has classes == 0.
struct Layout {
  int pixels = 0;
  int classes = 0;
  int hidden = 0;
  [[nodiscard]] int visible() const { return pixels + classes; }
  [[nodiscard]] bool classifies() const { return classes > 0; }
};

template <class Real>
using Matrix = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class Real>
using Vector = Eigen::Matrix<Real, Eigen::Dynamic, 1>;

// theta = {W, a, b}: W is visible x hidden (row-major, as h5py reads it), a visible, b hidden.
template <class Real>
struct Params {
  Layout layout;
  Matrix<Real> W;
  Vector<Real> a;
  Vector<Real> b;
};

template <class Real>
[[nodiscard]] Params<Real> init_params(const Layout& layout, Init init, Rng& rng);

// F(v) = -a.v - sum_j softplus(b_j + v.W_j), for a 0/1 visible vector of length layout.visible().
template <class Real>
[[nodiscard]] double free_energy(const Params<Real>& p, const std::uint8_t* visible);

// log p(y | x) for every label y of a cRBM, exact and in log space, from the 0/1 image x.
// out receives layout.classes values.
template <class Real>
void label_log_probabilities(const Params<Real>& p, const std::uint8_t* image, double* out);

}  // namespace khsweep::model
