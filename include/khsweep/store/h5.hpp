#pragma once
// A thin RAII layer over the HDF5 C API: files, groups, datasets and attributes as move-only
// handles, every return code checked, failures as khsweep::Error. hdf5.h stays in h5.cpp.
//
// Error messages are one line: "<file>: <object>: <what was attempted>: <HDF5's innermost reason>".
// HDF5's own printing of its error stack ("HDF5-DIAG ...") is switched off on every thread that
// goes through this layer.
//
// Matrices are row-major, so h5py and NumPy read a rows x cols dataset with shape (rows, cols).
// Attributes are written the way h5py writes them: strings variable-length UTF-8, bools as h5py's
// FALSE/TRUE enum, numbers little-endian. Compound tables ("one row per struct") load in pandas
// with pandas.DataFrame(f["name"][:]); their string fields are fixed-length, NUL-padded UTF-8.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace khsweep::h5 {

// HDF5's hid_t, which is int64_t since 1.10; h5.cpp checks the two agree.
using hid = std::int64_t;

// Element types of datasets, attributes and table fields as this layer reads and writes them.
enum class Type { int8, int32, int64, uint64, float32, float64, string, compound };

[[nodiscard]] const char* to_string(Type type);

// The HDF5 library version linked at run time, e.g. "1.10.8".
[[nodiscard]] std::string library_version();

// One member of a compound table row: a field of a trivially copyable struct at byte `offset`.
// A string field is a char array of `length` bytes, NUL-padded (see set_fixed_string).
struct Field {
  std::string name;
  std::size_t offset = 0;
  Type type = Type::float64;
  std::size_t length = 0;  // string fields only
};

// Copies `value` into a NUL-padded char array of `length` bytes; throws khsweep::Error if it does not fit.
void set_fixed_string(char* field, std::size_t length, const std::string& value);
// The string held in a NUL-padded char array of `length` bytes (it need not be NUL-terminated).
[[nodiscard]] std::string get_fixed_string(const char* field, std::size_t length);

namespace detail {

// Owns one hid_t and releases it with the matching H5?close; the destructor never throws.
class Handle {
 public:
  using Closer = int (*)(hid);  // herr_t (*)(hid_t)

  Handle() = default;
  Handle(hid id, Closer closer) noexcept : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
      closer_ = other.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  [[nodiscard]] hid id() const { return id_; }
  [[nodiscard]] bool valid() const { return id_ >= 0; }
  // Closes now, ignoring failure (for destructors); returns the close call's result, or 0.
  int reset() noexcept;

 private:
  hid id_ = -1;
  Closer closer_ = nullptr;
};

}  // namespace detail

class Group;
class Dataset;

// Anything that carries attributes: a file's root group, a group or a dataset.
class Object {
 public:
  [[nodiscard]] const std::string& file_path() const { return file_path_; }
  [[nodiscard]] const std::string& path() const { return path_; }  // inside the file; "/" for the root
  [[nodiscard]] hid id() const { return handle_.id(); }

  // Writing an attribute that exists replaces it.
  void write_attribute(const std::string& name, const std::string& value);
  void write_attribute(const std::string& name, const char* value);
  void write_attribute(const std::string& name, bool value);
  void write_attribute(const std::string& name, int value);
  void write_attribute(const std::string& name, std::int64_t value);
  void write_attribute(const std::string& name, std::uint64_t value);
  void write_attribute(const std::string& name, double value);

  [[nodiscard]] bool has_attribute(const std::string& name) const;
  // Renames an attribute, keeping its value and type; `to` must not exist yet.
  void rename_attribute(const std::string& from, const std::string& to);
  // In creation order when the object tracks it (everything this layer creates does), else by name.
  [[nodiscard]] std::vector<std::string> attribute_names() const;

  // Integers are range-checked, never wrapped; a double may be read from an integer attribute.
  void read_attribute(const std::string& name, std::string& out) const;
  void read_attribute(const std::string& name, bool& out) const;
  void read_attribute(const std::string& name, int& out) const;
  void read_attribute(const std::string& name, std::int64_t& out) const;
  void read_attribute(const std::string& name, std::uint64_t& out) const;
  void read_attribute(const std::string& name, double& out) const;

  template <class T>
  [[nodiscard]] T attribute(const std::string& name) const {
    T value{};
    read_attribute(name, value);
    return value;
  }

 protected:
  Object(detail::Handle handle, std::string file_path, std::string path);
  [[nodiscard]] std::string child_path(const std::string& name) const;

