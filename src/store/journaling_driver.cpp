#include "journaling_driver.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hdf5_file_locking.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/store/file_locks.hpp"

namespace khsweep::store {

namespace {

// ---- open transactions by key ----

struct Registry {
  std::mutex mutex;
  std::map<std::uint64_t, std::shared_ptr<OpenJournal>> journals;
  std::uint64_t next_key = 1;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::shared_ptr<OpenJournal> find_journal(std::uint64_t key) {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.journals.find(key);
  return it == r.journals.end() ? nullptr : it->second;
}

}  // namespace

std::uint64_t register_journal(std::shared_ptr<OpenJournal> journal) {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const std::uint64_t key = r.next_key++;
  r.journals.emplace(key, std::move(journal));
  return key;
}

void unregister_journal(std::uint64_t key) noexcept {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  r.journals.erase(key);
}

namespace {

// ---- the driver ----
// Behaves like HDF5's sec2 driver (pread/pwrite on one descriptor), plus the journal in write()
// and truncate(). Callbacks are C frames: nothing may throw out of them; failures go on HDF5's
// error stack, where the h5 layer picks the innermost message up.

// Writes over original bytes, held back so that one journal sync covers many of them: HDF5 writes
// its metadata piece by piece, and a sync per piece would make a commit several times slower.
// Segments are disjoint and never adjacent.
class PendingWrites {
 public:
  [[nodiscard]] bool empty() const { return segments_.empty(); }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }

  void add(std::uint64_t offset, const unsigned char* data, std::size_t size) {
    if (size == 0) return;
    std::uint64_t lo = offset;
    std::uint64_t hi = offset + size;
    // Every segment that overlaps or touches [lo, hi) merges into one.
    auto first = segments_.upper_bound(lo);
    if (first != segments_.begin() && end_of(*std::prev(first)) >= lo) --first;
    auto last = first;
    while (last != segments_.end() && last->first <= hi) {
      lo = std::min(lo, last->first);
      hi = std::max(hi, end_of(*last));
      ++last;
    }
    std::vector<unsigned char> merged(static_cast<std::size_t>(hi - lo));
    for (auto it = first; it != last; ++it) {
      std::memcpy(merged.data() + (it->first - lo), it->second.data(), it->second.size());
      bytes_ -= it->second.size();
    }
    std::memcpy(merged.data() + (offset - lo), data, size);
    segments_.erase(first, last);
    bytes_ += merged.size();
    segments_.emplace(lo, std::move(merged));
  }

  // Lays the held-back bytes over `out`, which was read from the file at `offset`.
  void overlay(std::uint64_t offset, unsigned char* out, std::size_t size) const {
    const std::uint64_t stop = offset + size;
    auto it = segments_.upper_bound(offset);
    if (it != segments_.begin()) --it;
    for (; it != segments_.end() && it->first < stop; ++it) {
      const std::uint64_t lo = std::max(offset, it->first);
      const std::uint64_t hi = std::min(stop, end_of(*it));
      if (lo < hi)
        std::memcpy(out + (lo - offset), it->second.data() + (lo - it->first), static_cast<std::size_t>(hi - lo));
    }
  }

