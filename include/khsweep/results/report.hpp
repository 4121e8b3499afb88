#pragma once
// `khsweep report`: one self-contained HTML page about a store (no network, plots inlined as SVG),
// to read or send: the sweeps' provenance, runs by status, the seed statistics per configuration,
// the best KH setting per setting beside its baseline, learning curves, and every failed or
// diverged run with its reason.
#include <filesystem>
#include <string>

namespace khsweep::results {

struct ReportRequest {
  std::filesystem::path store;
  std::filesystem::path out;       // the HTML file, replaced atomically
  std::string metric;              // the summary metric `best` ranks by; "" picks one the runs measured
  double patience_seconds = 10.0;  // how long to wait for a live sweep's commit
};

struct ReportOutcome {
  std::size_t runs = 0, groups = 0, plots = 0;
  bool plots_skipped = false;  // gnuplot missing: the page says so instead of drawing
};

// Writes the page; throws khsweep::Error for an unusable store or output.
ReportOutcome write_report(const ReportRequest& request);

// `text` with &, <, >, " and ' escaped for HTML.
[[nodiscard]] std::string html_escape(const std::string& text);

}  // namespace khsweep::results
