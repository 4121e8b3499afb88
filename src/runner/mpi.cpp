#include "khsweep/runner/mpi.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <thread>

#include "khsweep/core/error.hpp"
#include "khsweep/core/exit_codes.hpp"

namespace khsweep::mpi {

namespace {

static_assert(sizeof(MPI_Request) <= sizeof(std::int64_t), "MPI_Request must fit the integer handle");
static_assert(sizeof(MPI_Comm) <= sizeof(std::int64_t), "MPI_Comm must fit the integer handle");
static_assert(sizeof(MPI_Win) <= sizeof(std::int64_t), "MPI_Win must fit the integer handle");

template <class Handle>
Handle to_handle(std::int64_t stored) {
  Handle h;
  std::memcpy(&h, &stored, sizeof h);
  return h;
}

template <class Handle>
std::int64_t from_handle(Handle h) {
  std::int64_t stored = 0;
  std::memcpy(&stored, &h, sizeof h);
  return stored;
}

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string("MPI: ") + what + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}


}  // namespace

Environment::Environment() : exceptions_at_start_(std::uncaught_exceptions()) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) check(MPI_Init(nullptr, nullptr), "MPI_Init");
  // Return codes instead of aborting, so every failure can be reported with its context.
  check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
}

Environment::~Environment() {
  if (std::uncaught_exceptions() > exceptions_at_start_) abort(kExitInternal);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::string Environment::library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(length));
  while (!version.empty() && (version.back() == '\n' || version.back() == '\0')) version.pop_back();
  return version;
}

void Environment::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest if it did
}

PendingSend::PendingSend(std::vector<std::uint8_t> bytes, std::int64_t request)
    : bytes_(std::move(bytes)), request_(request) {}

PendingSend::PendingSend(PendingSend&& other) noexcept
    : bytes_(std::move(other.bytes_)), request_(other.request_) {
  other.request_ = from_handle(MPI_REQUEST_NULL);
}

PendingSend& PendingSend::operator=(PendingSend&& other) noexcept {
  if (this != &other) {
    complete();  // our own send must finish before its buffer is replaced
    bytes_ = std::move(other.bytes_);
    request_ = other.request_;
    other.request_ = from_handle(MPI_REQUEST_NULL);
  }
  return *this;
}

void PendingSend::complete() noexcept {
  MPI_Request r = to_handle<MPI_Request>(request_);
  if (r != MPI_REQUEST_NULL) MPI_Wait(&r, MPI_STATUS_IGNORE);
  request_ = from_handle(MPI_REQUEST_NULL);
}

PendingSend::~PendingSend() { complete(); }

bool PendingSend::done() {
  MPI_Request r = to_handle<MPI_Request>(request_);
  if (r == MPI_REQUEST_NULL) return true;
  int flag = 0;
  check(MPI_Test(&r, &flag, MPI_STATUS_IGNORE), "MPI_Test");
  request_ = from_handle(r);
  return flag != 0;
}

Communicator Communicator::world() {
  int rank = 0, size = 1;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  return Communicator(rank, size);
}

std::string Communicator::processor_name() const {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  check(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  return std::string(name, static_cast<std::size_t>(length));
}

void Communicator::send(int destination, int tag, const std::vector<std::uint8_t>& bytes) const {
  check(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, destination, tag, MPI_COMM_WORLD),
        "MPI_Send");
}

PendingSend Communicator::post(int destination, int tag, std::vector<std::uint8_t> bytes) const {
  MPI_Request r = MPI_REQUEST_NULL;
  check(MPI_Isend(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, destination, tag, MPI_COMM_WORLD, &r),
        "MPI_Isend");
  // The vector's heap buffer does not move when the vector is moved into PendingSend.
  return PendingSend(std::move(bytes), from_handle(r));
}

