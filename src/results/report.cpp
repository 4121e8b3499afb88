#include "khsweep/results/report.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "khsweep/core/atomic_file.hpp"
#include "khsweep/core/clock.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/temp_dir.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/core/text_file.hpp"
#include "khsweep/results/aggregate.hpp"
#include "khsweep/results/groups.hpp"
#include "khsweep/results/plot.hpp"
#include "khsweep/results/query.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::results {

namespace fs = std::filesystem;

namespace {

// The attributes of one /jobs/<n> the page shows, as text.
struct Job {
  int number = 0;
  std::map<std::string, std::string> values;
};

std::vector<Job> read_jobs(const h5::File& file) {
  std::vector<Job> jobs;
  if (!file.exists("jobs")) return jobs;
  const h5::Group all = file.open_group("jobs");
  for (int n = 1; all.exists(std::to_string(n)); ++n) {
    const h5::Group g = all.open_group(std::to_string(n));
    Job job;
    job.number = n;
    for (const char* name : {"sweep_name", "sweep_path", "code_version", "mpi_version", "hosts", "started_at",
                             "finished_at", "outcome", "datasets"})
      if (g.has_attribute(name)) job.values[name] = g.attribute<std::string>(name);
    if (g.has_attribute("ranks")) job.values["ranks"] = std::to_string(g.attribute<std::int64_t>("ranks"));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// "vm x2, node7 x32": the hosts of a job, each with its number of ranks.
std::string host_counts(const std::string& hosts) {
  std::vector<std::pair<std::string, int>> counts;
  std::istringstream in(hosts);
  for (std::string host; std::getline(in, host, ',');) {
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == host; });
    if (it == counts.end()) counts.emplace_back(host, 1);
    else ++it->second;
  }
  std::string out;
  for (const auto& [host, n] : counts) out += (out.empty() ? "" : ", ") + host + " x" + std::to_string(n);
  return out;
}

class Html {
 public:
  Html& text(const std::string& t) {
    out_ << html_escape(t);
    return *this;
  }
  Html& raw(const std::string& markup) {
    out_ << markup;
    return *this;
  }
  Html& heading(const std::string& t, const std::string& id) {
    out_ << "<h2 id=\"" << id << "\">" << html_escape(t) << "</h2>\n";
    return *this;
  }
  Html& paragraph(const std::string& t) {
    out_ << "<p>" << html_escape(t) << "</p>\n";
    return *this;
  }
  // A table; cells from column `first_number` on are right-aligned.
  Html& table(const std::vector<std::vector<std::string>>& rows, std::size_t first_number) {
    out_ << "<table>\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
      out_ << "<tr>";
      for (std::size_t c = 0; c < rows[r].size(); ++c) {
        const char* tag = r == 0 ? "th" : "td";
        out_ << "<" << tag << (c >= first_number ? " class=\"n\"" : "") << ">" << html_escape(rows[r][c]) << "</"
             << tag << ">";
      }
      out_ << "</tr>\n";
    }
    out_ << "</table>\n";
    return *this;
  }
  [[nodiscard]] std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// An SVG file as markup to inline: without its XML declaration and doctype.
std::string inline_svg(const fs::path& file) {
  std::string svg = read_text_file(file, "plot", 64u << 20);
  const auto start = svg.find("<svg");
  if (start == std::string::npos) throw error_at(file.string(), "gnuplot wrote no <svg> element");
  return svg.substr(start);
}

bool measured(const Aggregate& a, const std::string& metric) {
  const auto& names = summary_metrics();
  const std::size_t m = static_cast<std::size_t>(std::find(names.begin(), names.end(), metric) - names.begin());
  return std::any_of(a.groups.begin(), a.groups.end(), [&](const GroupAggregate& g) { return g.summary[m].n > 0; });
}

std::size_t metric_index(const std::string& metric) {
  const auto& names = summary_metrics();
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), metric) - names.begin());
}

const char* kStyle =
    "body{font-family:sans-serif;margin:2em auto;max-width:75em;color:#222;line-height:1.4}"
    "h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:0.5em 0;font-size:0.9em}"
    "th,td{padding:0.2em 0.7em;border-bottom:1px solid #eee;text-align:left}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".note{color:#666;font-size:0.9em}svg{max-width:100%;height:auto}"
    "code{background:#f4f4f4;padding:0 0.2em}";

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  return out;
}

