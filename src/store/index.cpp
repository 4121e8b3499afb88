#include "khsweep/store/index.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <variant>

#include "khsweep/core/error.hpp"

namespace khsweep::store {

#define KHSWEEP_FIELD(member, type) h5::Field{#member, offsetof(IndexRow, member), h5::Type::type, 0}
#define KHSWEEP_TEXT(member) h5::Field{#member, offsetof(IndexRow, member), h5::Type::string, sizeof(IndexRow::member)}

namespace {

// Where one parameter's column sits in IndexRow::parameters.
struct ParameterColumn {
  const train::ParamSpec* spec;
  h5::Field field;  // offset from the start of IndexRow
};

h5::Type column_type(const train::ParamSpec& spec) {
  switch (spec.kind) {
    case train::ParamKind::integer: return h5::Type::int32;
    case train::ParamKind::count: return h5::Type::uint64;
    case train::ParamKind::real: return h5::Type::float64;
    case train::ParamKind::boolean: return h5::Type::int8;
    default: return h5::Type::string;
  }
}

std::size_t width_of(h5::Type type) {
  switch (type) {
    case h5::Type::int8: return 1;
    case h5::Type::int32: return 4;
    default: return 8;
  }
}

// The model's parameters first, then the data selection's, as /runs has always ordered them.
const std::vector<ParameterColumn>& parameter_columns() {
  static const std::vector<ParameterColumn> columns = [] {
    std::vector<const train::ParamSpec*> order;
    for (const bool data : {false, true})
      for (const train::ParamSpec& spec : train::run_parameters())
        if (spec.selects_data == data) order.push_back(&spec);
    std::vector<ParameterColumn> out;
    std::size_t at = 0;
    for (const train::ParamSpec* spec : order) {
      const h5::Type type = column_type(*spec);
      const std::size_t width = type == h5::Type::string ? spec->text_width : width_of(type);
      if (type != h5::Type::string) at = (at + width - 1) / width * width;  // numbers on their natural alignment
      if (at + width > kParameterBytes)
        throw std::logic_error("IndexRow::parameters is too small for the parameter table: raise kParameterBytes");
      out.push_back({spec, h5::Field{spec->name, offsetof(IndexRow, parameters) + at, type,
                                     type == h5::Type::string ? width : 0}});
      at += width;
    }
    return out;
  }();
  return columns;
}

const ParameterColumn& column_of(const train::ParamSpec& spec) {
  for (const ParameterColumn& c : parameter_columns())
    if (c.spec == &spec) return c;
  throw std::logic_error("no /runs column for parameter " + spec.name);
}

template <class T>
void put(IndexRow& row, const h5::Field& f, T value) {
  std::memcpy(reinterpret_cast<unsigned char*>(&row) + f.offset, &value, sizeof value);
}

template <class T>
T take(const IndexRow& row, const h5::Field& f) {
  T value;
  std::memcpy(&value, reinterpret_cast<const unsigned char*>(&row) + f.offset, sizeof value);
  return value;
}

}  // namespace

// The column order h5py and pandas show.
const std::vector<h5::Field>& index_fields() {
  static const std::vector<h5::Field> fields = [] {
    std::vector<h5::Field> f = {KHSWEEP_TEXT(id), KHSWEEP_TEXT(status), KHSWEEP_TEXT(sweep), KHSWEEP_TEXT(arm)};
    for (const ParameterColumn& c : parameter_columns()) f.push_back(c.field);
    const std::vector<h5::Field> rest = {
        KHSWEEP_TEXT(train_checksum), KHSWEEP_TEXT(validation_checksum), KHSWEEP_FIELD(train_samples, uint64),
        KHSWEEP_FIELD(validation_samples, uint64),
        KHSWEEP_FIELD(epochs_trained, int32), KHSWEEP_FIELD(final_val_mse, float64),
        KHSWEEP_FIELD(min_val_mse, float64), KHSWEEP_FIELD(final_val_cross_entropy, float64),
        KHSWEEP_FIELD(min_val_cross_entropy, float64), KHSWEEP_FIELD(final_val_pll, float64),
        KHSWEEP_FIELD(final_val_accuracy, float64), KHSWEEP_FIELD(max_val_accuracy, float64),
        KHSWEEP_FIELD(max_val_accuracy_epoch, int32), KHSWEEP_FIELD(final_train_mse, float64),
        KHSWEEP_FIELD(final_train_accuracy, float64), KHSWEEP_FIELD(receptive_field_overlap, float64),
        KHSWEEP_FIELD(train_seconds_per_epoch, float64), KHSWEEP_FIELD(metric_seconds_per_evaluation, float64),
        KHSWEEP_FIELD(total_seconds, float64),
        KHSWEEP_TEXT(reason), KHSWEEP_TEXT(host), KHSWEEP_FIELD(rank, int32), KHSWEEP_FIELD(resumed, int8),
        KHSWEEP_FIELD(job, int32), KHSWEEP_TEXT(committed_at),
    };
    f.insert(f.end(), rest.begin(), rest.end());
    return f;
  }();
  return fields;
}

void set_parameter_cell(IndexRow& row, const train::ParamSpec& spec, const train::StoredValue& value) {
  const h5::Field& f = column_of(spec).field;
  switch (f.type) {
    case h5::Type::int8: put(row, f, static_cast<std::int8_t>(std::get<std::int64_t>(value))); break;
    case h5::Type::int32: put(row, f, static_cast<std::int32_t>(std::get<std::int64_t>(value))); break;
    case h5::Type::uint64: put(row, f, std::get<std::uint64_t>(value)); break;
    case h5::Type::float64: put(row, f, std::get<double>(value)); break;
    default: {
      const std::string& text = std::get<std::string>(value);
      char* at = reinterpret_cast<char*>(&row) + f.offset;
      h5::set_fixed_string(at, f.length, text.size() <= f.length ? text : text.substr(0, f.length - 3) + "...");
    }
  }
}

void set_parameters(IndexRow& row, const train::RunParams& params) {
  for (const ParameterColumn& c : parameter_columns()) set_parameter_cell(row, *c.spec, train::column_value(*c.spec, params));
}

train::StoredValue parameter_cell(const IndexRow& row, const train::ParamSpec& spec) {
  const h5::Field& f = column_of(spec).field;
  switch (f.type) {
    case h5::Type::int8: return std::int64_t{take<std::int8_t>(row, f)};
    case h5::Type::int32: return std::int64_t{take<std::int32_t>(row, f)};
    case h5::Type::uint64: return take<std::uint64_t>(row, f);
    case h5::Type::float64: return take<double>(row, f);
    default: return h5::get_fixed_string(reinterpret_cast<const char*>(&row) + f.offset, f.length);
  }
}

const IndexColumn* IndexTable::find(const std::string& name) const {
  for (const IndexColumn& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

const IndexColumn& IndexTable::column(const std::string& name) const {
  const IndexColumn* c = find(name);
  if (c == nullptr) throw Error("the index has no '" + name + "' column");
  return *c;
}

namespace {
double number_at(const char* p, h5::Type type) {
  switch (type) {
    case h5::Type::int8: { std::int8_t v; std::memcpy(&v, p, sizeof v); return v; }
    case h5::Type::int32: { std::int32_t v; std::memcpy(&v, p, sizeof v); return v; }
    case h5::Type::int64: { std::int64_t v; std::memcpy(&v, p, sizeof v); return static_cast<double>(v); }
    case h5::Type::uint64: { std::uint64_t v; std::memcpy(&v, p, sizeof v); return static_cast<double>(v); }
    case h5::Type::float32: { float v; std::memcpy(&v, p, sizeof v); return v; }
    case h5::Type::float64: { double v; std::memcpy(&v, p, sizeof v); return v; }
    default: return 0.0;
  }
}
}  // namespace

bool index_is_current(const h5::File& file) {
  const h5::Dataset runs = file.open_dataset("runs");
  for (const h5::Field& f : index_fields())
    if (!runs.has_column(f.name)) return false;
  return true;
}

void rewrite_index(h5::File& file, const std::vector<IndexRow>& rows) {
  constexpr std::size_t kChunkRows = 64;
  if (file.exists("runs")) file.remove("runs");
  file.create_table("runs", index_fields(), sizeof(IndexRow), kChunkRows);
  file.append_rows("runs", index_fields(), sizeof(IndexRow), rows.data(), rows.size());
}

std::vector<IndexRow> read_index_rows(const h5::File& file) {
  const h5::Dataset runs = file.open_dataset("runs");
  std::vector<h5::Field> present;
  std::vector<const train::ParamSpec*> missing;
  for (const h5::Field& f : index_fields()) {
    if (runs.has_column(f.name)) {
      present.push_back(f);
    } else if (const train::ParamSpec* spec = train::find_parameter(f.name)) {
      const auto former = std::find_if(spec->former_names.begin(), spec->former_names.end(),
                                       [&](const std::string& name) { return runs.has_column(name); });
      if (former != spec->former_names.end()) {  // a schema 1 name ("dataset" for data)
        h5::Field renamed = f;
        renamed.name = *former;
        present.push_back(renamed);
      } else {
        missing.push_back(spec);  // added to the table after the store was written
      }
    } else {
      throw Error("the index has no '" + f.name + "' column");
    }
  }
  std::vector<IndexRow> rows = file.read_table<IndexRow>("runs", present);
  const train::RunParams default_run;  // an RBM, what every run was before a parameter existed
  for (IndexRow& row : rows)
    for (const train::ParamSpec* spec : missing) set_parameter_cell(row, *spec, train::column_value(*spec, default_run));
  return rows;
}

IndexTable read_index(const h5::File& file) {
  const std::vector<IndexRow> rows = read_index_rows(file);
  IndexTable table;
  table.rows = rows.size();
  for (const h5::Field& f : index_fields()) {
    IndexColumn c;
    c.name = f.name;
    c.is_text = f.type == h5::Type::string;
    for (const IndexRow& row : rows) {
      const char* p = reinterpret_cast<const char*>(&row) + f.offset;
      if (c.is_text)
        c.text.push_back(h5::get_fixed_string(p, f.length));
      else
        c.numbers.push_back(number_at(p, f.type));
    }
    table.columns.push_back(std::move(c));
  }
  return table;
}

}  // namespace khsweep::store
