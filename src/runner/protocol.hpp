#pragma once
// Messages between the coordinator (rank 0) and its workers. Each exchange is strictly
// request/reply per worker (a worker sends, then waits for one reply), so no two ranks ever
// block sending to each other; only kInterrupt and kProgress are sent unasked, and neither is ever
// waited for or answered.
#include <string>

#include "khsweep/job/scheduler.hpp"
#include "khsweep/train/run_params.hpp"
#include "khsweep/train/result.hpp"
#include "khsweep/train/serialize.hpp"

namespace khsweep::runner {

enum Tag : int {
  kReady = 1,      // worker -> coordinator: idle, give me a run (no payload)
  kReport = 2,     // worker -> coordinator: a Report; also means "idle again"
  kAssign = 3,     // coordinator -> worker: an Assignment
  kStop = 4,       // coordinator -> worker: exit with the i32 code in the payload
  kInterrupt = 5,  // coordinator -> worker: checkpoint the current run now and report it interrupted
  kShare = 6,      // coordinator -> worker, once before any run: the data selections to share per node
  kProgress = 7,   // worker -> coordinator, after each epoch: an EpochProgress (for `khsweep status`)
};

// One run handed to a worker.
struct Assignment {
  std::string id;
  train::RunParams params;
  std::string train_checksum;       // what the coordinator loaded; a worker seeing other data fails the run
  std::string validation_checksum;
  std::string checkpoint;           // file for this run's checkpoints
  int checkpoint_every = 10;        // epochs
};

// How far a run in training is: what `khsweep status` shows of it.
struct EpochProgress {
  std::string id;
  int epoch = 0;  // epochs done
  int total_epochs = 0;
  std::string metric;  // the latest validation metric measured ("" before the first evaluation)
  double value = 0;
};

inline void encode(train::ByteWriter& out, const EpochProgress& p) {
  out.string(p.id);
  out.i32(p.epoch);
  out.i32(p.total_epochs);
  out.string(p.metric);
  out.f64(p.value);
}

inline void decode(train::ByteReader& in, EpochProgress& p) {
  p.id = in.string();
  p.epoch = in.i32();
  p.total_epochs = in.i32();
  p.metric = in.string();
  p.value = in.f64();
}

// What became of an assigned run (the scheduler's type; the protocol only carries it).
using job::Report;

inline void encode(train::ByteWriter& out, const Assignment& a) {
  out.string(a.id);
  train::encode(out, a.params);
  out.string(a.train_checksum);
  out.string(a.validation_checksum);
  out.string(a.checkpoint);
  out.i32(a.checkpoint_every);
}

inline void decode(train::ByteReader& in, Assignment& a) {
  a.id = in.string();
  train::decode(in, a.params);
  a.train_checksum = in.string();
  a.validation_checksum = in.string();
  a.checkpoint = in.string();
  a.checkpoint_every = in.i32();
}

inline void encode(train::ByteWriter& out, const Report& r) {
  out.u8(r.kind);
  out.string(r.id);
  if (r.kind == Report::finished) train::encode(out, r.result);
  out.string(r.failure);
  out.boolean(r.resumed);
  out.string(r.host);
  out.i32(r.rank);
}

inline void decode(train::ByteReader& in, Report& r) {
  const std::uint8_t kind = in.u8();
  if (kind > Report::fault) throw Error(in.source() + ": unknown report kind " + std::to_string(kind));
  r.kind = static_cast<Report::Kind>(kind);
  r.id = in.string();
  if (r.kind == Report::finished) train::decode(in, r.result);
  r.failure = in.string();
  r.resumed = in.boolean();
  r.host = in.string();
  r.rank = in.i32();
}

template <class T>
std::vector<std::uint8_t> pack(const T& value) {
  train::ByteWriter out;
  encode(out, value);
  return out.take();
}

template <class T>
T unpack(const std::vector<std::uint8_t>& bytes, const std::string& source) {
  train::ByteReader in(bytes, source);
  T value;
  decode(in, value);
  if (!in.at_end()) throw Error(source + ": " + std::to_string(in.remaining()) + " unexpected trailing bytes");
  return value;
}

}  // namespace khsweep::runner
