#include "khsweep/store/h5.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <system_error>

#include "hdf5_file_locking.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text.hpp"
#include "khsweep/store/file_locks.hpp"

namespace khsweep::h5 {

static_assert(std::is_same_v<hid, hid_t>, "h5::hid must be HDF5's hid_t (HDF5 >= 1.10)");
static_assert(std::is_same_v<int, herr_t>, "h5::detail::Handle::Closer assumes herr_t is int");
static_assert(sizeof(int) == 4, "int vectors are stored as 32-bit integers");

namespace {

// HDF5 prints its error stack to stderr on every failure unless told not to; this layer reports
// failures itself. Thread-safe builds keep the setting per thread, hence thread_local.
bool silence_hdf5() noexcept {
  thread_local bool silenced = false;
  if (!silenced) silenced = H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
  return silenced;
}

void ensure_silenced() {
  if (!silence_hdf5()) throw Error("HDF5: cannot turn off HDF5's automatic error printing");
}

// HDF5 callbacks are C frames: no exception may cross them.
herr_t keep_innermost(unsigned /*n*/, const H5E_error2_t* err, void* data) noexcept {
  auto* out = static_cast<std::string*>(data);
  if (!out->empty()) return 0;
  try {
    if (err->desc != nullptr && err->desc[0] != '\0') {
      *out = err->desc;
    } else {
      char minor[256] = {};
      if (H5Eget_msg(err->min_num, nullptr, minor, sizeof minor) > 0) *out = minor;
    }
  } catch (...) {
    return -1;
  }
  return 0;
}

// The description of the innermost (first detected) error on this thread's HDF5 error stack.
std::string innermost_error() {
  std::string reason;
  // Upward starts at the innermost function, where the error was first detected.
  if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &reason) < 0) return {};
  std::replace(reason.begin(), reason.end(), '\n', ' ');
  return reason;
}

// Where in which file an operation happens, for error messages.
struct Where {
  const std::string& file;
  std::string object;

  // Throws with HDF5's reason; call right after the failing HDF5 call, before any other.
  [[noreturn]] void fail(const std::string& what) const {
    const std::string reason = innermost_error();
    throw error_at(file, object + ": " + what + (reason.empty() ? "" : ": " + reason));
  }
  // Throws for a problem this layer detected itself.
  [[noreturn]] void refuse(const std::string& what) const { throw error_at(file, object + ": " + what); }

  [[nodiscard]] hid_t id(hid_t raw, const std::string& what) const {
    if (raw < 0) fail(what);
    return raw;
  }
  void ok(herr_t rc, const std::string& what) const {
    if (rc < 0) fail(what);
  }
  [[nodiscard]] bool yes(htri_t rc, const std::string& what) const {
    if (rc < 0) fail(what);
    return rc > 0;
  }
  [[nodiscard]] detail::Handle own(hid_t raw, detail::Handle::Closer closer, const std::string& what) const {
    return detail::Handle(id(raw, what), closer);
  }
  void close(detail::Handle& handle, const std::string& what) const {
    if (handle.reset() < 0) fail(what);
  }
};

hid_t memory_type(Type type) {
  switch (type) {
    case Type::int8: return H5T_NATIVE_INT8;
    case Type::int32: return H5T_NATIVE_INT32;
    case Type::int64: return H5T_NATIVE_INT64;
    case Type::uint64: return H5T_NATIVE_UINT64;
    case Type::float32: return H5T_NATIVE_FLOAT;
    case Type::float64: return H5T_NATIVE_DOUBLE;
    case Type::string:
    case Type::compound: break;
  }
  return H5I_INVALID_HID;
}

// Files are little-endian whatever the host, as h5py and most HDF5 writers do.
hid_t file_type(Type type) {
  switch (type) {
    case Type::int8: return H5T_STD_I8LE;
    case Type::int32: return H5T_STD_I32LE;
    case Type::int64: return H5T_STD_I64LE;
    case Type::uint64: return H5T_STD_U64LE;
    case Type::float32: return H5T_IEEE_F32LE;
    case Type::float64: return H5T_IEEE_F64LE;
    case Type::string:
    case Type::compound: break;
  }
  return H5I_INVALID_HID;
}

std::size_t type_size(Type type) {
  switch (type) {
    case Type::int8: return 1;
    case Type::int32:
    case Type::float32: return 4;
    case Type::int64:
    case Type::uint64:
    case Type::float64: return 8;
    case Type::string:
    case Type::compound: break;
  }
  return 0;
}

const char* class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a float";
    case H5T_STRING: return "a string";
    case H5T_COMPOUND: return "a compound";
    case H5T_ENUM: return "an enum";
    case H5T_ARRAY: return "an array";
    case H5T_VLEN: return "a variable-length sequence";
    default: return "an unsupported type";
  }
}

// Variable-length UTF-8, what h5py writes for a Python str and reads back as str.
detail::Handle vlen_string_type(const Where& w) {
  detail::Handle t = w.own(H5Tcopy(H5T_C_S1), H5Tclose, "create string type");
  w.ok(H5Tset_size(t.id(), H5T_VARIABLE), "create string type");
  w.ok(H5Tset_cset(t.id(), H5T_CSET_UTF8), "create string type");
  return t;
}

// Fixed-length, NUL-padded UTF-8: NumPy's "S" dtype, which pandas takes as bytes.
detail::Handle fixed_string_type(const Where& w, std::size_t length) {
  detail::Handle t = w.own(H5Tcopy(H5T_C_S1), H5Tclose, "create string type");
  w.ok(H5Tset_size(t.id(), length), "create string type");
  w.ok(H5Tset_strpad(t.id(), H5T_STR_NULLPAD), "create string type");
  w.ok(H5Tset_cset(t.id(), H5T_CSET_UTF8), "create string type");
  return t;
}

