#pragma once
// The one way khsweep replaces a file: readers, and a crash, see the old content or the new, never a mix.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace khsweep {

// Whether a replacement waits for the disk. `durable` fsyncs the file before the rename and the
// directory after it, so even a power cut leaves the old content or the new. `atomic_only` skips
// both: readers still never see a partial file, but a power cut may lose the replacement (or, on
// some file systems, leave an empty file), which is right for a status file rewritten every few
// seconds and wrong for anything that cannot be rebuilt.
enum class Sync { durable, atomic_only };

// Replaces `file`: `write_temporary` writes the whole new content to the path it is given,
// "<file>.tmp.<pid>" in the same directory (the same file system, so the rename is atomic), which
// is then synced (see Sync), renamed over `file`, and the directory synced. On any failure the
// temporary is removed and `file` keeps its old content (or stays absent); the error is
// khsweep::Error "<file>: cannot write the <what>: <step>: <reason>", or whatever write_temporary
// threw. `what` names the file's role: "checkpoint", "run file", "progress file". The directory
// must exist.
void replace_file_atomically(const std::filesystem::path& file, const std::string& what,
                             const std::function<void(const std::filesystem::path& temporary)>& write_temporary,
                             Sync sync = Sync::durable);

// replace_file_atomically with `content` (text or bytes) as the new file.
void write_file_atomically(const std::filesystem::path& file, const std::string& what, std::string_view content,
                           Sync sync = Sync::durable);

}  // namespace khsweep
