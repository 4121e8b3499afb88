#pragma once
// A private temporary directory (mode 0700, under $TMPDIR or /tmp), removed with its contents when
// the object goes.
#include <filesystem>
#include <string>

namespace khsweep {

class TempDir {
 public:
  // `prefix` starts the directory's name ("khsweep-plot-"); throws khsweep::Error if it cannot be made.
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace khsweep