// h5py's bool: an int8 enum with FALSE = 0 and TRUE = 1, which it reads as numpy.bool_.
detail::Handle bool_type(const Where& w) {
  detail::Handle t = w.own(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose, "create bool type");
  const std::int8_t no = 0;
  const std::int8_t yes = 1;
  w.ok(H5Tenum_insert(t.id(), "FALSE", &no), "create bool type");
  w.ok(H5Tenum_insert(t.id(), "TRUE", &yes), "create bool type");
  return t;
}

// Settings for every object this layer creates. Attribute iteration follows creation order, so
// h5py lists config fields in declaration order; no timestamps, so equal content gives equal bytes.
void set_object_creation(const Where& w, hid_t plist) {
  w.ok(H5Pset_attr_creation_order(plist, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
       "set attribute creation order");
  w.ok(H5Pset_obj_track_times(plist, false), "turn off object timestamps");
}

detail::Handle intermediate_groups_plist(const Where& w) {
  detail::Handle lcpl = w.own(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "create link property list");
  w.ok(H5Pset_create_intermediate_group(lcpl.id(), 1), "set intermediate group creation");
  return lcpl;
}

detail::Handle file_access_plist(const Where& w) {
  detail::Handle fapl = w.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "create file access property list");
#if KHSWEEP_HDF5_HAS_FILE_LOCKING_PROPERTY
  // Lock as usual, but do not fail on file systems without flock (common on cluster scratch).
  w.ok(H5Pset_file_locking(fapl.id(), true, true), "set file locking");
#endif
  return fapl;
}

H5T_conv_ret_t abort_on_overflow(H5T_conv_except_t except, hid_t, hid_t, void*, void*, void*) {
  const bool loses_value = except == H5T_CONV_EXCEPT_RANGE_HI || except == H5T_CONV_EXCEPT_RANGE_LOW ||
                           except == H5T_CONV_EXCEPT_TRUNCATE;
  return loses_value ? H5T_CONV_ABORT : H5T_CONV_UNHANDLED;
}

// HDF5 clips out-of-range values silently when converting on read; this makes that an error.
detail::Handle strict_transfer_plist(const Where& w) {
  detail::Handle dxpl = w.own(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "create transfer property list");
  w.ok(H5Pset_type_conv_cb(dxpl.id(), abort_on_overflow, nullptr), "set conversion callback");
  return dxpl;
}

std::size_t field_size(const Field& f) { return f.type == Type::string ? f.length : type_size(f.type); }

// The compound type of a table row: in memory at the caller's offsets, in the file packed.
detail::Handle compound_type(const Where& w, const std::vector<Field>& fields, std::size_t row_size, bool in_file) {
  std::size_t size = row_size;
  if (in_file) {
    size = 0;
    for (const Field& f : fields) size += field_size(f);
  }
  detail::Handle t = w.own(H5Tcreate(H5T_COMPOUND, size), H5Tclose, "create compound type");
  std::size_t packed = 0;
  for (const Field& f : fields) {
    const std::size_t offset = in_file ? packed : f.offset;
    const std::string what = "add field " + in_quotes(f.name) + " to compound type";
    if (f.type == Type::string) {
      const detail::Handle s = fixed_string_type(w, f.length);
      w.ok(H5Tinsert(t.id(), f.name.c_str(), offset, s.id()), what);
    } else {
      w.ok(H5Tinsert(t.id(), f.name.c_str(), offset, in_file ? file_type(f.type) : memory_type(f.type)), what);
    }
    packed += field_size(f);
  }
  return t;
}

void check_fields(const Where& w, const std::vector<Field>& fields, std::size_t row_size) {
  if (fields.empty()) w.refuse("table has no fields");
  for (const Field& f : fields) {
    if (f.name.empty()) w.refuse("table field with an empty name");
    if (f.type == Type::compound) w.refuse("table field " + in_quotes(f.name) + ": nested compounds are not supported");
    if (f.type == Type::string && f.length == 0) w.refuse("string field " + in_quotes(f.name) + " has length 0");
    if (f.offset + field_size(f) > row_size)
      w.refuse("field " + in_quotes(f.name) + " (offset " + std::to_string(f.offset) + ", " +
               std::to_string(field_size(f)) + " bytes) does not fit in a " + std::to_string(row_size) + "-byte row");
  }
}

