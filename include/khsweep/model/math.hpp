#pragma once
#include <cmath>

// Scalar functions of the numerics, in one place so every caller computes them the same way.
namespace khsweep::model {

template <class Real>
inline Real sigmoid(Real x) {
  return Real(1) / (Real(1) + std::exp(-x));
}

// log(1 + e^x) without overflow.
template <class Real>
inline Real softplus(Real x) {
  return std::max(x, Real(0)) + std::log1p(std::exp(-std::abs(x)));
}

// log sigmoid(x) = -softplus(-x).
template <class Real>
inline Real log_sigmoid(Real x) {
  return -softplus(-x);
}

}  // namespace khsweep::model