std::optional<Message> Communicator::try_receive(int source, int tag) const {
  int flag = 0;
  MPI_Status status;
  check(MPI_Iprobe(source < 0 ? MPI_ANY_SOURCE : source, tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &flag, &status),
        "MPI_Iprobe");
  if (!flag) return std::nullopt;
  int count = 0;
  check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  Message m;
  m.source = status.MPI_SOURCE;
  m.tag = status.MPI_TAG;
  m.bytes.resize(static_cast<std::size_t>(count));
  check(MPI_Recv(m.bytes.data(), count, MPI_BYTE, m.source, m.tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
  return m;
}

std::optional<Message> Communicator::receive(int source, int tag, std::chrono::milliseconds timeout,
                                             std::chrono::microseconds max_pause) const {
  // MPI_Recv would spin at 100% CPU in Open MPI; a probe-and-sleep loop costs almost nothing.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds pause(20);
  for (;;) {
    if (auto m = try_receive(source, tag)) return m;
    if (timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(max_pause, pause * 2);
  }
}

std::vector<std::string> Communicator::all_gather(const std::string& mine) const {
  const int length = static_cast<int>(mine.size());
  std::vector<int> lengths(static_cast<std::size_t>(size_));
  check(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
  std::vector<int> offsets(static_cast<std::size_t>(size_), 0);
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[r] = total;
    total += lengths[r];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  check(MPI_Allgatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
  std::vector<std::string> out;
  for (int r = 0; r < size_; ++r) out.push_back(all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r])));
  return out;
}

void Communicator::barrier() const { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

namespace {
// What frees each kind of handle Owned keeps.
void free_handle(CommunicatorTag*, std::int64_t handle) {
  MPI_Comm comm = to_handle<MPI_Comm>(handle);
  MPI_Comm_free(&comm);
}
void free_handle(WindowTag*, std::int64_t handle) {
  MPI_Win window = to_handle<MPI_Win>(handle);
  MPI_Win_free(&window);
}
}  // namespace

template <class Tag>
void Owned<Tag>::release() noexcept {
  if (!owned_) return;
  free_handle(static_cast<Tag*>(nullptr), handle_);
  owned_ = false;
}
template class Owned<CommunicatorTag>;
template class Owned<WindowTag>;

NodeMemory::NodeMemory() {
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  comm_ = OwnedCommunicator(from_handle(node));  // owned before anything below can throw
  check(MPI_Comm_set_errhandler(node, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check(MPI_Comm_rank(node, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(node, &size_), "MPI_Comm_size");
}

NodeMemory::~NodeMemory() {
  while (!windows_.empty()) windows_.pop_back();  // newest first, on every rank alike
}

std::vector<std::uint8_t> NodeMemory::broadcast(std::vector<std::uint8_t> bytes) const {
  const MPI_Comm node = to_handle<MPI_Comm>(comm_.get());
  std::uint64_t size = bytes.size();
  check(MPI_Bcast(&size, 1, MPI_UINT64_T, 0, node), "MPI_Bcast");
  bytes.resize(size);
  check(MPI_Bcast(bytes.data(), static_cast<int>(size), MPI_BYTE, 0, node), "MPI_Bcast");
  return bytes;
}

std::uint8_t* NodeMemory::allocate(std::size_t size) {
  const MPI_Comm node = to_handle<MPI_Comm>(comm_.get());
  void* mine = nullptr;
  MPI_Win window;
  // Only the leader's segment has a size; the others map it.
  check(MPI_Win_allocate_shared(static_cast<MPI_Aint>(rank_ == 0 ? size : 0), 1, MPI_INFO_NULL, node, &mine, &window),
        "MPI_Win_allocate_shared");
  windows_.emplace_back(from_handle(window));
  // Windows start with MPI_ERRORS_ARE_FATAL: return codes instead, so check() can say what failed.
  check(MPI_Win_set_errhandler(window, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
  MPI_Aint leader_size = 0;
  int unit = 1;
  void* leader = nullptr;
  check(MPI_Win_shared_query(window, 0, &leader_size, &unit, &leader), "MPI_Win_shared_query");
  check(MPI_Win_fence(0, window), "MPI_Win_fence");  // opens the epoch in which the leader writes
  return static_cast<std::uint8_t*>(leader);
}

void NodeMemory::synchronise() const {
  check(MPI_Win_fence(0, to_handle<MPI_Win>(windows_.back().get())), "MPI_Win_fence");
}

}  // namespace khsweep::mpi