ReportOutcome write_report(const ReportRequest& request) {
  const fs::path& path = request.store;
  std::error_code ec;
  if (fs::exists(request.out, ec) && !fs::is_regular_file(request.out, ec))
    throw error_at(request.out.string(), "not a regular file: the report replaces only a file");
  const store::StoreOverview overview = store::read_overview(path, request.patience_seconds);
  store::IndexTable table;
  Aggregate aggregate;
  std::vector<Job> jobs;
  store::read_store(path, request.patience_seconds, [&](const h5::File& file) {
    table = store::read_index(file);
    std::vector<std::size_t> rows(table.rows);
    for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = r;
    aggregate = aggregate_runs(table, rows, &file);
    jobs = read_jobs(file);
  });

  ReportOutcome outcome;
  outcome.runs = table.rows;
  outcome.groups = aggregate.groups.size();
  std::string metric = request.metric;
  if (metric.empty()) metric = measured(aggregate, "max_val_accuracy") ? "max_val_accuracy" : "min_val_mse";
  if (std::find(summary_metrics().begin(), summary_metrics().end(), metric) == summary_metrics().end())
    throw Error("unknown metric '" + metric + "'; the summary metrics are " + join(summary_metrics(), ", "));

  Html page;
  const std::string name = path.filename().string();
  page.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
      .text("khsweep report: " + name)
      .raw("</title><style>")
      .raw(kStyle)
      .raw("</style></head><body>\n<h1>")
      .text("khsweep report: " + name)
      .raw("</h1>\n");
  page.paragraph("Store " + path.string() + ", created " + overview.created_at + "; report written " + utc_now() +
                 ". Every figure below is read from the store: khsweep query, aggregate, best and plot give the same.");

  // Runs by status.
  std::map<std::string, int> by_status;
  for (const auto& run : overview.runs) ++by_status[run.status];
  page.heading("Runs", "runs");
  page.table({{"completed", "diverged", "failed", "in all"},
              {std::to_string(by_status[store::kCompleted]), std::to_string(by_status[store::kDiverged]),
               std::to_string(by_status[store::kFailed]), std::to_string(overview.runs.size())}},
             0);
  if (by_status[store::kDiverged] + by_status[store::kFailed] > 0)
    page.paragraph("The statistics below summarise completed runs only; the diverged and failed ones are listed, "
                   "with their reasons, at the end.");

  // Provenance.
  page.heading("Jobs", "jobs");
  std::vector<std::vector<std::string>> job_rows = {
      {"job", "sweep", "started", "finished", "outcome", "ranks", "hosts", "code version"}};
  for (const Job& job : jobs) {
    const auto get = [&](const char* key) {
      const auto it = job.values.find(key);
      return it == job.values.end() ? std::string() : it->second;
    };
    job_rows.push_back({std::to_string(job.number), get("sweep_name"), get("started_at"), get("finished_at"),
                        get("outcome"), get("ranks"), host_counts(get("hosts")), get("code_version")});
  }
  page.table(job_rows, 99);

  // Seed statistics per configuration.
  page.heading("Configurations: mean(se) over seeds", "configurations");
  std::vector<std::string> metrics;
  for (const char* m : {"max_val_accuracy", "min_val_mse", "min_val_cross_entropy", "receptive_field_overlap",
                        "train_seconds_per_epoch"})
    if (measured(aggregate, m)) metrics.emplace_back(m);
  std::vector<std::size_t> first_rows;  // a group's settings are its first run's
  for (const GroupAggregate& g : aggregate.groups) first_rows.push_back(g.rows.front());
  std::vector<std::string> same;
  const std::vector<std::string> columns = distinguishing_columns(table, aggregate.label_columns, first_rows, same);
  const auto cell = [&](const std::string& column, std::size_t row) {
    return unread_cell(table, column, row) ? std::string("-") : cell_text(table, column, row);
  };
  std::vector<std::vector<std::string>> config_rows;
  std::vector<std::string> header = columns;
  header.emplace_back("n");
  for (const auto& m : metrics) header.push_back(m + (metric_display(m).unit == "%" ? " (%)" : ""));
  config_rows.push_back(header);
  for (const GroupAggregate& g : aggregate.groups) {
    std::vector<std::string> row;
    for (const auto& c : columns) row.push_back(cell(c, g.rows.front()));
    row.push_back(std::to_string(g.rows.size()));
    for (const auto& m : metrics) row.push_back(format_stats(m, g.summary[metric_index(m)]));
    config_rows.push_back(row);
  }
  page.table(config_rows, columns.size());
  page.raw("<p class=\"note\">").text("The standard error is in units of the last digit: 96.5(1) is 96.5 +- 0.1. '-': a "
                                       "parameter the configuration's runs do not read. ");
  if (!same.empty()) page.text("The same in every configuration that reads it: " + join(same, ", ") + ". ");
  if (const std::string note = diverged_note(aggregate); !note.empty()) page.text(note);
  page.raw("</p>\n");

  // Best KH setting per setting, beside its baseline.
  page.heading("Best KH setting per setting, by " + metric, "best");
  const std::vector<std::string> by = default_best_by();
  std::vector<std::string> shown_by;  // the setting columns that tell the settings apart
  for (const auto& c : columns)
    if (std::find(by.begin(), by.end(), c) != by.end() && c != "kh") shown_by.push_back(c);
  const std::vector<BestChoice> choices = best_choices(table, aggregate, by, metric);
  if (choices.empty()) {
    page.paragraph("No KH runs in the store: nothing to choose.");
  } else {
    std::vector<std::vector<std::string>> best_rows;
    std::vector<std::string> best_header = shown_by;
    for (const char* c : {"kh", "eps0", "delta", "S", "n", "KH", "baseline n", "baseline", "of"})
      best_header.emplace_back(c);
    best_rows.push_back(best_header);
    const std::size_t m = metric_index(metric);
    for (const BestChoice& choice : choices) {
      const GroupAggregate& best = aggregate.groups[static_cast<std::size_t>(choice.best)];
      std::vector<std::string> row;
      for (const auto& c : shown_by) row.push_back(cell(c, best.rows.front()));
      for (const char* c : {"kh", "eps0", "delta", "S"}) row.push_back(cell(c, best.rows.front()));
      row.push_back(std::to_string(best.summary[m].n));
      row.push_back(format_stats(metric, best.summary[m]));
      if (choice.baseline >= 0) {
        const GroupAggregate& base = aggregate.groups[static_cast<std::size_t>(choice.baseline)];
        row.push_back(std::to_string(base.summary[m].n));
        row.push_back(format_stats(metric, base.summary[m]));
      } else {
        row.emplace_back("-");
        row.emplace_back("no baseline");
      }
      row.push_back(std::to_string(choice.candidates));
      best_rows.push_back(row);
    }
    page.table(best_rows, shown_by.size() + 4);
    page.paragraph("KH: the best seed mean of the KH configurations of the setting ('of' of them); baseline: the "
                   "kh=none runs of the same setting. khsweep compare pairs them seed by seed.");
  }

  // Learning curves.
  page.heading("Learning curves: mean +- 1 standard error over seeds", "curves");
  if (find_gnuplot().empty()) {
    outcome.plots_skipped = true;
    page.paragraph("Not drawn: gnuplot is not installed (apt-get install gnuplot-nox), and khsweep draws with it.");
  } else {
    const TempDir dir("khsweep-report-");
    std::vector<std::string> curve_metrics = {"val_mse"};
    if (measured(aggregate, "max_val_accuracy")) curve_metrics.insert(curve_metrics.begin(), "val_accuracy");
    const bool panels = std::find(aggregate.label_columns.begin(), aggregate.label_columns.end(), "hidden") !=
                            aggregate.label_columns.end() &&
                        aggregate.groups.size() > 6;
    for (const std::string& curve : curve_metrics) {
      PlotRequest plot;
      plot.sources = {path};
      plot.metric = curve;
      plot.by = panels ? "hidden" : "";
      plot.out = dir.path() / (curve + ".svg");
      plot.title = name + ": " + curve;
      plot.patience_seconds = request.patience_seconds;
      (void)plot_learning_curves(plot);
      page.raw("<figure>").raw(inline_svg(plot.out)).raw("</figure>\n");
      ++outcome.plots;
    }
  }

  // Failed and diverged runs.
  page.heading("Failed and diverged runs", "problems");
  std::vector<std::vector<std::string>> problem_rows = {{"id", "status", "sweep", "arm", "reason"}};
  for (const auto& run : overview.runs)
    if (run.status != store::kCompleted) problem_rows.push_back({run.id, run.status, run.sweep, run.arm, run.reason});
  if (problem_rows.size() == 1)
    page.paragraph("None: every run completed.");
  else
    page.table(problem_rows, 99);
  page.raw("</body></html>\n");

  write_file_atomically(request.out, "report", page.str(), Sync::atomic_only);
  return outcome;
}

}  // namespace khsweep::results
