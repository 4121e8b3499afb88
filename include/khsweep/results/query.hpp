#pragma once
// `khsweep query`'s logic: which rows and columns of /runs to show, in what order, and how to print
// them (an aligned table, RFC 4180 CSV, or JSON). Also the read-only way to open a store beside a
// running sweep, which every results command shares.
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "khsweep/store/h5.hpp"
#include "khsweep/store/index.hpp"

namespace khsweep::results {

// The whole /runs table of a store, read as store::read_store reads.
[[nodiscard]] store::IndexTable read_store_index(const std::filesystem::path& path, double patience_seconds = 10.0);

// "unknown column 'hiden'; did you mean 'hidden'?": the message for a name resolve_column rejects.
[[nodiscard]] std::string unknown_column_message(const std::string& name, const store::IndexTable& table);

enum class OutputFormat { table, csv, json };

// "table", "csv" or "json"; throws khsweep::Error naming the accepted formats otherwise.
[[nodiscard]] OutputFormat parse_output_format(const std::string& name);

// What to show, as the user wrote it: names may be aliases (filter.hpp).
struct QuerySpec {
  std::string where;                 // the --where language of filter.hpp; "" selects every run
  std::vector<std::string> columns;  // empty: default_columns; {"all"}: every column in file order
  std::string sort;                  // "" keeps table order
  bool descending = false;
  std::size_t limit = 0;             // 0: no limit
};

// Rows to print (index rows, in output order) and the canonical names of the columns to print.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::size_t> rows;
};

// id, status, sweep, arm, the configuration columns that vary among `rows`, then min_val_mse,
// max_val_accuracy and epochs_trained.
[[nodiscard]] std::vector<std::string> default_columns(const store::IndexTable& table,
                                                       const std::vector<std::size_t>& rows);

// Filters, sorts (stable; NaN last either way) and limits. Throws khsweep::Error whose message has
// one line per problem: every bad condition, column and sort key at once.
[[nodiscard]] QueryResult run_query(const store::IndexTable& table, const QuerySpec& spec);

// Prints the result: numbers in the shortest form that reads back exactly (cell_text); in JSON as
// numbers, NaN and infinities as null.
void write_result(std::ostream& out, const store::IndexTable& table, const QueryResult& result, OutputFormat format);

}  // namespace khsweep::results