  detail::Handle handle_;
  std::string file_path_;
  std::string path_;
};

// An object that holds groups and datasets: a file (its root group) or a group.
// Names may be nested paths ("a/b/c"); creating one creates missing intermediate groups.
class Location : public Object {
 public:
  Group create_group(const std::string& name);
  [[nodiscard]] Group open_group(const std::string& name) const;
  [[nodiscard]] Dataset open_dataset(const std::string& name) const;
  [[nodiscard]] bool exists(const std::string& name) const;
  // Unlinks the group or dataset `name` (with everything below it). The file does not shrink:
  // HDF5 reuses the space for later writes in the same session only.
  void remove(const std::string& name);

  Dataset write_vector(const std::string& name, const double* data, std::size_t size);
  Dataset write_vector(const std::string& name, const float* data, std::size_t size);
  Dataset write_vector(const std::string& name, const int* data, std::size_t size);
  // A rows x cols dataset from `data` in row-major order.
  Dataset write_matrix(const std::string& name, const double* data, std::size_t rows, std::size_t cols);
  Dataset write_matrix(const std::string& name, const float* data, std::size_t rows, std::size_t cols);
  // One row per struct: `rows` points at `count` structs of `row_size` bytes laid out as `fields`.
  Dataset write_table(const std::string& name, const std::vector<Field>& fields, std::size_t row_size,
                      const void* rows, std::size_t count);
  // An empty table that grows by append_rows: unlimited rows of `row_size`-byte structs laid out as
  // `fields`, stored in chunks of `chunk_rows` rows.
  Dataset create_table(const std::string& name, const std::vector<Field>& fields, std::size_t row_size,
                       std::size_t chunk_rows);
  // Appends `count` structs to a table made by create_table; `fields` must name every column.
  void append_rows(const std::string& name, const std::vector<Field>& fields, std::size_t row_size,
                   const void* rows, std::size_t count);
  // The number of rows of a table (or elements of any 1-D dataset).
  [[nodiscard]] std::size_t row_count(const std::string& name) const;
  // The names of the links directly below this group, sorted by name.
  [[nodiscard]] std::vector<std::string> child_names() const;

  // std::vector or an Eigen vector.
  template <class Vec>
  Dataset write_vector(const std::string& name, const Vec& v);
  // A row-major Eigen matrix (Eigen::Matrix<T, Dynamic, Dynamic, RowMajor>).
  template <class Mat>
  Dataset write_matrix(const std::string& name, const Mat& m);
  template <class Row>
  Dataset write_table(const std::string& name, const std::vector<Field>& fields, const std::vector<Row>& rows);
  template <class Row>
  void append_rows(const std::string& name, const std::vector<Field>& fields, const std::vector<Row>& rows);

  // A 1-D dataset into std::vector<T> or an Eigen vector. HDF5 converts element types; a value
  // out of the target's range is an error, and floats are never read into integers.
  template <class Vec>
  void read_vector(const std::string& name, Vec& out) const;
  template <class T>
  [[nodiscard]] std::vector<T> read_vector(const std::string& name) const {
    std::vector<T> out;
    read_vector(name, out);
    return out;
  }
  // A 2-D dataset into a row-major Eigen matrix, resized to the dataset's shape.
  template <class Mat>
  void read_matrix(const std::string& name, Mat& out) const;
  // Reads the named fields of every row; fields of the file's table not listed are skipped.
  template <class Row>
  [[nodiscard]] std::vector<Row> read_table(const std::string& name, const std::vector<Field>& fields) const;

 protected:
  Location(detail::Handle handle, std::string file_path, std::string path)
      : Object(std::move(handle), std::move(file_path), std::move(path)) {}

 private:
  void check_contiguous(const std::string& name, bool rows_packed, bool cols_packed) const;
};

class Group : public Location {
 private:
  friend class Location;
  Group(detail::Handle handle, std::string file_path, std::string path)
      : Location(std::move(handle), std::move(file_path), std::move(path)) {}
};

class Dataset : public Object {
 public:
  [[nodiscard]] std::vector<std::size_t> dims() const;
  [[nodiscard]] Type element_type() const;
  // The length of a 1-D dataset; throws for any other rank.
  [[nodiscard]] std::size_t vector_length() const;
  // (rows, cols) of a 2-D dataset; throws for any other rank.
  [[nodiscard]] std::pair<std::size_t, std::size_t> matrix_shape() const;

