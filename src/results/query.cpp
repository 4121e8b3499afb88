#include "khsweep/results/query.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/results/filter.hpp"
#include "khsweep/results/groups.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace khsweep::results {

namespace fs = std::filesystem;

namespace {

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

// Every line of an Error's message (parse_where lists one problem per line).
void append_lines(std::vector<std::string>& lines, const std::string& message) {
  std::size_t start = 0;
  for (std::size_t at = message.find('\n'); at != std::string::npos; at = message.find('\n', start)) {
    lines.push_back(message.substr(start, at - start));
    start = at + 1;
  }
  lines.push_back(message.substr(start));
}


bool is_number_text(const store::IndexColumn& column, std::size_t row) {
  return !column.is_text && std::isfinite(column.numbers[row]);
}

}  // namespace

store::IndexTable read_store_index(const fs::path& path, double patience_seconds) {
  store::IndexTable table;
  store::read_store(path, patience_seconds, [&](const h5::File& file) {
    if (!file.exists("runs")) throw error_at(path.string(), "not a khsweep store (no /runs table)");
    table = store::read_index(file);
  });
  return table;
}

OutputFormat parse_output_format(const std::string& name) {
  if (name == "table") return OutputFormat::table;
  if (name == "csv") return OutputFormat::csv;
  if (name == "json") return OutputFormat::json;
  throw Error("unknown format '" + name + "' (expected table, csv or json)");
}

std::vector<std::string> default_columns(const store::IndexTable& table, const std::vector<std::size_t>& rows) {
  std::vector<std::string> columns = {"id", "status", "sweep", "arm"};
  for (const std::string& c : varying_columns(table, rows)) columns.push_back(c);
  for (const char* c : {"min_val_mse", "max_val_accuracy", "epochs_trained"}) columns.emplace_back(c);
  return columns;
}

QueryResult run_query(const store::IndexTable& table, const QuerySpec& spec) {
  std::vector<std::string> problems;
  QueryResult result;
  try {
    result.rows = matching_rows(table, parse_where(spec.where, table));
  } catch (const Error& e) {
    append_lines(problems, e.what());
  }

  std::string sort_column;
  if (!spec.sort.empty()) {
    sort_column = resolve_column(spec.sort, table);
    if (sort_column.empty()) problems.push_back("--sort: " + unknown_column_message(spec.sort, table));
  }

  const bool all = spec.columns.size() == 1 && spec.columns.front() == "all";
  if (all) {
    for (const auto& c : table.columns) result.columns.push_back(c.name);
  } else if (spec.columns.empty()) {
    result.columns = default_columns(table, result.rows);
    // Show what the rows are sorted by.
    if (!sort_column.empty() && std::find(result.columns.begin(), result.columns.end(), sort_column) ==
                                    result.columns.end())
      result.columns.push_back(sort_column);
  } else {
    for (const std::string& name : spec.columns) {
      const std::string column = resolve_column(name, table);
      if (name.empty())
        problems.emplace_back("--columns: empty column name");
      else if (column.empty())
        problems.push_back("--columns: " + unknown_column_message(name, table));
      else
        result.columns.push_back(column);
    }
  }
  if (!problems.empty()) throw Error(joined_lines(problems));

  if (!sort_column.empty()) {
    const store::IndexColumn& key = *table.find(sort_column);
    const bool descending = spec.descending;
    std::stable_sort(result.rows.begin(), result.rows.end(), [&](std::size_t a, std::size_t b) {
      if (key.is_text) return descending ? key.text[a] > key.text[b] : key.text[a] < key.text[b];
      const double x = key.numbers[a], y = key.numbers[b];
      if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);  // NaN last
      return descending ? x > y : x < y;
    });
  }
  if (spec.limit > 0 && result.rows.size() > spec.limit) result.rows.resize(spec.limit);
  return result;
}

void write_result(std::ostream& out, const store::IndexTable& table, const QueryResult& result, OutputFormat format) {
  std::vector<const store::IndexColumn*> columns;
  for (const std::string& name : result.columns) columns.push_back(&table.column(name));
  // cells[i][j]: row i of the output, column j.
  std::vector<std::vector<std::string>> cells;
  for (std::size_t r : result.rows) {
    std::vector<std::string> line;
    for (const store::IndexColumn* c : columns) line.push_back(cell_text(table, c->name, r));
    cells.push_back(std::move(line));
  }

  switch (format) {
    case OutputFormat::table: {
      std::vector<std::size_t> width;
      for (const std::string& name : result.columns) width.push_back(name.size());
      for (const auto& line : cells)
        for (std::size_t j = 0; j < line.size(); ++j) width[j] = std::max(width[j], line[j].size());
      // Numbers right-aligned so digits line up; text left-aligned; no trailing blanks.
      const auto print = [&](const std::vector<std::string>& line) {
        std::string text;
        for (std::size_t j = 0; j < line.size(); ++j) {
          const std::string pad(width[j] - line[j].size(), ' ');
          if (j > 0) text += "  ";
          text += columns[j]->is_text ? line[j] + pad : pad + line[j];
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out << text << "\n";
      };
      print(result.columns);
      for (const auto& line : cells) print(line);
      break;
    }
    case OutputFormat::csv: {
      const auto print = [&](const std::vector<std::string>& line) {
        for (std::size_t j = 0; j < line.size(); ++j) out << (j > 0 ? "," : "") << csv_field(line[j]);
        out << "\r\n";  // RFC 4180 line ends
      };
      print(result.columns);
      for (const auto& line : cells) print(line);
      break;
    }
    case OutputFormat::json: {
      out << "[";
      for (std::size_t i = 0; i < cells.size(); ++i) {
        out << (i > 0 ? ",\n  {" : "\n  {");
        for (std::size_t j = 0; j < columns.size(); ++j) {
          out << (j > 0 ? ", " : "") << json_string(columns[j]->name) << ": ";
          if (columns[j]->is_text)
            out << json_string(cells[i][j]);
          else
            out << (is_number_text(*columns[j], result.rows[i]) ? cells[i][j] : "null");
        }
        out << "}";
      }
      out << (cells.empty() ? "]\n" : "\n]\n");
      break;
    }
  }
}

}  // namespace khsweep::results