  [[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges() const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> r;
    for (const auto& segment : segments_) r.emplace_back(segment.first, end_of(segment));
    return r;
  }

  [[nodiscard]] const std::map<std::uint64_t, std::vector<unsigned char>>& segments() const { return segments_; }

  void clear() {
    segments_.clear();
    bytes_ = 0;
  }

 private:
  static std::uint64_t end_of(const std::pair<const std::uint64_t, std::vector<unsigned char>>& segment) {
    return segment.first + segment.second.size();
  }

  std::map<std::uint64_t, std::vector<unsigned char>> segments_;  // offset -> bytes
  std::size_t bytes_ = 0;
};

// Beyond this many held-back bytes, write them out rather than hold more.
constexpr std::size_t kMaxPendingBytes = std::size_t{8} << 20;

// The driver's file-access property ("driver info"): which open transaction the file belongs to.
struct DriverConfig {
  std::uint64_t key = 0;
};

struct DriverState {
  int fd = -1;
  dev_t device = 0;
  ino_t inode = 0;
  haddr_t eoa = 0;
  haddr_t eof = 0;
  bool ignore_disabled_locks = false;
  DriverConfig config;
  std::shared_ptr<OpenJournal> journal;
  PendingWrites pending;  // writes below the original length, not yet in the file
};

// HDF5 allocates nothing here: open() returns this, and HDF5 treats its first member as the file.
struct DriverFile {
  H5FD_t pub;
  DriverState* state;
};

constexpr haddr_t kMaxAddr = (haddr_t{1} << (8 * sizeof(off_t) - 1)) - 1;

void push_error(const char* func, hid_t major, hid_t minor, const std::string& message) noexcept {
  H5Epush2(H5E_DEFAULT, __FILE__, func, __LINE__, H5E_ERR_CLS, major, minor, "%s", message.c_str());
}

DriverState& state_of(const H5FD_t* file) { return *reinterpret_cast<const DriverFile*>(file)->state; }

bool region_invalid(haddr_t addr, std::size_t size, haddr_t eoa) {
  return addr == HADDR_UNDEF || addr > kMaxAddr || size > kMaxAddr - addr || addr + size > eoa;
}

// Saves the old bytes under the held-back writes to the journal (one sync), then writes them.
// Empty on success, else what went wrong.
std::string write_pending(DriverState& s) noexcept {
  if (s.pending.empty()) return {};
  if (s.journal->discard_writes) {
    s.pending.clear();
    return {};
  }
  std::string problem = s.journal->save_original(s.fd, s.pending.ranges());
  if (!problem.empty()) return problem;
  for (const auto& [offset, bytes] : s.pending.segments()) {
    if (const int e = pwrite_fully(s.fd, bytes.data(), bytes.size(), offset))
      return "journaling driver: write failed: " + errno_text(e);
  }
  s.pending.clear();
  return {};
}

void* driver_fapl_copy(const void* info) noexcept {
  auto* copy = static_cast<DriverConfig*>(std::malloc(sizeof(DriverConfig)));
  if (copy != nullptr) std::memcpy(copy, info, sizeof(DriverConfig));
  return copy;
}

herr_t driver_fapl_free(void* info) noexcept {
  std::free(info);
  return 0;
}

void* driver_fapl_get(H5FD_t* file) noexcept { return driver_fapl_copy(&state_of(file).config); }

H5FD_t* driver_open(const char* name, unsigned flags, hid_t fapl, haddr_t maxaddr) noexcept {
  static const char* const func = "khsweep_journal_open";
  try {
    if (name == nullptr || *name == '\0') {
      push_error(func, H5E_ARGS, H5E_BADVALUE, "journaling driver: no file name");
      return nullptr;
    }
    if (maxaddr == 0 || maxaddr > kMaxAddr) {
      push_error(func, H5E_ARGS, H5E_BADRANGE, "journaling driver: bad maximum address");
      return nullptr;
    }
    const auto* config = static_cast<const DriverConfig*>(H5Pget_driver_info(fapl));
    std::shared_ptr<OpenJournal> journal = config == nullptr ? nullptr : find_journal(config->key);
    if (!journal || !journal->active) {
      push_error(func, H5E_VFL, H5E_CANTOPENFILE,
                 std::string(name) + ": the journaling driver opens files only inside a store::Transaction");
      return nullptr;
    }
    struct stat named {};
    struct stat held {};
    if (::stat(name, &named) != 0 || ::fstat(journal->store.get(), &held) != 0 || named.st_dev != held.st_dev ||
        named.st_ino != held.st_ino) {
      push_error(func, H5E_VFL, H5E_CANTOPENFILE,
                 std::string(name) + " is not the file of the transaction (" + journal->store_path.string() + ")");
      return nullptr;
    }
    // A dup shares the open file description, hence the transaction's flock.
    FileDescriptor fd(::fcntl(journal->store.get(), F_DUPFD_CLOEXEC, 0));
    if (!fd.valid()) {
      push_error(func, H5E_FILE, H5E_CANTOPENFILE,
                 std::string(name) + ": cannot duplicate the descriptor: " + errno_text(errno));
      return nullptr;
    }
    if ((flags & H5F_ACC_TRUNC) != 0) {
      // Truncating would destroy bytes the journal has not saved; begin() creates only empty files.
      if (journal->header.original_length > 0) {
        push_error(func, H5E_FILE, H5E_CANTOPENFILE,
                   std::string(name) + ": refusing to truncate a file inside a transaction");
        return nullptr;
      }
      if (::ftruncate(fd.get(), 0) != 0) {
        push_error(func, H5E_FILE, H5E_CANTOPENFILE, std::string(name) + ": cannot truncate: " + errno_text(errno));
        return nullptr;
      }
    }
    if (::fstat(fd.get(), &held) != 0) {
      push_error(func, H5E_FILE, H5E_BADFILE, std::string(name) + ": cannot stat: " + errno_text(errno));
      return nullptr;
    }
    auto state = std::make_unique<DriverState>();
    state->device = held.st_dev;
    state->inode = held.st_ino;
    state->eof = static_cast<haddr_t>(held.st_size);
    state->config = *config;
    state->journal = std::move(journal);
#if KHSWEEP_HDF5_HAS_FILE_LOCKING_PROPERTY
    hbool_t use_locks = true;
    hbool_t ignore_disabled = false;
    if (H5Pget_file_locking(fapl, &use_locks, &ignore_disabled) >= 0) state->ignore_disabled_locks = ignore_disabled;
#endif
    auto file = std::make_unique<DriverFile>();
    std::memset(&file->pub, 0, sizeof file->pub);
    state->fd = fd.release();  // closed by driver_close
    file->state = state.release();
    return &file.release()->pub;
  } catch (const std::exception& e) {
    push_error(func, H5E_VFL, H5E_CANTOPENFILE, std::string("journaling driver: ") + e.what());
    return nullptr;
  }
}

herr_t driver_close(H5FD_t* file) noexcept {
  auto* f = reinterpret_cast<DriverFile*>(file);
  const std::string problem = write_pending(*f->state);
  const int rc = ::close(f->state->fd);
  const int e = errno;
  delete f->state;
  delete f;
  if (!problem.empty()) {
    push_error("khsweep_journal_close", H5E_IO, H5E_WRITEERROR, problem);
    return -1;
  }
  if (rc != 0) {
    push_error("khsweep_journal_close", H5E_IO, H5E_CANTCLOSEFILE, "journaling driver: close failed: " + errno_text(e));
    return -1;
  }
  return 0;
}

int driver_cmp(const H5FD_t* a, const H5FD_t* b) noexcept {
  const DriverState& x = state_of(a);
  const DriverState& y = state_of(b);
  if (x.device != y.device) return x.device < y.device ? -1 : 1;
  if (x.inode != y.inode) return x.inode < y.inode ? -1 : 1;
  return 0;
}

herr_t driver_query(const H5FD_t*, unsigned long* flags) noexcept {
  if (flags != nullptr) {
    // What sec2 allows, minus SWMR and the POSIX-compatible handle (nothing may write around the
    // journal). Aggregation, the metadata accumulator and sieving only batch writes differently.
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
  }
  return 0;
}

haddr_t driver_get_eoa(const H5FD_t* file, H5FD_mem_t) noexcept { return state_of(file).eoa; }

herr_t driver_set_eoa(H5FD_t* file, H5FD_mem_t, haddr_t addr) noexcept {
  if (addr > kMaxAddr) {
    push_error("khsweep_journal_set_eoa", H5E_ARGS, H5E_OVERFLOW, "journaling driver: address overflow");
    return -1;
  }
  state_of(file).eoa = addr;
  return 0;
}

haddr_t driver_get_eof(const H5FD_t* file, H5FD_mem_t) noexcept { return state_of(file).eof; }

herr_t driver_get_handle(H5FD_t* file, hid_t, void** handle) noexcept {
  if (handle == nullptr) {
    push_error("khsweep_journal_get_handle", H5E_ARGS, H5E_BADVALUE, "journaling driver: no handle pointer");
    return -1;
  }
  *handle = &state_of(file).fd;
  return 0;
}

herr_t driver_read(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, void* buffer) noexcept {
  DriverState& s = state_of(file);
  if (region_invalid(addr, size, s.eoa)) {
    push_error("khsweep_journal_read", H5E_ARGS, H5E_OVERFLOW, "journaling driver: read beyond the end of allocation");
    return -1;
  }
  auto* out = static_cast<unsigned char*>(buffer);
  const ssize_t n = pread_fully(s.fd, out, size, addr);
  if (n < 0) {
    push_error("khsweep_journal_read", H5E_IO, H5E_READERROR,
               "journaling driver: read failed: " + errno_text(static_cast<int>(-n)));
    return -1;
  }
  // Allocated but never written: zeros, as sec2 gives.
  std::memset(out + n, 0, size - static_cast<std::size_t>(n));
  s.pending.overlay(addr, out, size);
  return 0;
}

herr_t driver_write(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, const void* buffer) noexcept {
  static const char* const func = "khsweep_journal_write";
  DriverState& s = state_of(file);
  if (region_invalid(addr, size, s.eoa)) {
    push_error(func, H5E_ARGS, H5E_OVERFLOW, "journaling driver: write beyond the end of allocation");
    return -1;
  }
  if (s.journal->discard_writes) return 0;
  try {
    const auto* data = static_cast<const unsigned char*>(buffer);
    // Below the original length: held back until a flush, so one journal sync covers many writes.
    // At or beyond it: written now; a rollback cuts it off.
    const std::uint64_t original = s.journal->header.original_length;
    const std::size_t held =
        addr < original ? static_cast<std::size_t>(std::min<std::uint64_t>(size, original - addr)) : 0;
    s.pending.add(addr, data, held);
    if (const int e = pwrite_fully(s.fd, data + held, size - held, addr + held)) {
      push_error(func, H5E_IO, H5E_WRITEERROR, "journaling driver: write failed: " + errno_text(e));
      return -1;
    }
  } catch (const std::exception& e) {
    push_error(func, H5E_IO, H5E_WRITEERROR, std::string("journaling driver: ") + e.what());
    return -1;
  }
  s.eof = std::max<haddr_t>(s.eof, addr + size);
  if (s.pending.bytes() > kMaxPendingBytes) {
    const std::string problem = write_pending(s);
    if (!problem.empty()) {
      push_error(func, H5E_IO, H5E_WRITEERROR, problem);
      return -1;
    }
  }
  return 0;
}

herr_t driver_flush(H5FD_t* file, hid_t, hbool_t) noexcept {
  const std::string problem = write_pending(state_of(file));
  if (problem.empty()) return 0;
  push_error("khsweep_journal_flush", H5E_IO, H5E_WRITEERROR, problem);
  return -1;
}

herr_t driver_truncate(H5FD_t* file, hid_t, hbool_t) noexcept {
  static const char* const func = "khsweep_journal_truncate";
  DriverState& s = state_of(file);
  if (s.eoa == s.eof || s.journal->discard_writes) return 0;
  // Cutting below the original length destroys original bytes: save them first.
  std::string problem = write_pending(s);
  if (problem.empty()) problem = s.journal->save_original(s.fd, {{s.eoa, s.eof}});
  if (!problem.empty()) {
    push_error(func, H5E_IO, H5E_SEEKERROR, problem);
    return -1;
  }
  if (::ftruncate(s.fd, static_cast<off_t>(s.eoa)) != 0) {
    push_error(func, H5E_IO, H5E_SEEKERROR, "journaling driver: cannot truncate: " + errno_text(errno));
    return -1;
  }
  s.eof = s.eoa;
  return 0;
}

herr_t driver_lock(H5FD_t* file, hbool_t) noexcept {
  // Always exclusive: a journaled file is open for writing. The descriptor shares the
  // transaction's open file description, which already holds this lock.
  const DriverState& s = state_of(file);
  if (::flock(s.fd, LOCK_EX | LOCK_NB) == 0) return 0;
  const int e = errno;
  if (lock_unavailable(e) && s.ignore_disabled_locks) return 0;
  push_error("khsweep_journal_lock", H5E_FILE, H5E_CANTLOCKFILE,
             "journaling driver: unable to lock the file: " + errno_text(e));
  return -1;
}

herr_t driver_unlock(H5FD_t*) noexcept {
  // The transaction releases the lock itself once its journal is gone: until then a rollback may
  // still write to the file, so no reader may open it.
  return 0;
}

// The class is filled member by member over zeroes, not by a positional initializer, as the struct
// changes between releases. 1.10 and 1.12 share one layout. 1.14 adds `version` and `value` at the
// front, read_vector, write_vector, read_selection and write_selection after write, and del and
// ctl after unlock; left null, those make HDF5 fall back to read and write, and refuse H5Fdelete
// and any ctl operation it must not ignore. Built and tested with 1.10 only; the 1.14 lines follow
// its H5FDdevelop.h.
H5FD_class_t make_driver_class() {
  H5FD_class_t c;
  std::memset(&c, 0, sizeof c);
#if H5_VERSION_GE(1, 14, 0)
  // H5FDregister refuses any version but its own. Values 0-255 are HDF5's drivers (sec2 is 0), and
  // 256-511 are left for drivers not registered with The HDF Group, as this private one is.
  c.version = H5FD_CLASS_VERSION;
  c.value = 0x1d5;
#endif
  c.name = "khsweep_journal";
  c.maxaddr = kMaxAddr;
  c.fc_degree = H5F_CLOSE_WEAK;
  c.fapl_size = sizeof(DriverConfig);
  c.fapl_get = driver_fapl_get;
  c.fapl_copy = driver_fapl_copy;
  c.fapl_free = driver_fapl_free;
  c.open = driver_open;
  c.close = driver_close;
  c.cmp = driver_cmp;
  c.query = driver_query;
  c.get_eoa = driver_get_eoa;
  c.set_eoa = driver_set_eoa;
  c.get_eof = driver_get_eof;
  c.get_handle = driver_get_handle;
  c.read = driver_read;
  c.write = driver_write;
  c.flush = driver_flush;
  c.truncate = driver_truncate;
  c.lock = driver_lock;
  c.unlock = driver_unlock;
  const H5FD_mem_t map[] = H5FD_FLMAP_DICHOTOMY;
  std::copy(std::begin(map), std::end(map), c.fl_map);
  return c;
}

}  // namespace

hid_t journaling_driver() {
  static std::mutex mutex;
  static const H5FD_class_t driver_class = make_driver_class();
  static hid_t id = H5I_INVALID_HID;
  const std::lock_guard<std::mutex> lock(mutex);
  if (id < 0 || H5Iis_valid(id) <= 0) id = H5FDregister(&driver_class);
  return id;
}

bool set_journaling_driver(hid_t fapl, hid_t driver, std::uint64_t key) {
  const DriverConfig config{key};
  bool ok = H5Pset_driver(fapl, driver, &config) >= 0;
#if KHSWEEP_HDF5_HAS_FILE_LOCKING_PROPERTY
  ok = ok && H5Pset_file_locking(fapl, true, true) >= 0;
#endif
  return ok;
}

}  // namespace khsweep::store
