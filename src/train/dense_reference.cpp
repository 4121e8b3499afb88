#include "khsweep/train/dense_reference.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <numeric>

#include "khsweep/core/random.hpp"

namespace khsweep::train {

namespace {
using Clock = std::chrono::steady_clock;
using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Bernoulli samples of a probability matrix, in place.
void sample(MatrixF& p, Rng& rng) {
  for (Eigen::Index i = 0; i < p.size(); ++i) p.data()[i] = rng.uniform_float() < p.data()[i] ? 1.0f : 0.0f;
}

void sigmoid(MatrixF& x) { x = (1.0f + (-x.array()).exp()).inverse().matrix(); }
}  // namespace

double dense_cd1_epoch_seconds(const data::Dataset& train, int hidden, std::uint64_t seed) {
  const int n = static_cast<int>(train.dim);
  const int batch = 100;
  Rng rng(seed);
  MatrixF W(n, hidden);
  for (Eigen::Index i = 0; i < W.size(); ++i) W.data()[i] = static_cast<float>(rng.normal() / std::sqrt(n));
  Eigen::RowVectorXf a = Eigen::RowVectorXf::Zero(n), b = Eigen::RowVectorXf::Zero(hidden);
  MatrixF V(batch, n), H(batch, hidden), Hs(batch, hidden), V1(batch, n), H1(batch, hidden);
  std::vector<std::uint32_t> order(train.count);
  std::iota(order.begin(), order.end(), 0u);
  shuffle(order.data(), order.size(), rng);

  const auto start = Clock::now();
  const float scale = 0.1f / batch;
  for (std::size_t first = 0; first + batch <= train.count; first += batch) {
    for (int s = 0; s < batch; ++s)
      for (int i = 0; i < n; ++i) V(s, i) = train.row(order[first + s])[i];
    H.noalias() = V * W;
    H.rowwise() += b;
    sigmoid(H);
    Hs = H;
    sample(Hs, rng);
    V1.noalias() = Hs * W.transpose();
    V1.rowwise() += a;
    sigmoid(V1);
    sample(V1, rng);
    H1.noalias() = V1 * W;
    H1.rowwise() += b;
    sigmoid(H1);
    W.noalias() += scale * (V.transpose() * H - V1.transpose() * H1);
    a += scale * (V - V1).colwise().sum();
    b += scale * (H - H1).colwise().sum();
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double gemm_gflops(int rows, int inner, int cols, int repeats) {
  MatrixF A = MatrixF::Random(rows, inner), B = MatrixF::Random(inner, cols), C(rows, cols);
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    for (int k = 0; k < 20; ++k) C.noalias() = A * B;
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count() / 20);
  }
  volatile float sink = C(0, 0);  // keep the product alive
  (void)sink;
  return 2.0 * rows * inner * cols / best / 1e9;
}

}  // namespace khsweep::train
