// The RBM's exact quantities against brute-force enumeration of the energy E(v, h).
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "../support/tiny_models.hpp"
#include "khsweep/model/rbm.hpp"

using namespace khsweep;

namespace {

// E(v, h) = -v.W.h - a.v - b.h, straight from Eq. 1.
double energy(const model::Params<double>& p, const std::vector<std::uint8_t>& v, const std::vector<std::uint8_t>& h) {
  double e = 0.0;
  for (int i = 0; i < p.layout.visible(); ++i) {
    e -= p.a[i] * v[i];
    for (int j = 0; j < p.layout.hidden; ++j) e -= v[i] * p.W(i, j) * h[j];
  }
  for (int j = 0; j < p.layout.hidden; ++j) e -= p.b[j] * h[j];
  return e;
}

model::Params<double> random_params(model::Layout layout, std::uint64_t seed) {
  Rng rng(seed);
  auto p = model::init_params<double>(layout, model::Init::std_normal, rng);
  for (int i = 0; i < layout.visible(); ++i) p.a[i] = 0.5 * rng.normal();
  for (int j = 0; j < layout.hidden; ++j) p.b[j] = 0.5 * rng.normal();
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(free_energy_equals_minus_log_sum_over_hidden_states) {
  const model::Layout layout{5, 0, 4};
  const auto p = random_params(layout, 7);
  for (unsigned code = 0; code < (1u << 5); ++code) {
    const auto v = testing::visible_from_code(code, 5);
    std::vector<double> terms;
    for (unsigned hcode = 0; hcode < (1u << 4); ++hcode) terms.push_back(-energy(p, v, testing::visible_from_code(hcode, 4)));
    BOOST_TEST(model::free_energy(p, v.data()) == -testing::log_sum_exp(terms), boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(label_probabilities_equal_enumeration_over_hidden_states) {
  const model::Layout layout{4, 3, 5};
  const auto p = random_params(layout, 11);
  for (unsigned code = 0; code < (1u << 4); ++code) {
    const auto image = testing::visible_from_code(code, 4);
    // log p(y|x) = log sum_h exp(-E(x, e_y, h)) - log sum_{y', h} exp(-E(x, e_y', h))
    std::vector<double> joint(3);
    for (int y = 0; y < 3; ++y) {
      auto v = image;
      v.resize(7, 0);
      v[4 + y] = 1;
      std::vector<double> terms;
      for (unsigned hcode = 0; hcode < (1u << 5); ++hcode) terms.push_back(-energy(p, v, testing::visible_from_code(hcode, 5)));
      joint[y] = testing::log_sum_exp(terms);
    }
    const double norm = testing::log_sum_exp(joint);
    double got[3];
    model::label_log_probabilities(p, image.data(), got);
    for (int y = 0; y < 3; ++y) BOOST_TEST(got[y] == joint[y] - norm, boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(initialisations_have_the_papers_scales) {
  Rng rng(5);
  const model::Layout layout{784, 10, 200};
  const auto lecun = model::init_params<double>(layout, model::Init::lecun, rng);
  const auto std_normal = model::init_params<double>(layout, model::Init::std_normal, rng);
  const double n = static_cast<double>(lecun.W.size());
  const double lecun_var = lecun.W.squaredNorm() / n;
  const double std_var = std_normal.W.squaredNorm() / n;
  // 158 800 draws: the sample variance is within 1% of the true one with overwhelming probability.
  BOOST_TEST(lecun_var == 1.0 / 794, boost::test_tools::tolerance(0.01));
  BOOST_TEST(std_var == 1.0, boost::test_tools::tolerance(0.01));
  BOOST_TEST(std::abs(std_normal.W.mean()) < 0.01);
  BOOST_TEST(lecun.a.isZero(0.0));
  BOOST_TEST(lecun.b.isZero(0.0));
}
