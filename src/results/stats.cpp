#include "khsweep/results/stats.hpp"

#include <cmath>
#include <cstdio>

namespace khsweep::results {

Stats describe(const std::vector<double>& values) {
  Stats s;
  double sum = 0.0;
  for (double v : values)
    if (!std::isnan(v)) {
      ++s.n;
      sum += v;
    }
  s.mean = s.n > 0 ? sum / s.n : NAN;
  if (s.n < 2) {
    s.sd = s.se = NAN;
    return s;
  }
  double squares = 0.0;  // two passes: exact enough for any seed count, unlike sum of squares
  for (double v : values)
    if (!std::isnan(v)) squares += (v - s.mean) * (v - s.mean);
  s.sd = std::sqrt(squares / (s.n - 1));
  s.se = s.sd / std::sqrt(static_cast<double>(s.n));
  return s;
}

std::string paper_notation(double value, double se, int decimals) {
  if (std::isnan(value)) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  if (std::isnan(se)) return text;
  const double unit = std::pow(10.0, -decimals);
  const long digits = std::max(1L, std::lround(se / unit));
  return std::string(text) + "(" + std::to_string(digits) + ")";
}

}  // namespace khsweep::results
