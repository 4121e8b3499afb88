#include "khsweep/results/filter.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>

#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/results/query.hpp"
#include "khsweep/train/run_params.hpp"

namespace khsweep::results {

namespace {

// The names users know from the papers and the sweep files, for the /runs columns.
const std::vector<std::pair<std::string, std::string>>& column_aliases() {
  static const std::vector<std::pair<std::string, std::string>> aliases = [] {
    std::vector<std::pair<std::string, std::string>> a = {{"M", "hidden"}, {"Delta", "delta"}, {"eta", "learning_rate"}};
    for (const train::ParamSpec& spec : train::run_parameters())  // "kh_eps0", "dataset": names of older stores
      for (const std::string& former : spec.former_names) a.emplace_back(former, spec.name);
    return a;
  }();
  return aliases;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::string underscored(std::string text) {
  std::replace(text.begin(), text.end(), '-', '_');
  return text;
}

bool is_name(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

// A filter value as a number: any strtod text, "nan", and true/false for the 0/1 flag columns.
std::optional<double> number_of(const std::string& text) {
  if (text == "true" || text == "yes") return 1.0;
  if (text == "false" || text == "no") return 0.0;
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

const char* op_text(Condition::Op op) {
  switch (op) {
    case Condition::Op::eq: return "=";
    case Condition::Op::ne: return "!=";
    case Condition::Op::lt: return "<";
    case Condition::Op::le: return "<=";
    case Condition::Op::gt: return ">";
    case Condition::Op::ge: return ">=";
    case Condition::Op::in: return "in";
  }
  return "?";
}

bool is_ordering(Condition::Op op) {
  return op == Condition::Op::lt || op == Condition::Op::le || op == Condition::Op::gt || op == Condition::Op::ge;
}

// One condition's text split into column, operator and value text; nullopt when it has no such shape.
struct Parts {
  std::string column;
  Condition::Op op = Condition::Op::eq;
  std::string value;
};

std::optional<Parts> split_condition(const std::string& text) {
  Parts parts;
  // "seed in 1|2|3": the word "in" between blanks.
  for (std::size_t at = text.find(" in "); at != std::string::npos; at = text.find(" in ", at + 1)) {
    const std::string column = trim(text.substr(0, at));
    if (!is_name(column)) continue;
    parts.column = column;
    parts.op = Condition::Op::in;
    parts.value = trim(text.substr(at + 4));
    if (parts.value.empty()) return std::nullopt;
    return parts;
  }
  const std::size_t at = text.find_first_of("=!<>");
  if (at == std::string::npos) return std::nullopt;
  parts.column = trim(text.substr(0, at));
  const bool two = at + 1 < text.size() && text[at + 1] == '=';
  switch (text[at]) {
    case '=': parts.op = Condition::Op::eq; break;
    case '!':
      if (!two) return std::nullopt;
      parts.op = Condition::Op::ne;
      break;
    case '<': parts.op = two ? Condition::Op::le : Condition::Op::lt; break;
    default: parts.op = two ? Condition::Op::ge : Condition::Op::gt; break;
  }
  std::size_t value_at = at + (two && text[at] != '=' ? 2 : 1);
  if (text[at] == '=' && two) ++value_at;  // "==" reads as "="
  parts.value = trim(text.substr(value_at));
  // "eps0>>1", "hidden=" and "=100" are typos, not values.
  if (!is_name(parts.column) || parts.value.empty() || parts.value.find_first_of("=!<>") == 0) return std::nullopt;
  return parts;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  for (std::size_t at = text.find(separator); at != std::string::npos; at = text.find(separator, start)) {
    pieces.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  pieces.push_back(text.substr(start));
  return pieces;
}

bool numeric_match(double cell, Condition::Op op, double target) {
  // NaN (unmeasured, or a KH parameter of a baseline run) matches only "= nan" (and "in ...|nan").
  if (std::isnan(cell) || std::isnan(target)) {
    if (op == Condition::Op::eq || op == Condition::Op::in) return std::isnan(cell) && std::isnan(target);
    if (op == Condition::Op::ne) return std::isnan(target) && !std::isnan(cell);
    return false;
  }
  switch (op) {
    case Condition::Op::eq:
    case Condition::Op::in: return cell == target;
    case Condition::Op::ne: return cell != target;
    case Condition::Op::lt: return cell < target;
    case Condition::Op::le: return cell <= target;
    case Condition::Op::gt: return cell > target;
    case Condition::Op::ge: return cell >= target;
  }
  return false;
}

}  // namespace

std::string resolve_column(const std::string& name, const store::IndexTable& table) {
  if (table.find(name) != nullptr) return name;
  for (const auto& [alias, column] : column_aliases())
    if (name == alias && table.find(column) != nullptr) return column;
  if (const std::string plain = underscored(name); table.find(plain) != nullptr) return plain;
  return "";
}

std::string unknown_column_message(const std::string& name, const store::IndexTable& table) {
  std::vector<std::string> candidates;
  for (const auto& c : table.columns) candidates.push_back(c.name);
  for (const auto& alias : column_aliases()) candidates.push_back(alias.first);
  std::string message = "unknown column '" + name + "'";
  if (std::string near = closest_match(name, candidates); !near.empty())
    message += "; did you mean '" + resolve_column(near, table) + "'?";
  else
    message += " (the /runs columns are listed in docs/store.md)";
  return message;
}

std::vector<Condition> parse_where(const std::string& text, const store::IndexTable& table) {
  std::vector<Condition> conditions;
  std::vector<std::string> problems;
  for (const std::string& piece : split(text, ',')) {
    const std::string condition_text = trim(piece);
    if (condition_text.empty()) continue;  // "a=1,,b=2" and a trailing comma are harmless
    const auto parts = split_condition(condition_text);
    if (!parts) {
      problems.push_back("'" + condition_text + "': expected column OP value, OP one of = != < <= > >= in");
      continue;
    }
    Condition c;
    c.column = resolve_column(parts->column, table);
    c.op = parts->op;
    c.values = c.op == Condition::Op::in ? split(parts->value, '|') : std::vector<std::string>{parts->value};
    for (auto& v : c.values) v = trim(v);
    if (c.column.empty()) {
      problems.push_back("'" + condition_text + "': " + unknown_column_message(parts->column, table));
      continue;
    }
    const store::IndexColumn& column = *table.find(c.column);
    if (std::any_of(c.values.begin(), c.values.end(), [](const std::string& v) { return v.empty(); })) {
      problems.push_back("'" + condition_text + "': empty value in the list (separate values with |)");
      continue;
    }
    if (column.is_text) {
      if (is_ordering(c.op))
        problems.push_back("'" + condition_text + "': '" + op_text(c.op) + "' needs a numeric column, and '" +
                           c.column + "' is text (use = != or in)");
    } else {
      for (const std::string& v : c.values) {
        const auto number = number_of(v);
        if (!number)
          problems.push_back("'" + condition_text + "': '" + v + "' is not a number, and column '" + c.column +
                             "' is numeric");
        else if (std::isnan(*number) && is_ordering(c.op))
          problems.push_back("'" + condition_text + "': nan has no order (use = or !=)");
      }
    }
    conditions.push_back(std::move(c));
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
    throw Error(message);
  }
  return conditions;
}

std::vector<std::size_t> matching_rows(const store::IndexTable& table, const std::vector<Condition>& conditions) {
  // Resolve every condition once: its column and, for numeric columns, its values as numbers.
  struct Prepared {
    const store::IndexColumn* column;
    Condition::Op op;
    std::vector<std::string> text;
    std::vector<double> numbers;
  };
  std::vector<Prepared> prepared;
  for (const Condition& c : conditions) {
    const std::string name = resolve_column(c.column, table);
    if (name.empty()) throw Error(unknown_column_message(c.column, table));
    Prepared p{table.find(name), c.op, {}, {}};
    for (const std::string& v : c.values) {
      if (p.column->is_text) {
        p.text.push_back(underscored(v));
      } else {
        const auto number = number_of(v);
        if (!number) throw Error("'" + v + "' is not a number, and column '" + name + "' is numeric");
        p.numbers.push_back(*number);
      }
    }
    prepared.push_back(std::move(p));
  }
  const auto holds = [](const Prepared& p, std::size_t row) {
    if (p.column->is_text) {
      const std::string cell = underscored(p.column->text[row]);
      const bool listed = std::find(p.text.begin(), p.text.end(), cell) != p.text.end();
      return p.op == Condition::Op::ne ? !listed : listed;  // ordering ops were refused by parse_where
    }
    const double cell = p.column->numbers[row];
    if (p.op == Condition::Op::in)
      return std::any_of(p.numbers.begin(), p.numbers.end(),
                         [&](double target) { return numeric_match(cell, Condition::Op::in, target); });
    return std::all_of(p.numbers.begin(), p.numbers.end(),
                       [&](double target) { return numeric_match(cell, p.op, target); });
  };
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < table.rows; ++r)
    if (std::all_of(prepared.begin(), prepared.end(), [&](const Prepared& p) { return holds(p, r); }))
      rows.push_back(r);
  return rows;
}

}  // namespace khsweep::results
