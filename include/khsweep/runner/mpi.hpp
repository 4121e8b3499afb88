#pragma once
// A thin layer over the MPI C API: the process environment, the world communicator, and byte
// messages. mpi.h stays in mpi.cpp. Every call is checked (MPI_ERRORS_RETURN on the world
// communicator) and a failure becomes khsweep::Error.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace khsweep::mpi {

// MPI for the lifetime of this object: MPI_Init on construction, MPI_Finalize on destruction.
// Works without mpirun too (a singleton world of one rank). Destroyed while an exception unwinds,
// it aborts the job instead: the other ranks would otherwise wait for this one forever.
class Environment {
 public:
  Environment();
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  [[nodiscard]] static std::string library_version();
  // Ends every rank of the job at once: for failures after which the job cannot go on.
  [[noreturn]] static void abort(int code);

 private:
  int exceptions_at_start_;  // std::uncaught_exceptions() when MPI started
};

// The owner of one MPI object this process created (a communicator or a window, stored as an
// integer handle so mpi.h stays in mpi.cpp): freed exactly once, when the owner goes.
template <class Tag>
class Owned {
 public:
  Owned() = default;
  explicit Owned(std::int64_t handle) : handle_(handle), owned_(true) {}
  Owned(Owned&& other) noexcept : handle_(other.handle_), owned_(other.owned_) { other.owned_ = false; }
  Owned& operator=(Owned&& other) noexcept {
    if (this != &other) {
      release();
      handle_ = other.handle_;
      owned_ = other.owned_;
      other.owned_ = false;
    }
    return *this;
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() { release(); }

  [[nodiscard]] std::int64_t get() const { return handle_; }

 private:
  void release() noexcept;  // MPI_Comm_free or MPI_Win_free
  std::int64_t handle_ = 0;
  bool owned_ = false;
};
struct CommunicatorTag;
struct WindowTag;
using OwnedCommunicator = Owned<CommunicatorTag>;
using OwnedWindow = Owned<WindowTag>;

// A received message: who sent it, its tag, and its bytes.
struct Message {
  int source = -1;
  int tag = -1;
  std::vector<std::uint8_t> bytes;
};

// An outgoing message in flight: its buffer lives until the send completes.
class PendingSend {
 public:
  PendingSend(std::vector<std::uint8_t> bytes, std::int64_t request);
  PendingSend(PendingSend&&) noexcept;
  PendingSend& operator=(PendingSend&&) noexcept;
  ~PendingSend();  // waits for completion: a buffer must never be freed under MPI

  [[nodiscard]] bool done();  // completes it when it can, without waiting

 private:
  void complete() noexcept;
  std::vector<std::uint8_t> bytes_;
  std::int64_t request_;  // MPI_Request stored as an integer handle
};

// MPI_COMM_WORLD: ranks, and point-to-point byte messages.
class Communicator {
 public:
  static Communicator world();

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  [[nodiscard]] std::string processor_name() const;

  // Blocking send: returns when `bytes` may be reused.
  void send(int destination, int tag, const std::vector<std::uint8_t>& bytes) const;
  // Non-blocking send: keep the PendingSend until done() or destruction.
  [[nodiscard]] PendingSend post(int destination, int tag, std::vector<std::uint8_t> bytes) const;

  // A message from `source` (any when < 0) with `tag` (any when < 0), if one has arrived.
  [[nodiscard]] std::optional<Message> try_receive(int source = -1, int tag = -1) const;

  // Waits for a message without spinning a core: probes, then sleeps with a growing pause
  // (up to max_pause). Gives up and returns nullopt after `timeout` (never when timeout is 0).
  [[nodiscard]] std::optional<Message> receive(int source = -1, int tag = -1,
                                               std::chrono::milliseconds timeout = std::chrono::milliseconds(0),
                                               std::chrono::microseconds max_pause = std::chrono::microseconds(2000)) const;

  // Every rank's string, gathered on every rank (for the list of hosts in the provenance).
  [[nodiscard]] std::vector<std::string> all_gather(const std::string& mine) const;
  void barrier() const;

 private:
  Communicator(int rank, int size) : rank_(rank), size_(size) {}
  int rank_;
  int size_;
};

// The ranks of this process's node (MPI_Comm_split_type SHARED) and memory they share, so a
// node holds one copy of a dataset however many ranks it runs. Every call is collective over the
// node's ranks; the windows live until this object is destroyed (also collectively).
class NodeMemory {
 public:
  NodeMemory();  // collective over the world: splits it by node
  ~NodeMemory();
  NodeMemory(const NodeMemory&) = delete;
  NodeMemory& operator=(const NodeMemory&) = delete;

  [[nodiscard]] int rank() const { return rank_; }  // within the node; 0 is the node's leader
  [[nodiscard]] int size() const { return size_; }

  // The leader's bytes, on every rank of the node (what others pass is ignored).
  [[nodiscard]] std::vector<std::uint8_t> broadcast(std::vector<std::uint8_t> bytes) const;
  // `size` bytes allocated once on the node, which `fill` writes on the leader before any rank
  // returns; every rank gets the same memory. Read-only by convention once returned.
  template <class Fill>
  const std::uint8_t* share(std::size_t size, Fill fill) {
    std::uint8_t* memory = allocate(size);
    if (rank_ == 0) fill(memory);
    synchronise();
    return memory;
  }

 private:
  std::uint8_t* allocate(std::size_t size);  // the leader's segment, mapped on every rank
  void synchronise() const;                  // fence on the newest window: the leader's writes are seen
  OwnedCommunicator comm_;                   // the node's ranks
  std::vector<OwnedWindow> windows_;         // freed newest first, before the communicator
  int rank_ = 0, size_ = 1;
};

}  // namespace khsweep::mpi
