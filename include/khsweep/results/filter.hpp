#pragma once
// The --where language of query, aggregate, best and plot:
//   "init=lecun,hidden=100,kh=top_down,eps0>=0.01,seed in 1|2|3,status!=failed"
// Conditions are separated by commas and all must hold. Operators: = != < <= > >= and "in" (values
// separated by |). Column names are the /runs columns (docs/store.md) plus aliases: M -> hidden,
// Delta -> delta, eta -> learning_rate. Text values also match with '-' for '_' ("top-down").
#include <cstddef>
#include <string>
#include <vector>

#include "khsweep/store/index.hpp"

namespace khsweep::results {

struct Condition {
  enum class Op { eq, ne, lt, le, gt, ge, in };
  std::string column;               // canonical /runs column name
  Op op = Op::eq;
  std::vector<std::string> values;  // one, or several for `in`
};

// Parses a --where text against the table's columns. Throws khsweep::Error listing every problem:
// unknown column (with did-you-mean), missing operator or value, an ordering operator on a text
// column, a value that is not a number for a numeric column.
[[nodiscard]] std::vector<Condition> parse_where(const std::string& text, const store::IndexTable& table);

// The rows (in table order) that satisfy every condition.
[[nodiscard]] std::vector<std::size_t> matching_rows(const store::IndexTable& table,
                                                     const std::vector<Condition>& conditions);

// The canonical column name for a user's name (alias or exact), or "" when there is none.
[[nodiscard]] std::string resolve_column(const std::string& name, const store::IndexTable& table);

}  // namespace khsweep::results