// Checks that `fields` fit the columns of the table whose file type is `file_t`: each named column
// exists and holds a string exactly when the field is one. With `every_column`, the fields must also
// name every column, and string fields must have the column's length (for writing).
void check_columns(const Where& w, hid_t file_t, const std::vector<Field>& fields, const std::string& what,
                   bool every_column) {
  const H5T_class_t c = H5Tget_class(file_t);
  if (c == H5T_NO_CLASS) w.fail(what);
  if (c != H5T_COMPOUND) w.refuse(what + ": it holds " + class_name(c) + " type, not a table");
  for (const Field& f : fields) {
    const int index = H5Tget_member_index(file_t, f.name.c_str());
    if (index < 0) w.refuse(what + ": no field " + in_quotes(f.name));
    const H5T_class_t member = H5Tget_member_class(file_t, static_cast<unsigned>(index));
    if (member == H5T_NO_CLASS) w.fail(what);
    const bool want_string = f.type == Type::string;
    if ((member == H5T_STRING) != want_string || (member != H5T_STRING && member != H5T_INTEGER && member != H5T_FLOAT))
      w.refuse(what + ": field " + in_quotes(f.name) + " is " + class_name(member) + ", expected " +
               (want_string ? "a string" : "a number"));
    if (every_column && want_string) {
      const detail::Handle t = w.own(H5Tget_member_type(file_t, static_cast<unsigned>(index)), H5Tclose, what);
      const std::size_t length = H5Tget_size(t.id());
      if (length == 0) w.fail(what);
      if (length != f.length)
        w.refuse(what + ": field " + in_quotes(f.name) + " is a " + std::to_string(length) + "-byte string in the file, " +
                 std::to_string(f.length) + " bytes in memory");
    }
  }
  if (!every_column) return;
  const int members = H5Tget_nmembers(file_t);
  if (members < 0) w.fail(what);
  if (static_cast<std::size_t>(members) != fields.size()) {
    for (unsigned i = 0; i < static_cast<unsigned>(members); ++i) {
      char* name = H5Tget_member_name(file_t, i);
      if (name == nullptr) w.fail(what);
      const std::string column = name;
      H5free_memory(name);
      const auto given = [&](const Field& f) { return f.name == column; };
      if (std::none_of(fields.begin(), fields.end(), given))
        w.refuse(what + ": no value given for field " + in_quotes(column));
    }
    w.refuse(what + ": " + std::to_string(fields.size()) + " fields given for a table of " + std::to_string(members));
  }
}

// HDF5's reason for a failed open, in words that say what is wrong with the file.
std::string open_failure(const std::string& reason) {
  if (reason.find("file signature not found") != std::string::npos)
    return "not an HDF5 file (no HDF5 signature in it)";
  if (reason.find("truncated file") != std::string::npos) {
    const auto number_after = [&](const std::string& key) -> std::string {
      const auto at = reason.find(key);
      if (at == std::string::npos) return "";
      const auto start = at + key.size();
      return reason.substr(start, reason.find_first_not_of("0123456789", start) - start);
    };
    const std::string have = number_after("eof = "), need = number_after("stored_eof = ");
    if (!have.empty() && !need.empty())
      return "truncated: the file has " + have + " bytes of the " + need +
             " it needs (an interrupted copy or a full disk?)";
    return "truncated (" + reason + ")";
  }
  return reason;
}

// Why a reader's lock on `path` fails (errno), or 0 if a reader can lock it (or it cannot be opened).
int reader_lock_error(const std::string& path) noexcept {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const int error = ::flock(fd, LOCK_SH | LOCK_NB) != 0 ? errno : 0;
  ::close(fd);  // releases the probe's own lock, if it got one
  return error;
}

struct AttributeValue {
  detail::Handle attribute;
  detail::Handle type;
  H5T_class_t type_class = H5T_NO_CLASS;
};

// Opens a scalar attribute, with clear messages when it is missing or not a single value.
AttributeValue open_scalar_attribute(const Object& o, const std::string& name) {
  ensure_silenced();
  const Where w{o.file_path(), o.path()};
  const std::string what = "read attribute " + in_quotes(name);
  if (!w.yes(H5Aexists(o.id(), name.c_str()), what)) w.refuse(what + ": no such attribute");
  AttributeValue v;
  v.attribute = w.own(H5Aopen(o.id(), name.c_str(), H5P_DEFAULT), H5Aclose, what);
  const detail::Handle space = w.own(H5Aget_space(v.attribute.id()), H5Sclose, what);
  const hssize_t points = H5Sget_simple_extent_npoints(space.id());
  if (points < 0) w.fail(what);
  if (points != 1) w.refuse(what + ": holds " + std::to_string(points) + " values, expected one");
  v.type = w.own(H5Aget_type(v.attribute.id()), H5Tclose, what);
  v.type_class = H5Tget_class(v.type.id());
  if (v.type_class == H5T_NO_CLASS) w.fail(what);
  return v;
}

// An integer attribute of any width and sign, read without conversion loss.
struct Integer {
  bool negative = false;
  std::uint64_t magnitude = 0;  // the value when not negative; its absolute value otherwise
};

Integer read_integer(const Object& o, const std::string& name, const std::string& wanted) {
  const Where w{o.file_path(), o.path()};
  const std::string what = "read attribute " + in_quotes(name);
  const AttributeValue v = open_scalar_attribute(o, name);
  if (v.type_class != H5T_INTEGER)
    w.refuse(what + ": it is " + class_name(v.type_class) + ", expected " + wanted);
  const H5T_sign_t sign = H5Tget_sign(v.type.id());
  if (sign == H5T_SGN_ERROR) w.fail(what);
  Integer out;
  if (sign == H5T_SGN_NONE) {
    w.ok(H5Aread(v.attribute.id(), H5T_NATIVE_UINT64, &out.magnitude), what);
  } else {
    std::int64_t s = 0;
    w.ok(H5Aread(v.attribute.id(), H5T_NATIVE_INT64, &s), what);
    out.negative = s < 0;
    // Negate in unsigned arithmetic: -INT64_MIN does not fit an int64.
    out.magnitude = out.negative ? 0 - static_cast<std::uint64_t>(s) : static_cast<std::uint64_t>(s);
  }
  return out;
}

[[noreturn]] void out_of_range(const Object& o, const std::string& name, const Integer& v, const char* type) {
  const Where w{o.file_path(), o.path()};
  w.refuse("read attribute " + in_quotes(name) + ": value " + (v.negative ? "-" : "") +
           std::to_string(v.magnitude) + " does not fit " + type);
}

