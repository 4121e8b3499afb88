#pragma once
// Checkpoints: a run's state saved between epochs or at a minibatch inside one (a stopped job's,
// trainer.hpp's TrainerState::batch), tied to the run's id and its precision, so a killed job
// resumes each run where it stopped and ends with the same bits as an uninterrupted run.
//
// File layout (all values in the machine's byte order; read back only by the same build on the same
// architecture, which the header checks):
//   "KHSCKPT1" | u32 format version | u32 byte-order probe 0x01020304 | u8 sizeof(float) |
//   u8 sizeof(double) | u8 precision (0 float, 1 double) | run id (u64 length + bytes) |
//   TrainerState (serialize.hpp) | SHA-256 of every byte before it (32 bytes)
#include <filesystem>
#include <optional>
#include <string>

#include "khsweep/train/trainer.hpp"

namespace khsweep::train {

// Writes the state atomically: to "<file>.tmp.<pid>" in the same directory, fsync, rename over `file`,
// fsync the directory; a kill leaves the old checkpoint or the new one, never a mix. The directory must
// exist. Throws khsweep::Error naming the file if any step fails (and then removes the temporary file).
void save_checkpoint(const std::filesystem::path& file, const std::string& run_id, const TrainerState<float>& state);
void save_checkpoint(const std::filesystem::path& file, const std::string& run_id, const TrainerState<double>& state);

// The state saved in `file` for run_id at precision Real (float or double). Never throws for a bad file:
// nullopt with *problem empty when there is no file; nullopt with *problem a one-line reason naming the
// file when it is unreadable, corrupt, truncated, of another format version (an older khsweep's),
// from another build or architecture, of another run, or of the other precision. The caller logs the
// problem and starts the run from scratch.
template <class Real>
[[nodiscard]] std::optional<TrainerState<Real>> load_checkpoint(const std::filesystem::path& file,
                                                                const std::string& run_id,
                                                                std::string* problem = nullptr);

// Deletes a checkpoint (once its run's result is stored). A missing file, or a failure, is ignored.
void remove_checkpoint(const std::filesystem::path& file) noexcept;

}  // namespace khsweep::train
