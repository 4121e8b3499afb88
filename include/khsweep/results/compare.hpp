#pragma once
// Paired KH-vs-baseline comparisons: each KH configuration against the kh=none runs of the same
// configuration, seed by seed. A KH run and its baseline with the same seed see the same data order
// and the same CD draws, so the per-seed difference cancels most of the seed noise that separate
// group means carry.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "khsweep/results/stats.hpp"
#include "khsweep/store/index.hpp"

namespace khsweep::results {

// Why a seed of a KH configuration or of its baseline is not one of the comparison's pairs.
enum class Unpaired {
  no_baseline_run,   // the KH run has no baseline run with its seed
  no_kh_run,         // the baseline run has no KH run with its seed
  diverged,          // the KH or the baseline run diverged (left out unless asked for)
  failed,            // the KH or the baseline run failed: it has no results
  not_measured,      // the metric is NaN in the KH or the baseline run (e.g. accuracy of an RBM)
};
[[nodiscard]] const char* unpaired_text(Unpaired why);

struct SeedPair {
  std::uint64_t seed = 0;
  std::size_t kh_row = 0, baseline_row = 0;  // index rows
  double kh = 0.0, baseline = 0.0;           // the metric of each run
  bool diverged = false;                     // one of the two diverged (only with include_diverged)
};

struct LeftOut {
  std::uint64_t seed = 0;
  Unpaired why = Unpaired::no_baseline_run;
};

struct Comparison {
  std::vector<std::size_t> kh_rows;    // every selected run of the KH configuration, any status
  int baseline_rows = 0;               // runs of its baseline configuration, any status; 0: none exists
  std::vector<SeedPair> pairs;         // ascending seed
  std::vector<LeftOut> left_out;       // ascending seed
  Stats kh, baseline, difference;      // over the pairs; difference = KH - baseline
  double t = 0.0;                      // paired t statistic, NaN with fewer than 2 pairs
  double p_value = 0.0;                // two-sided, Student t with pairs - 1 degrees of freedom; NaN < 2 pairs
  int kh_wins = 0, baseline_wins = 0, ties = 0;  // pairs where KH is better, worse, equal
  [[nodiscard]] int count(Unpaired why) const;
  [[nodiscard]] int diverged_pairs() const;
};

struct CompareOptions {
  bool include_diverged = false;  // pair diverged runs too (marked), instead of leaving them out
};

// One Comparison per KH configuration among `kh_rows` (rows with kh != none are used; others are
// ignored), in order of first appearance. Its baseline is every kh=none run of `table` that agrees
// with it on every configuration column except the KH ones (kh, eps0, delta, S, l, p, R); runs
// are paired by seed. `metric` is a /runs summary column (summary_metrics()).
[[nodiscard]] std::vector<Comparison> compare_to_baselines(const store::IndexTable& table,
                                                           const std::vector<std::size_t>& kh_rows,
                                                           const std::string& metric, const CompareOptions& options);

// Two-sided p-value of a paired t-test with statistic t and df degrees of freedom.
[[nodiscard]] double paired_t_p_value(double t, int df);

}  // namespace khsweep::results