void write_scalar_attribute(Object& o, const std::string& name, hid_t file_t, hid_t memory_t, const void* value) {
  ensure_silenced();
  const Where w{o.file_path(), o.path()};
  const std::string what = "write attribute " + in_quotes(name);
  if (w.yes(H5Aexists(o.id(), name.c_str()), what)) w.ok(H5Adelete(o.id(), name.c_str()), what);
  const detail::Handle space = w.own(H5Screate(H5S_SCALAR), H5Sclose, what);
  detail::Handle attribute =
      w.own(H5Acreate2(o.id(), name.c_str(), file_t, space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
  w.ok(H5Awrite(attribute.id(), memory_t, value), what);
  w.close(attribute, what);
}

herr_t collect_name(hid_t, const char* name, const H5A_info_t*, void* data) noexcept {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

}  // namespace

const char* to_string(Type type) {
  switch (type) {
    case Type::int8: return "int8";
    case Type::int32: return "int32";
    case Type::int64: return "int64";
    case Type::uint64: return "uint64";
    case Type::float32: return "float32";
    case Type::float64: return "float64";
    case Type::string: return "string";
    case Type::compound: return "compound";
  }
  return "?";
}

std::string library_version() {
  ensure_silenced();
  unsigned major = 0, minor = 0, release = 0;
  if (H5get_libversion(&major, &minor, &release) < 0) throw Error("HDF5: cannot query the library version");
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

void set_fixed_string(char* field, std::size_t length, const std::string& value) {
  if (value.size() > length)
    throw Error("string '" + value + "' (" + std::to_string(value.size()) + " bytes) does not fit its " +
                std::to_string(length) + "-byte field");
  std::memset(field, 0, length);
  std::memcpy(field, value.data(), value.size());
}

std::string get_fixed_string(const char* field, std::size_t length) {
  return std::string(field, static_cast<std::size_t>(std::find(field, field + length, '\0') - field));
}

namespace detail {

int Handle::reset() noexcept {
  int rc = 0;
  if (id_ >= 0 && closer_ != nullptr) {
    silence_hdf5();
    rc = closer_(id_);
  }
  id_ = -1;
  return rc;
}

}  // namespace detail

// ---- Object: attributes ----

Object::Object(detail::Handle handle, std::string file_path, std::string path)
    : handle_(std::move(handle)), file_path_(std::move(file_path)), path_(std::move(path)) {}

std::string Object::child_path(const std::string& name) const {
  if (!name.empty() && name.front() == '/') return name;
  return path_ == "/" ? "/" + name : path_ + "/" + name;
}

void Object::write_attribute(const std::string& name, const std::string& value) {
  ensure_silenced();
  const detail::Handle type = vlen_string_type(Where{file_path_, path_});
  const char* text = value.c_str();
  write_scalar_attribute(*this, name, type.id(), type.id(), &text);
}

void Object::write_attribute(const std::string& name, const char* value) { write_attribute(name, std::string(value)); }

void Object::write_attribute(const std::string& name, bool value) {
  ensure_silenced();
  const detail::Handle type = bool_type(Where{file_path_, path_});
  const std::int8_t v = value ? 1 : 0;
  write_scalar_attribute(*this, name, type.id(), type.id(), &v);
}

void Object::write_attribute(const std::string& name, int value) {
  write_attribute(name, static_cast<std::int64_t>(value));
}

void Object::write_attribute(const std::string& name, std::int64_t value) {
  ensure_silenced();
  write_scalar_attribute(*this, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void Object::write_attribute(const std::string& name, std::uint64_t value) {
  ensure_silenced();
  write_scalar_attribute(*this, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}

void Object::write_attribute(const std::string& name, double value) {
  ensure_silenced();
  write_scalar_attribute(*this, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

bool Object::has_attribute(const std::string& name) const {
  ensure_silenced();
  return Where{file_path_, path_}.yes(H5Aexists(id(), name.c_str()), "look up attribute " + in_quotes(name));
}

void Object::rename_attribute(const std::string& from, const std::string& to) {
  ensure_silenced();
  Where{file_path_, path_}.ok(H5Arename(id(), from.c_str(), to.c_str()),
                              "rename attribute " + in_quotes(from) + " to " + in_quotes(to));
}

std::vector<std::string> Object::attribute_names() const {
  ensure_silenced();
  std::vector<std::string> names;
  hsize_t next = 0;
  // Creation order is only indexed on objects that track it; fall back to name order.
  if (H5Aiterate2(id(), H5_INDEX_CRT_ORDER, H5_ITER_INC, &next, collect_name, &names) < 0) {
    names.clear();
    next = 0;
    Where{file_path_, path_}.ok(H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, &next, collect_name, &names),
                                "list attributes");
  }
  return names;
}

void Object::read_attribute(const std::string& name, std::string& out) const {
  const Where w{file_path_, path_};
  const std::string what = "read attribute " + in_quotes(name);
  const AttributeValue v = open_scalar_attribute(*this, name);
  if (v.type_class != H5T_STRING) w.refuse(what + ": it is " + class_name(v.type_class) + ", expected a string");
  const htri_t variable = H5Tis_variable_str(v.type.id());
  if (variable < 0) w.fail(what);
  if (variable > 0) {
    const detail::Handle memory = vlen_string_type(w);
    // Same character set as the file's (h5py writes bytes as ASCII), so HDF5 need not convert.
    const H5T_cset_t cset = H5Tget_cset(v.type.id());
    if (cset == H5T_CSET_ERROR) w.fail(what);
    w.ok(H5Tset_cset(memory.id(), cset), what);
    char* text = nullptr;
    w.ok(H5Aread(v.attribute.id(), memory.id(), &text), what);
    out = text == nullptr ? std::string() : std::string(text);
    const detail::Handle space = w.own(H5Screate(H5S_SCALAR), H5Sclose, what);
#if H5_VERSION_GE(1, 12, 0)
    w.ok(H5Treclaim(memory.id(), space.id(), H5P_DEFAULT, &text), what);
#else
    w.ok(H5Dvlen_reclaim(memory.id(), space.id(), H5P_DEFAULT, &text), what);
#endif
    return;
  }
  const std::size_t size = H5Tget_size(v.type.id());
  if (size == 0) w.fail(what);
  std::string buffer(size, '\0');
  w.ok(H5Aread(v.attribute.id(), v.type.id(), buffer.data()), what);
  const H5T_str_t pad = H5Tget_strpad(v.type.id());
  if (pad == H5T_STR_ERROR) w.fail(what);
  out = get_fixed_string(buffer.data(), size);
  if (pad == H5T_STR_SPACEPAD) out.erase(out.find_last_not_of(' ') + 1);
}

void Object::read_attribute(const std::string& name, bool& out) const {
  const Where w{file_path_, path_};
  const std::string what = "read attribute " + in_quotes(name);
  const AttributeValue v = open_scalar_attribute(*this, name);
  if (v.type_class == H5T_INTEGER) {
    out = read_integer(*this, name, "a bool").magnitude != 0;
    return;
  }
  if (v.type_class != H5T_ENUM) w.refuse(what + ": it is " + class_name(v.type_class) + ", expected a bool");
  // Enum conversion matches member names, so anything but FALSE/TRUE fails here.
  const detail::Handle memory = bool_type(w);
  std::int8_t value = 0;
  w.ok(H5Aread(v.attribute.id(), memory.id(), &value), what);
  out = value != 0;
}

void Object::read_attribute(const std::string& name, int& out) const {
  const Integer v = read_integer(*this, name, "an integer");
  const auto limit = v.negative ? static_cast<std::uint64_t>(std::numeric_limits<int>::max()) + 1
                                : static_cast<std::uint64_t>(std::numeric_limits<int>::max());
  if (v.magnitude > limit) out_of_range(*this, name, v, "an int");
  out = v.negative ? static_cast<int>(-static_cast<std::int64_t>(v.magnitude)) : static_cast<int>(v.magnitude);
}

void Object::read_attribute(const std::string& name, std::int64_t& out) const {
  const Integer v = read_integer(*this, name, "an integer");
  const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (v.magnitude > (v.negative ? max + 1 : max)) out_of_range(*this, name, v, "an int64");
  out = v.negative ? static_cast<std::int64_t>(0 - v.magnitude) : static_cast<std::int64_t>(v.magnitude);
}

void Object::read_attribute(const std::string& name, std::uint64_t& out) const {
  const Integer v = read_integer(*this, name, "an integer");
  if (v.negative) out_of_range(*this, name, v, "a uint64");
  out = v.magnitude;
}

void Object::read_attribute(const std::string& name, double& out) const {
  const Where w{file_path_, path_};
  const std::string what = "read attribute " + in_quotes(name);
  const AttributeValue v = open_scalar_attribute(*this, name);
  if (v.type_class == H5T_INTEGER) {
    const Integer i = read_integer(*this, name, "a number");
    const auto magnitude = static_cast<double>(i.magnitude);
    out = i.negative ? -magnitude : magnitude;
    return;
  }
  if (v.type_class != H5T_FLOAT) w.refuse(what + ": it is " + class_name(v.type_class) + ", expected a number");
  w.ok(H5Aread(v.attribute.id(), H5T_NATIVE_DOUBLE, &out), what);
}

// ---- Location: groups and datasets ----

Group Location::create_group(const std::string& name) {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  const std::string what = "create group";
  const detail::Handle lcpl = intermediate_groups_plist(w);
  const detail::Handle gcpl = w.own(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, what);
  set_object_creation(w, gcpl.id());
  detail::Handle g = w.own(H5Gcreate2(id(), name.c_str(), lcpl.id(), gcpl.id(), H5P_DEFAULT), H5Gclose, what);
  return Group(std::move(g), file_path_, w.object);
}

Group Location::open_group(const std::string& name) const {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  if (!exists(name)) w.refuse("open group: no such group");
  detail::Handle g = w.own(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), H5Gclose, "open group");
  return Group(std::move(g), file_path_, w.object);
}

Dataset Location::open_dataset(const std::string& name) const {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  if (!exists(name)) w.refuse("open dataset: no such dataset");
  detail::Handle d = w.own(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset");
  return Dataset(std::move(d), file_path_, w.object);
}

bool Location::exists(const std::string& name) const {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  const std::string what = "look up";
  // H5Lexists needs every intermediate link to exist and be a group, so walk the path.
  std::size_t end = name.find('/', 1);
  while (true) {
    const std::string prefix = name.substr(0, end);
    if (prefix == "/") return true;
    if (!w.yes(H5Lexists(id(), prefix.c_str(), H5P_DEFAULT), what)) return false;
    if (end == std::string::npos) return true;
    const detail::Handle o = w.own(H5Oopen(id(), prefix.c_str(), H5P_DEFAULT), H5Oclose, what);
    const H5I_type_t kind = H5Iget_type(o.id());
    if (kind == H5I_BADID) w.fail(what);
    if (kind != H5I_GROUP) return false;
    end = name.find('/', end + 1);
  }
}

void Location::remove(const std::string& name) {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  if (!exists(name)) w.refuse("remove: no such object");
  w.ok(H5Ldelete(id(), name.c_str(), H5P_DEFAULT), "remove");
}

namespace {

// Creates a dataset of the given shape and writes it from memory in one call.
detail::Handle create_dataset(const Where& w, hid_t parent, const std::string& name,
                              const std::vector<hsize_t>& dims, hid_t file_t, hid_t memory_t,
                              const void* data) {
  const std::string what = "write dataset";
  std::size_t count = 1;
  for (const hsize_t d : dims) count *= static_cast<std::size_t>(d);
  if (count > 0 && data == nullptr) w.refuse(what + ": no data given");
  const detail::Handle space =
      w.own(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, what);
  const detail::Handle lcpl = intermediate_groups_plist(w);
  const detail::Handle dcpl = w.own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
  set_object_creation(w, dcpl.id());
  detail::Handle d =
      w.own(H5Dcreate2(parent, name.c_str(), file_t, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT), H5Dclose, what);
  // HDF5 rejects a null buffer even for zero elements.
  if (count > 0) w.ok(H5Dwrite(d.id(), memory_t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), what);
  return d;
}

}  // namespace

Dataset Location::write_vector(const std::string& name, const double* data, std::size_t size) {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  return Dataset(create_dataset(w, id(), name, {size}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data), file_path_, w.object);
}

Dataset Location::write_vector(const std::string& name, const float* data, std::size_t size) {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  return Dataset(create_dataset(w, id(), name, {size}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, data), file_path_, w.object);
}

Dataset Location::write_vector(const std::string& name, const int* data, std::size_t size) {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  return Dataset(create_dataset(w, id(), name, {size}, H5T_STD_I32LE, H5T_NATIVE_INT, data), file_path_, w.object);
}

Dataset Location::write_matrix(const std::string& name, const double* data, std::size_t rows, std::size_t cols) {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  return Dataset(create_dataset(w, id(), name, {rows, cols}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data), file_path_,
                 w.object);
}

Dataset Location::write_matrix(const std::string& name, const float* data, std::size_t rows, std::size_t cols) {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  return Dataset(create_dataset(w, id(), name, {rows, cols}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, data), file_path_,
                 w.object);
}

Dataset Location::write_table(const std::string& name, const std::vector<Field>& fields, std::size_t row_size,
                              const void* rows, std::size_t count) {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  check_fields(w, fields, row_size);
  const detail::Handle file_t = compound_type(w, fields, row_size, true);
  const detail::Handle memory_t = compound_type(w, fields, row_size, false);
  return Dataset(create_dataset(w, id(), name, {count}, file_t.id(), memory_t.id(), rows), file_path_, w.object);
}

Dataset Location::create_table(const std::string& name, const std::vector<Field>& fields, std::size_t row_size,
                               std::size_t chunk_rows) {
  ensure_silenced();
  const Where w{file_path_, child_path(name)};
  const std::string what = "create table";
  check_fields(w, fields, row_size);
  if (chunk_rows == 0) w.refuse(what + ": chunk_rows must be at least 1");
  const detail::Handle file_t = compound_type(w, fields, row_size, true);
  const hsize_t empty = 0;
  const hsize_t unlimited = H5S_UNLIMITED;
  const hsize_t chunk = chunk_rows;
  const detail::Handle space = w.own(H5Screate_simple(1, &empty, &unlimited), H5Sclose, what);
  const detail::Handle lcpl = intermediate_groups_plist(w);
  const detail::Handle dcpl = w.own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
  set_object_creation(w, dcpl.id());
  w.ok(H5Pset_chunk(dcpl.id(), 1, &chunk), what);
  detail::Handle d = w.own(H5Dcreate2(id(), name.c_str(), file_t.id(), space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
                           H5Dclose, what);
  return Dataset(std::move(d), file_path_, w.object);
}

void Location::append_rows(const std::string& name, const std::vector<Field>& fields, std::size_t row_size,
                           const void* rows, std::size_t count) {
  open_dataset(name).append_rows(fields, row_size, rows, count);
}

std::size_t Location::row_count(const std::string& name) const { return open_dataset(name).vector_length(); }

namespace {

// H5Literate's callback; the link-info type differs between HDF5 1.10 and 1.12.
template <class LinkInfo>
herr_t collect_link_name(hid_t, const char* name, const LinkInfo*, void* data) noexcept {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

}  // namespace

std::vector<std::string> Location::child_names() const {
  ensure_silenced();
  std::vector<std::string> names;
  hsize_t next = 0;
#if H5_VERSION_GE(1, 12, 0)
  const herr_t rc = H5Literate2(id(), H5_INDEX_NAME, H5_ITER_INC, &next, collect_link_name<H5L_info2_t>, &names);
#else
  const herr_t rc = H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &next, collect_link_name<H5L_info_t>, &names);
#endif
  Where{file_path_, path_}.ok(rc, "list members");
  return names;
}

void Location::check_contiguous(const std::string& name, bool rows_packed, bool cols_packed) const {
  if (!rows_packed || !cols_packed)
    Where{file_path_, child_path(name)}.refuse(
        "write matrix: the matrix is a strided view; copy it into a plain row-major matrix first");
}

// ---- Dataset ----

std::vector<std::size_t> Dataset::dims() const {
  ensure_silenced();
  const Where w{file_path_, path_};
  const std::string what = "read shape";
  const detail::Handle space = w.own(H5Dget_space(id()), H5Sclose, what);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) w.fail(what);
  std::vector<hsize_t> raw(static_cast<std::size_t>(rank));
  if (H5Sget_simple_extent_dims(space.id(), raw.data(), nullptr) < 0) w.fail(what);
  return std::vector<std::size_t>(raw.begin(), raw.end());
}

Type Dataset::element_type() const {
  ensure_silenced();
  const Where w{file_path_, path_};
  const std::string what = "read element type";
  const detail::Handle type = w.own(H5Dget_type(id()), H5Tclose, what);
  const H5T_class_t c = H5Tget_class(type.id());
  if (c == H5T_NO_CLASS) w.fail(what);
  const std::size_t size = H5Tget_size(type.id());
  if (size == 0) w.fail(what);
  if (c == H5T_STRING) return Type::string;
  if (c == H5T_COMPOUND) return Type::compound;
  if (c == H5T_FLOAT && size == 4) return Type::float32;
  if (c == H5T_FLOAT && size == 8) return Type::float64;
  if (c == H5T_INTEGER) {
    const H5T_sign_t sign = H5Tget_sign(type.id());
    if (sign == H5T_SGN_ERROR) w.fail(what);
    if (sign == H5T_SGN_2 && size == 1) return Type::int8;
    if (sign == H5T_SGN_2 && size == 4) return Type::int32;
    if (sign == H5T_SGN_2 && size == 8) return Type::int64;
    if (sign == H5T_SGN_NONE && size == 8) return Type::uint64;
  }
  w.refuse(what + ": " + class_name(c) + " type of " + std::to_string(size) + " bytes is not supported");
}

std::size_t Dataset::vector_length() const {
  const std::vector<std::size_t> d = dims();
  if (d.size() != 1)
    Where{file_path_, path_}.refuse("expected a 1-D dataset, found " + std::to_string(d.size()) + "-D");
  return d[0];
}

std::pair<std::size_t, std::size_t> Dataset::matrix_shape() const {
  const std::vector<std::size_t> d = dims();
  if (d.size() != 2)
    Where{file_path_, path_}.refuse("expected a 2-D dataset, found " + std::to_string(d.size()) + "-D");
  return {d[0], d[1]};
}

void Dataset::read(double* out, std::size_t count) const { read_numbers(Type::float64, out, count); }
void Dataset::read(float* out, std::size_t count) const { read_numbers(Type::float32, out, count); }
void Dataset::read(int* out, std::size_t count) const { read_numbers(Type::int32, out, count); }

void Dataset::read_numbers(Type memory_t, void* out, std::size_t count) const {
  ensure_silenced();
  const Where w{file_path_, path_};
  const std::string what = std::string("read as ") + to_string(memory_t);
  std::size_t stored = 1;
  for (const std::size_t d : dims()) stored *= d;
  if (stored != count)
    w.refuse(what + ": it holds " + std::to_string(stored) + " values, expected " + std::to_string(count));
  const detail::Handle type = w.own(H5Dget_type(id()), H5Tclose, what);
  const H5T_class_t c = H5Tget_class(type.id());
  if (c == H5T_NO_CLASS) w.fail(what);
  // Floats never silently become integers; integers may become floats.
  const bool integer_target = memory_t == Type::int32;
  if (c != H5T_INTEGER && (integer_target || c != H5T_FLOAT))
    w.refuse(what + ": it holds " + class_name(c) + " type");
  if (count == 0) return;
  const detail::Handle dxpl = strict_transfer_plist(w);
  w.ok(H5Dread(id(), memory_type(memory_t), H5S_ALL, H5S_ALL, dxpl.id(), out), what);
}

void Dataset::read_table(const std::vector<Field>& fields, std::size_t row_size, void* rows, std::size_t count) const {
  ensure_silenced();
  const Where w{file_path_, path_};
  const std::string what = "read table";
  check_fields(w, fields, row_size);
  const std::size_t stored = vector_length();
  if (stored != count)
    w.refuse(what + ": it holds " + std::to_string(stored) + " rows, expected " + std::to_string(count));
  const detail::Handle file_t = w.own(H5Dget_type(id()), H5Tclose, what);
  check_columns(w, file_t.id(), fields, what, false);
  if (count == 0) return;
  const detail::Handle memory_t = compound_type(w, fields, row_size, false);
  const detail::Handle dxpl = strict_transfer_plist(w);
  w.ok(H5Dread(id(), memory_t.id(), H5S_ALL, H5S_ALL, dxpl.id(), rows), what);
}

bool Dataset::has_column(const std::string& name) const {
  ensure_silenced();
  const Where w{file_path_, path_};
  const detail::Handle file_t = w.own(H5Dget_type(id()), H5Tclose, "read column names");
  if (H5Tget_class(file_t.id()) != H5T_COMPOUND) w.refuse("read column names: not a table");
  return H5Tget_member_index(file_t.id(), name.c_str()) >= 0;
}

void Dataset::append_rows(const std::vector<Field>& fields, std::size_t row_size, const void* rows, std::size_t count) {
  ensure_silenced();
  const Where w{file_path_, path_};
  const std::string what = "append rows";
  check_fields(w, fields, row_size);
  const detail::Handle file_t = w.own(H5Dget_type(id()), H5Tclose, what);
  check_columns(w, file_t.id(), fields, what, true);
  hsize_t size = 0;
  hsize_t max_size = 0;
  {
    const detail::Handle space = w.own(H5Dget_space(id()), H5Sclose, what);
    const int rank = H5Sget_simple_extent_ndims(space.id());
    if (rank < 0) w.fail(what);
    if (rank != 1) w.refuse(what + ": expected a 1-D table, found " + std::to_string(rank) + "-D");
    if (H5Sget_simple_extent_dims(space.id(), &size, &max_size) < 0) w.fail(what);
  }
  if (max_size != H5S_UNLIMITED) w.refuse(what + ": the table has a fixed size; make it with create_table to append");
  if (count == 0) return;
  if (rows == nullptr) w.refuse(what + ": no data given");
  const hsize_t added = count;
  const hsize_t grown = size + added;
  w.ok(H5Dset_extent(id(), &grown), what);
  const detail::Handle file_space = w.own(H5Dget_space(id()), H5Sclose, what);
  w.ok(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, &size, nullptr, &added, nullptr), what);
  const detail::Handle memory_space = w.own(H5Screate_simple(1, &added, nullptr), H5Sclose, what);
  const detail::Handle memory_t = compound_type(w, fields, row_size, false);
  const detail::Handle dxpl = strict_transfer_plist(w);
  w.ok(H5Dwrite(id(), memory_t.id(), memory_space.id(), file_space.id(), dxpl.id(), rows), what);
}

// ---- File ----

namespace {

void check_openable(const std::filesystem::path& path, const std::string& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw error_at(file, "cannot open: no such file");
  if (std::filesystem::is_directory(status)) throw error_at(file, "cannot open: it is a directory");
}

}  // namespace

File File::create(const std::filesystem::path& path) {
  ensure_silenced();
  const Where w{path.string(), "/"};
  const detail::Handle fapl = file_access_plist(w);
  return open_with(path, fapl.id(), Mode::create);
}

File File::open_read(const std::filesystem::path& path) {
  ensure_silenced();
  const Where w{path.string(), "/"};
  const detail::Handle fapl = file_access_plist(w);
  return open_with(path, fapl.id(), Mode::read_only);
}

File File::open_read_write(const std::filesystem::path& path) {
  ensure_silenced();
  const Where w{path.string(), "/"};
  const detail::Handle fapl = file_access_plist(w);
  return open_with(path, fapl.id(), Mode::read_write);
}

File File::open_with(const std::filesystem::path& path, hid fapl, Mode mode) {
  ensure_silenced();
  const std::string file = path.string();
  const Where w{file, "/"};
  if (mode == Mode::create) {
    const std::string what = "create file";
    const detail::Handle fcpl = w.own(H5Pcreate(H5P_FILE_CREATE), H5Pclose, what);
    set_object_creation(w, fcpl.id());
    detail::Handle f = w.own(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, fcpl.id(), fapl), H5Fclose, what);
    return File(std::move(f), file);
  }
  const bool read_only = mode == Mode::read_only;
  const std::string what = read_only ? "open for reading" : "open for writing";
  check_openable(path, file);
  const hid_t raw = H5Fopen(file.c_str(), read_only ? H5F_ACC_RDONLY : H5F_ACC_RDWR, fapl);
  if (raw < 0) {
    const std::string reason = innermost_error();
    // HDF5's own words ("unable to lock file, errno = 11 ...") do not say what to do. Only a lock
    // failure is about locking: a damaged file must not be reported as a busy one.
    const bool lock_failure = lowercase(reason).find("unable to lock file") != std::string::npos || reason.empty();
    const int lock_error = lock_failure ? reader_lock_error(file) : 0;
    if (lock_error != 0 && store::lock_held_elsewhere(lock_error))  // HDF5 writers lock readers out
      w.refuse(what + ": the file is locked: it is open for writing (by another process, or by a store "
                      "transaction in progress); retry once the writer has closed it" +
               (reason.empty() ? "" : " (HDF5: " + reason + ")"));
    // HDF5 goes on without a lock only where flock says ENOSYS; other file systems need its switch.
    if (lock_error != 0 && store::lock_unavailable(lock_error))
      w.refuse(what + ": the file system gives no file locks (" + errno_text(lock_error) +
               "); set HDF5_USE_FILE_LOCKING=FALSE to work without them (nothing then keeps two jobs off one store)");
    w.refuse(what + (reason.empty() ? "" : ": " + open_failure(reason)));
  }
  return File(detail::Handle(raw, H5Fclose), file);
}

void File::flush() {
  ensure_silenced();
  Where{file_path_, "/"}.ok(H5Fflush(id(), H5F_SCOPE_LOCAL), "flush");
}

void File::close() {
  if (!handle_.valid()) return;
  ensure_silenced();
  const Where w{file_path_, "/"};
  w.ok(H5Fflush(id(), H5F_SCOPE_LOCAL), "flush");
  // With HDF5's default (weak) close degree the file would silently stay open behind open objects.
  const ssize_t open = H5Fget_obj_count(id(), H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR);
  if (open < 0) w.fail("close");
  if (open > 0) w.refuse("close: " + std::to_string(open) + " object(s) of the file are still open");
  w.close(handle_, "close");
}

void File::close_all() {
  if (!handle_.valid()) return;
  ensure_silenced();
  const Where w{file_path_, "/"};
  const unsigned types = H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR;
  const ssize_t open = H5Fget_obj_count(id(), types);
  if (open < 0) w.fail("close");
  if (open > 0) {
    std::vector<hid_t> ids(static_cast<std::size_t>(open));
    const ssize_t listed = H5Fget_obj_ids(id(), types, ids.size(), ids.data());
    if (listed < 0) w.fail("close: list open objects");
    ids.resize(static_cast<std::size_t>(listed));
    for (const hid_t object : ids) {
      const H5I_type_t kind = H5Iget_type(object);
      if (kind == H5I_BADID) w.fail("close: open object");
      w.ok(kind == H5I_ATTR ? H5Aclose(object) : H5Oclose(object), "close an object left open");
    }
  }
  close();
}

}  // namespace khsweep::h5
