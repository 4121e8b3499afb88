// read_text_file: a small regular file is read whole; anything else is refused at once, by name.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "../support/in_child.hpp"
#include "../support/scratch.hpp"
#include "khsweep/core/text_file.hpp"

namespace fs = std::filesystem;
using khsweep::kMaxTextFileBytes;
using khsweep::read_text_file;
using khsweep::testing::error_in_child;
using khsweep::testing::error_of;
using khsweep::testing::expect_line;
using khsweep::testing::ScratchDir;

BOOST_AUTO_TEST_CASE(regular_file_is_read_whole) {
  ScratchDir dir("khsweep-text-file-");
  const std::string text = std::string("name: x\n\0binary too\n", 21) + std::string(100000, 'y');
  std::ofstream(dir / "a.yaml", std::ios::binary) << text;
  BOOST_TEST(read_text_file(dir / "a.yaml", "sweep file") == text);
  std::ofstream(dir / "empty.yaml");
  BOOST_TEST(read_text_file(dir / "empty.yaml", "sweep file").empty());
  // Exactly at the limit is still read.
  BOOST_TEST(read_text_file(dir / "a.yaml", "sweep file", text.size()) == text);
}

BOOST_AUTO_TEST_CASE(missing_file_and_directory) {
  ScratchDir dir("khsweep-text-file-");
  const std::string missing = (dir / "nope.yaml").string();
  expect_line(error_of([&] { (void)read_text_file(missing, "config file"); }),
              {missing + ": cannot read the config file: No such file"});
  expect_line(error_of([&] { (void)read_text_file(dir.path(), "sweep file"); }),
              {dir.path().string() + ": cannot read the sweep file: it is a directory, not a regular file"});
}

BOOST_AUTO_TEST_CASE(fifo_is_refused_without_blocking) {
  ScratchDir dir("khsweep-text-file-");
  const fs::path fifo = dir / "sweep.yaml";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // No writer ever comes: reading it would block forever (the child is killed after 5 s).
  const auto start = std::chrono::steady_clock::now();
  expect_line(error_in_child([&] { (void)read_text_file(fifo, "sweep file"); }),
              {fifo.string() + ": cannot read the sweep file: it is a FIFO (named pipe), not a regular file"});
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(elapsed < 2.0);
}

BOOST_AUTO_TEST_CASE(device_is_refused) {
  // Only read, never written: a character device that every Linux has.
  expect_line(error_in_child([] { (void)read_text_file("/dev/null", "config file"); }),
              {"/dev/null: cannot read the config file: it is a character device, not a regular file"});
}

BOOST_AUTO_TEST_CASE(oversize_file_is_refused_naming_size_and_limit) {
  ScratchDir dir("khsweep-text-file-");
  const fs::path big = dir / "big.yaml";
  std::ofstream(big) << "name: x\n";
  fs::resize_file(big, 17u << 20);  // sparse: 17 MiB that take no disk
  expect_line(error_of([&] { (void)read_text_file(big, "sweep file"); }),
              {big.string() + ": cannot read the sweep file: it is 17.0 MiB (17825792 bytes)",
               "over the limit of 16.0 MiB (16777216 bytes)"});
  BOOST_TEST(kMaxTextFileBytes == 16u << 20);
  expect_line(error_of([&] { (void)read_text_file(big, "sweep file", 1000); }), {"over the limit of", "(1000 bytes)"});
}
