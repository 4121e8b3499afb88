#include "khsweep/results/compare.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <map>
#include <set>

#include "khsweep/core/error.hpp"
#include "khsweep/results/aggregate.hpp"
#include "khsweep/results/groups.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::results {

namespace {

// What a KH configuration and its baseline share: every configuration column but the KH ones.
std::string baseline_identity(const store::IndexTable& table, std::size_t row) {
  const auto& kh_columns = kh_parameter_columns();
  std::string identity;
  for (const std::string& column : configuration_columns())
    if (std::find(kh_columns.begin(), kh_columns.end(), column) == kh_columns.end())
      identity += cell_text(table, column, row) + '\x1f';
  return identity;
}

std::uint64_t seed_of(const store::IndexColumn& seeds, std::size_t row) {
  return static_cast<std::uint64_t>(seeds.numbers.at(row));
}

}  // namespace

const char* unpaired_text(Unpaired why) {
  switch (why) {
    case Unpaired::no_baseline_run: return "no baseline run with this seed";
    case Unpaired::no_kh_run: return "no KH run with this seed";
    case Unpaired::diverged: return "diverged";
    case Unpaired::failed: return "failed";
    case Unpaired::not_measured: return "metric not measured";
  }
  return "?";
}

int Comparison::count(Unpaired why) const {
  return static_cast<int>(std::count_if(left_out.begin(), left_out.end(), [&](const LeftOut& l) { return l.why == why; }));
}

int Comparison::diverged_pairs() const {
  return static_cast<int>(std::count_if(pairs.begin(), pairs.end(), [](const SeedPair& p) { return p.diverged; }));
}

double paired_t_p_value(double t, int df) {
  if (df < 1 || std::isnan(t)) return NAN;
  if (std::isinf(t)) return 0.0;
  const boost::math::students_t distribution(static_cast<double>(df));
  return 2.0 * boost::math::cdf(boost::math::complement(distribution, std::fabs(t)));
}

std::vector<Comparison> compare_to_baselines(const store::IndexTable& table, const std::vector<std::size_t>& kh_rows,
                                             const std::string& metric, const CompareOptions& options) {
  if (std::find(summary_metrics().begin(), summary_metrics().end(), metric) == summary_metrics().end())
    throw Error("unknown metric '" + metric + "'");
  const store::IndexColumn& kh = table.column("kh");
  const store::IndexColumn& status = table.column("status");
  const store::IndexColumn& seeds = table.column("seed");

  // Every baseline run of the store, by configuration and seed.
  std::map<std::string, std::map<std::uint64_t, std::size_t>> baselines;
  for (std::size_t r = 0; r < table.rows; ++r)
    if (kh.text.at(r) == "none") baselines[baseline_identity(table, r)].emplace(seed_of(seeds, r), r);

  std::vector<std::size_t> modulated;
  for (std::size_t r : kh_rows)
    if (kh.text.at(r) != "none") modulated.push_back(r);

  const bool lower = lower_is_better(metric);
  std::vector<Comparison> out;
  for (const Group& group : group_runs(table, modulated, {})) {
    Comparison c;
    c.kh_rows = group.rows;
    std::map<std::uint64_t, std::size_t> kh_by_seed;
    for (std::size_t r : group.rows) kh_by_seed.emplace(seed_of(seeds, r), r);
    static const std::map<std::uint64_t, std::size_t> kNone;
    const auto found = baselines.find(baseline_identity(table, group.rows.front()));
    const auto& base_by_seed = found == baselines.end() ? kNone : found->second;
    c.baseline_rows = static_cast<int>(base_by_seed.size());

    std::set<std::uint64_t> all_seeds;
    for (const auto& [seed, row] : kh_by_seed) all_seeds.insert(seed);
    for (const auto& [seed, row] : base_by_seed) all_seeds.insert(seed);
    std::vector<double> kh_values, base_values, differences;
    for (std::uint64_t seed : all_seeds) {
      const auto k = kh_by_seed.find(seed);
      const auto b = base_by_seed.find(seed);
      if (b == base_by_seed.end()) {
        c.left_out.push_back({seed, Unpaired::no_baseline_run});
        continue;
      }
      if (k == kh_by_seed.end()) {
        c.left_out.push_back({seed, Unpaired::no_kh_run});
        continue;
      }
      const std::string& ks = status.text.at(k->second);
      const std::string& bs = status.text.at(b->second);
      const bool diverged = ks == store::kDiverged || bs == store::kDiverged;
      if (ks == store::kFailed || bs == store::kFailed) {
        c.left_out.push_back({seed, Unpaired::failed});
        continue;
      }
      if (diverged && !options.include_diverged) {
        c.left_out.push_back({seed, Unpaired::diverged});
        continue;
      }
      SeedPair p{seed, k->second, b->second, summary_value(table, metric, k->second),
                 summary_value(table, metric, b->second), diverged};
      if (std::isnan(p.kh) || std::isnan(p.baseline)) {
        c.left_out.push_back({seed, Unpaired::not_measured});
        continue;
      }
      if (p.kh == p.baseline)
        ++c.ties;
      else if ((p.kh < p.baseline) == lower)
        ++c.kh_wins;
      else
        ++c.baseline_wins;
      kh_values.push_back(p.kh);
      base_values.push_back(p.baseline);
      differences.push_back(p.kh - p.baseline);
      c.pairs.push_back(p);
    }
    c.kh = describe(kh_values);
    c.baseline = describe(base_values);
    c.difference = describe(differences);
    c.t = c.p_value = NAN;
    if (c.difference.n >= 2) {
      if (c.difference.se > 0.0)
        c.t = c.difference.mean / c.difference.se;
      else  // every pair differs by the same amount: no spread to test against
        c.t = c.difference.mean == 0.0 ? 0.0 : std::copysign(INFINITY, c.difference.mean);
      c.p_value = c.t == 0.0 ? 1.0 : paired_t_p_value(c.t, c.difference.n - 1);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace khsweep::results
