#include "khsweep/store/index.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "khsweep/core/error.hpp"

namespace khsweep::store {

#define KHSWEEP_FIELD(member, type) h5::Field{#member, offsetof(IndexRow, member), h5::Type::type, 0}
#define KHSWEEP_TEXT(member) h5::Field{#member, offsetof(IndexRow, member), h5::Type::string, sizeof(IndexRow::member)}

// The column order h5py and pandas show.
const std::vector<h5::Field>& index_fields() {
  static const std::vector<h5::Field> fields = {
      KHSWEEP_TEXT(id), KHSWEEP_TEXT(status), KHSWEEP_TEXT(sweep), KHSWEEP_TEXT(arm),
      KHSWEEP_TEXT(task), KHSWEEP_FIELD(hidden, int32), KHSWEEP_FIELD(k, int32), KHSWEEP_FIELD(persistent, int8),
      KHSWEEP_TEXT(init), KHSWEEP_FIELD(learning_rate, float64), KHSWEEP_FIELD(batch_size, int32),
      KHSWEEP_FIELD(epochs, int32), KHSWEEP_FIELD(seed, uint64), KHSWEEP_TEXT(label_sampling),
      KHSWEEP_TEXT(precision), KHSWEEP_TEXT(kh), KHSWEEP_FIELD(eps0, float64), KHSWEEP_FIELD(delta, float64),
      KHSWEEP_FIELD(S, int32), KHSWEEP_FIELD(l, int32), KHSWEEP_FIELD(p, float64), KHSWEEP_FIELD(R, float64),
      KHSWEEP_FIELD(metrics_every, int32), KHSWEEP_FIELD(train_metric_samples, uint64),
      KHSWEEP_TEXT(model), KHSWEEP_FIELD(activation_power, float64), KHSWEEP_FIELD(loss_power, float64),
      KHSWEEP_FIELD(readout_beta, float64), KHSWEEP_FIELD(readout_learning_rate, float64),
      KHSWEEP_FIELD(readout_epochs, int32), KHSWEEP_FIELD(mhc_learning_rate, float64), KHSWEEP_FIELD(beta, float64),
      KHSWEEP_FIELD(euler_steps, int32), KHSWEEP_FIELD(dt, float64), KHSWEEP_FIELD(noise, float64),
      KHSWEEP_TEXT(dataset), KHSWEEP_FIELD(train_subset, uint64), KHSWEEP_FIELD(validation_subset, uint64),
      KHSWEEP_TEXT(subset), KHSWEEP_FIELD(subset_seed, uint64), KHSWEEP_FIELD(threshold, int32),
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
  return fields;
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

namespace {
// The columns added with the model kinds, in file order.
bool added_with_model_kinds(const std::string& column) {
  static const std::vector<std::string> added = {"model", "activation_power", "loss_power", "readout_beta",
                                                 "readout_learning_rate", "readout_epochs", "mhc_learning_rate",
                                                 "beta", "euler_steps", "dt", "noise"};
  return std::find(added.begin(), added.end(), column) != added.end();
}
}  // namespace

bool index_is_current(const h5::File& file) { return file.open_dataset("runs").has_column("model"); }

void rewrite_index(h5::File& file, const std::vector<IndexRow>& rows) {
  constexpr std::size_t kChunkRows = 64;
  if (file.exists("runs")) file.remove("runs");
  file.create_table("runs", index_fields(), sizeof(IndexRow), kChunkRows);
  file.append_rows("runs", index_fields(), sizeof(IndexRow), rows.data(), rows.size());
}

std::vector<IndexRow> read_index_rows(const h5::File& file) {
  if (index_is_current(file)) return file.read_table<IndexRow>("runs", index_fields());
  std::vector<h5::Field> present;
  for (const h5::Field& f : index_fields())
    if (!added_with_model_kinds(f.name)) present.push_back(f);
  std::vector<IndexRow> rows = file.read_table<IndexRow>("runs", present);
  for (IndexRow& row : rows) {  // what make_row writes for an RBM run
    h5::set_fixed_string(row.model, sizeof row.model, "rbm");
    row.activation_power = row.loss_power = row.readout_beta = row.readout_learning_rate = NAN;
    row.readout_epochs = row.euler_steps = 0;
    row.mhc_learning_rate = row.beta = row.dt = row.noise = NAN;
  }
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
