// write_file_atomically / replace_file_atomically: the file holds the old content or the new, and
// no temporary is left behind, whether the write succeeds or fails.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../support/scratch.hpp"
#include "khsweep/core/atomic_file.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/text_file.hpp"

namespace fs = std::filesystem;
using khsweep::replace_file_atomically;
using khsweep::Sync;
using khsweep::write_file_atomically;
using khsweep::testing::error_of;
using khsweep::testing::expect_line;
using khsweep::testing::ScratchDir;

namespace {

std::string content_of(const fs::path& file) { return khsweep::read_text_file(file, "test file"); }

}  // namespace

BOOST_AUTO_TEST_CASE(creates_then_replaces_the_content) {
  ScratchDir dir("khsweep-atomic-file-");
  const fs::path file = dir / "state.bin";
  const std::string bytes("binary\0content\n", 15);
  write_file_atomically(file, "checkpoint", bytes);
  BOOST_TEST(content_of(file) == bytes);
  write_file_atomically(file, "checkpoint", "shorter");
  BOOST_TEST(content_of(file) == "shorter");
  write_file_atomically(file, "progress file", "done 3\n", Sync::atomic_only);
  BOOST_TEST(content_of(file) == "done 3\n");
  write_file_atomically(file, "checkpoint", "");
  BOOST_TEST(content_of(file).empty());
  BOOST_TEST(dir.listing() == std::vector<std::string>{"state.bin"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_missing_directory_is_refused_by_the_file_name) {
  ScratchDir dir("khsweep-atomic-file-");
  const fs::path file = dir / "no-such-dir" / "state.bin";
  expect_line(error_of([&] { write_file_atomically(file, "checkpoint", "x"); }),
              {file.string() + ": cannot write the checkpoint: ", "No such file or directory"});
  BOOST_TEST(dir.listing().empty());
}

BOOST_AUTO_TEST_CASE(a_failed_rename_leaves_the_target_and_no_temporary) {
  ScratchDir dir("khsweep-atomic-file-");
  // A target that is a non-empty directory: the rename over it fails whoever runs the test.
  const fs::path target = dir / "taken";
  fs::create_directory(target);
  std::ofstream(target / "inside") << "old";
  expect_line(error_of([&] { write_file_atomically(target, "run file", "new"); }),
              {target.string() + ": cannot write the run file: cannot rename "});
  BOOST_TEST(fs::is_directory(target));
  BOOST_TEST(content_of(target / "inside") == "old");
  BOOST_TEST(dir.listing() == std::vector<std::string>{"taken"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_failing_writer_leaves_the_old_file_and_no_temporary) {
  ScratchDir dir("khsweep-atomic-file-");
  const fs::path file = dir / "run.h5";
  write_file_atomically(file, "run file", "old");
  const auto half_write_then_fail = [&](const fs::path& temporary) {
    std::ofstream(temporary) << "half";
    throw khsweep::Error("disk full, say");
  };
  expect_line(error_of([&] { replace_file_atomically(file, "run file", half_write_then_fail); }), {"disk full, say"});
  BOOST_TEST(content_of(file) == "old");
  BOOST_TEST(dir.listing() == std::vector<std::string>{"run.h5"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_writer_is_given_a_temporary_beside_the_target) {
  ScratchDir dir("khsweep-atomic-file-");
  const fs::path file = dir / "run.h5";
  fs::path seen;
  replace_file_atomically(file, "run file", [&](const fs::path& temporary) {
    seen = temporary;
    std::ofstream(temporary) << "new";
  });
  BOOST_TEST(seen.parent_path() == file.parent_path());
  BOOST_TEST(seen.filename().string().rfind("run.h5.tmp.", 0) == 0);
  BOOST_TEST(content_of(file) == "new");
  BOOST_TEST(dir.listing() == std::vector<std::string>{"run.h5"}, boost::test_tools::per_element());
}
