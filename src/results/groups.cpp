#include "khsweep/results/groups.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "khsweep/store/sweep_store.hpp"
#include "khsweep/train/run_params.hpp"

namespace khsweep::results {

const std::vector<std::string>& configuration_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> c;
    // In /runs order: the model's parameters, then the data selection's. The data path is left out:
    // the checksums below say which data it was, wherever it lay.
    for (const bool data : {false, true})
      for (const train::ParamSpec& spec : train::run_parameters())
        if (spec.selects_data == data && spec.name != "seed" && spec.kind != train::ParamKind::path)
          c.push_back(spec.name);
    c.emplace_back("train_checksum");
    c.emplace_back("validation_checksum");
    return c;
  }();
  return columns;
}

const std::vector<std::string>& kh_setting_columns() {
  static const std::vector<std::string> columns =
      train::parameter_names([](const train::ParamSpec& spec) { return spec.kh_only; });
  return columns;
}

const std::vector<std::string>& kh_tuned_columns() {
  static const std::vector<std::string> columns =
      train::parameter_names([](const train::ParamSpec& spec) { return spec.kh_tuned; });
  return columns;
}

std::string cell_text(const store::IndexTable& table, const std::string& column, std::size_t row) {
  const store::IndexColumn& c = table.column(column);
  if (c.is_text) return c.text.at(row);
  const double v = c.numbers.at(row);
  if (std::isnan(v)) return "nan";
  char text[40];
  // Whole numbers in full ("100", not %g's "1e+02"); others the shortest text that reads back exactly.
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    std::snprintf(text, sizeof text, "%.0f", v);
    return text;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, v);
    if (std::strtod(text, nullptr) == v) break;
  }
  return text;
}

std::vector<std::size_t> summarised_rows(const store::IndexTable& table, const std::vector<std::size_t>& rows,
                                         bool include_diverged) {
  const store::IndexColumn& status = table.column("status");
  std::vector<std::size_t> out;
  for (std::size_t r : rows)
    if (status.text.at(r) == store::kCompleted || (include_diverged && status.text.at(r) == store::kDiverged))
      out.push_back(r);
  return out;
}

std::vector<std::string> varying_columns(const store::IndexTable& table, const std::vector<std::size_t>& rows) {
  std::vector<std::string> out;
  for (const std::string& column : configuration_columns()) {
    if (rows.empty()) break;
    const std::string first = cell_text(table, column, rows.front());
    for (std::size_t r : rows)
      if (cell_text(table, column, r) != first) {
        out.push_back(column);
        break;
      }
  }
  return out;
}

bool unread_cell(const store::IndexTable& table, const std::string& column, std::size_t row) {
  const std::string text = cell_text(table, column, row);
  if (text.empty() || text == "nan") return true;
  const auto& kh_settings = kh_setting_columns();
  return std::find(kh_settings.begin(), kh_settings.end(), column) != kh_settings.end() &&
         cell_text(table, "kh", row) == "none" && cell_text(table, "model", row) == "rbm";
}

std::vector<std::string> distinguishing_columns(const store::IndexTable& table, const std::vector<std::string>& columns,
                                                const std::vector<std::size_t>& rows, std::vector<std::string>& same) {
  std::vector<std::string> out;
  for (const std::string& column : columns) {
    std::set<std::string> values;
    for (std::size_t r : rows)
      if (!unread_cell(table, column, r)) values.insert(cell_text(table, column, r));
    if (values.size() == 1 && column != "kh" && column != "model")
      same.push_back(column + "=" + *values.begin());
    else
      out.push_back(column);
  }
  return out;
}

std::vector<Group> group_runs(const store::IndexTable& table, const std::vector<std::size_t>& rows,
                              const std::vector<std::string>& label_columns) {
  std::vector<Group> groups;
  std::map<std::string, std::size_t> by_identity;  // over ALL configuration columns
  for (std::size_t r : rows) {
    std::string identity;
    for (const std::string& column : configuration_columns()) identity += cell_text(table, column, r) + '\x1f';
    auto [it, inserted] = by_identity.emplace(identity, groups.size());
    if (inserted) {
      Group g;
      for (const std::string& column : label_columns)
        g.key += (g.key.empty() ? "" : " ") + column + "=" + cell_text(table, column, r);
      groups.push_back(std::move(g));
    }
    groups[it->second].rows.push_back(r);
  }
  return groups;
}

}  // namespace khsweep::results
