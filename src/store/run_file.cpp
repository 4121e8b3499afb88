#include "khsweep/store/run_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include "khsweep/core/atomic_file.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/run_layout.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "khsweep/store/transaction.hpp"
#include "khsweep/version.hpp"

namespace khsweep::store {

namespace fs = std::filesystem;

namespace {

constexpr std::array<const char*, 3> kReservedKeys = {"schema", "code_version", "hdf5_version"};

// Refuses what would make an unreadable file, before anything is created.
void check_content(const fs::path& path, const train::RunResult& result, const Provenance& provenance) {
  const std::string problem = shape_problem(result.params);
  if (!problem.empty()) throw error_at(path.string(), "cannot write run: " + problem);
  for (std::size_t i = 0; i < provenance.entries.size(); ++i) {
    const std::string& key = provenance.entries[i].first;
    if (key.empty()) throw error_at(path.string(), "cannot write run: a provenance entry has an empty key");
    for (const char* reserved : kReservedKeys)
      if (key == reserved)
        throw error_at(path.string(),
                       "cannot write run: provenance key '" + key + "' is reserved (the writer sets it)");
    for (std::size_t j = 0; j < i; ++j)
      if (provenance.entries[j].first == key)
        throw error_at(path.string(), "cannot write run: provenance key '" + key + "' appears twice");
  }
}

void write_contents(h5::File& file, const train::RunConfig& config, const train::RunResult& result,
                    const Provenance& provenance, train::Precision weights_precision) {
  file.write_attribute("schema", kRunSchema);
  file.write_attribute("code_version", code_version());
  file.write_attribute("hdf5_version", h5::library_version());
  for (const auto& [key, value] : provenance.entries) file.write_attribute(key, value);
  write_run(file, config, result, weights_precision);
}

}  // namespace

const std::string* Provenance::find(const std::string& key) const {
  for (const auto& entry : entries)
    if (entry.first == key) return &entry.second;
  return nullptr;
}

void check_writable(const fs::path& path) {
  if (path.empty()) throw Error("output file: the path is empty");
  const std::string where = path.string();
  if (!path.has_filename()) throw error_at(where, "cannot write: the path names a directory, not a file");
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  const fs::file_status dir_status = fs::status(dir, ec);
  if (dir_status.type() == fs::file_type::not_found)
    throw error_at(where, "cannot write: directory '" + dir.string() + "' does not exist");
  if (ec) throw error_at(where, "cannot write: cannot access directory '" + dir.string() + "': " + ec.message());
  if (!fs::is_directory(dir_status)) throw error_at(where, "cannot write: '" + dir.string() + "' is not a directory");
  if (fs::is_directory(fs::status(path, ec))) throw error_at(where, "cannot write: it is a directory");
  // Permission bits cannot tell (root, ACLs, read-only mounts); only creating a file can.
  fs::path probe = path;
  probe += ".probe-" + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int create_errno = errno;
    throw error_at(where, "cannot write: cannot create a file in '" + dir.string() +
                              "': " + std::generic_category().message(create_errno));
  }
  ::close(fd);
  if (::unlink(probe.c_str()) != 0) {
    const int unlink_errno = errno;
    throw error_at(where, "cannot write: cannot remove probe file '" + probe.string() +
                              "': " + std::generic_category().message(unlink_errno));
  }
}

void check_replaceable(const fs::path& path, bool force) {
  const std::string where = path.string();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw error_at(where, "cannot write: cannot inspect it: " + std::generic_category().message(errno));
  }
  const auto refuse = [&](const std::string& what) {
    throw error_at(where, "cannot write: it is " + what + "; khsweep train never replaces one (choose another --out)");
  };
  if (S_ISLNK(st.st_mode)) refuse("a symbolic link");
  if (S_ISDIR(st.st_mode)) refuse("a directory");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) refuse("a device node");
  if (S_ISFIFO(st.st_mode)) refuse("a FIFO");
  if (!S_ISREG(st.st_mode)) refuse("not a regular file");
  // A store being written may not open (HDF5 locks it); its journal or coordinator lock tells.
  if (has_journal(path) || !lock_holder(path).empty()) refuse("a khsweep sweep store in use");
  std::string schema;
  try {
    const h5::File file = h5::File::open_read(path);
    if (file.has_attribute("schema")) schema = file.attribute<std::string>("schema");
  } catch (const Error&) {
    schema = "";  // not HDF5, or unreadable: not a run file
  }
  if (schema == kRunSchema || schema == kRunSchemaV1) return;
  if (schema == kStoreSchema || schema == kStoreSchemaV1) refuse("a khsweep sweep store");
  if (!force)
    throw error_at(where, "cannot write: the file exists and is not a khsweep run file" +
                              (schema.empty() ? std::string() : " (schema '" + schema + "')") +
                              "; pass --force to replace it");
}

void write_run_file(const fs::path& path, const train::RunConfig& config, const train::RunResult& result,
                    const Provenance& provenance, train::Precision weights_precision) {
  check_writable(path);
  check_content(path, result, provenance);
  replace_file_atomically(path, "run file", [&](const fs::path& temporary) {
    h5::File file = h5::File::create(temporary);
    write_contents(file, config, result, provenance, weights_precision);
    file.close();
  });
}

StoredRun read_run_file(const fs::path& path) {
  const h5::File file = h5::File::open_read(path);
  const std::string where = path.string();
  StoredRun run;
  if (!file.has_attribute("schema"))
    throw error_at(where, std::string("not a khsweep run file (no 'schema' attribute, expected '") + kRunSchema + "')");
  run.schema = file.attribute<std::string>("schema");
  if (run.schema != kRunSchema && run.schema != kRunSchemaV1)
    throw error_at(where, "not a khsweep run file (schema '" + run.schema + "', expected '" + kRunSchema + "')");
  for (const std::string& name : file.attribute_names())
    if (name != "schema") run.provenance.entries.emplace_back(name, file.attribute<std::string>(name));

  RunRecord record = read_run(file);
  run.config = std::move(record.config);
  run.result = std::move(record.result);
  return run;
}

}  // namespace khsweep::store