  // Reads all elements into `out`, which holds `count` of them; throws unless count matches.
  void read(double* out, std::size_t count) const;
  void read(float* out, std::size_t count) const;
  void read(int* out, std::size_t count) const;
  void read_table(const std::vector<Field>& fields, std::size_t row_size, void* rows, std::size_t count) const;
  // Whether this table (a compound dataset) has a column called `name`.
  [[nodiscard]] bool has_column(const std::string& name) const;
  // Appends `count` rows to an extendible table (see Location::create_table).
  void append_rows(const std::vector<Field>& fields, std::size_t row_size, const void* rows, std::size_t count);

 private:
  friend class Location;
  Dataset(detail::Handle handle, std::string file_path, std::string path)
      : Object(std::move(handle), std::move(file_path), std::move(path)) {}
  void read_numbers(Type memory_type, void* out, std::size_t count) const;
};

// An open HDF5 file; as a Location it is the root group "/".
class File : public Location {
 public:
  // How open_with opens a file: as it is, or created (an existing file is truncated).
  enum class Mode { read_only, read_write, create };

  // Creates (or truncates) the file at `path`.
  [[nodiscard]] static File create(const std::filesystem::path& path);
  // Fails with "the file is locked" while a writer (e.g. a store::Transaction) has it open.
  [[nodiscard]] static File open_read(const std::filesystem::path& path);
  // Not crash-safe: a writer killed mid-update can leave the file unreadable. Stores use store::Transaction.
  [[nodiscard]] static File open_read_write(const std::filesystem::path& path);
  // Opens through a caller-made file-access property list `fapl` (e.g. naming a custom file
  // driver); the caller keeps ownership of `fapl`.
  [[nodiscard]] static File open_with(const std::filesystem::path& path, hid fapl, Mode mode);

  void flush();
  // Flushes and closes, throwing on failure or if an object of this file is still open.
  // The destructor closes too, but silently.
  void close();
  // Flushes and closes like close(), but first closes every object of the file still open; their
  // handles stay inert (any use fails, destroying them is harmless).
  void close_all();

 private:
  File(detail::Handle handle, std::string file_path)
      : Location(std::move(handle), std::move(file_path), "/") {}
};

template <class Vec>
Dataset Location::write_vector(const std::string& name, const Vec& v) {
  return write_vector(name, v.data(), static_cast<std::size_t>(v.size()));
}

template <class Mat>
Dataset Location::write_matrix(const std::string& name, const Mat& m) {
  static_assert(Mat::IsRowMajor, "h5::write_matrix: pass a row-major matrix so h5py reads it unchanged");
  check_contiguous(name, m.rows() <= 1 || m.outerStride() == m.cols(), m.innerStride() == 1);
  return write_matrix(name, m.data(), static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols()));
}

template <class Row>
Dataset Location::write_table(const std::string& name, const std::vector<Field>& fields, const std::vector<Row>& rows) {
  static_assert(std::is_trivially_copyable_v<Row>, "h5::write_table: rows must be trivially copyable");
  return write_table(name, fields, sizeof(Row), rows.data(), rows.size());
}

template <class Row>
void Location::append_rows(const std::string& name, const std::vector<Field>& fields, const std::vector<Row>& rows) {
  static_assert(std::is_trivially_copyable_v<Row>, "h5::append_rows: rows must be trivially copyable");
  append_rows(name, fields, sizeof(Row), rows.data(), rows.size());
}

template <class Vec>
void Location::read_vector(const std::string& name, Vec& out) const {
  const Dataset d = open_dataset(name);
  const std::size_t n = d.vector_length();
  out.resize(static_cast<decltype(out.size())>(n));
  d.read(out.data(), n);
}

template <class Mat>
void Location::read_matrix(const std::string& name, Mat& out) const {
  static_assert(Mat::IsRowMajor, "h5::read_matrix: pass a row-major matrix, the order the file holds");
  const Dataset d = open_dataset(name);
  const auto [rows, cols] = d.matrix_shape();
  out.resize(static_cast<decltype(out.rows())>(rows), static_cast<decltype(out.cols())>(cols));
  d.read(out.data(), rows * cols);
}

template <class Row>
std::vector<Row> Location::read_table(const std::string& name, const std::vector<Field>& fields) const {
  static_assert(std::is_trivially_copyable_v<Row>, "h5::read_table: rows must be trivially copyable");
  const Dataset d = open_dataset(name);
  std::vector<Row> rows(d.vector_length());
  d.read_table(fields, sizeof(Row), rows.data(), rows.size());
  return rows;
}

}  // namespace khsweep::h5
