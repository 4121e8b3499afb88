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
// Works without mpirun too (a singleton world of one rank).
class Environment {
 public:
  Environment();
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  [[nodiscard]] static std::string library_version();
  // Ends every rank of the job at once: for failures after which the job cannot go on.
  [[noreturn]] static void abort(int code);
};

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

}  // namespace khsweep::mpi
