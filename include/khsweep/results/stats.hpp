#pragma once
// Seed statistics, as the paper reports them: mean and standard error over a group's runs.
#include <string>
#include <vector>

namespace khsweep::results {

struct Stats {
  int n = 0;           // values that were measured (NaN values are skipped)
  double mean = 0.0;   // NaN when n == 0
  double sd = 0.0;     // sample standard deviation (n - 1); NaN when n < 2
  double se = 0.0;     // sd / sqrt(n); NaN when n < 2
};

[[nodiscard]] Stats describe(const std::vector<double>& values);

// "96.5(1)": the value rounded to `decimals`, with its standard error in units of the last digit,
// rounded up to at least 1 (the paper's Table I notation). Without a standard error: "96.5".
[[nodiscard]] std::string paper_notation(double value, double se, int decimals);

}  // namespace khsweep::results
