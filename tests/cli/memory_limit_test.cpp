// `khsweep plan` and `khsweep train` refuse a run that cannot fit in memory before anything trains:
// exit 3, with the run, the estimate, the memory and the parameter to lower. KHSWEEP_MEMORY stands
// in for the machine's memory, so the outcome does not depend on the machine.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../support/command_output.hpp"
#include "../support/env_var.hpp"
#include "../support/idx_files.hpp"
#include "../support/scratch.hpp"
#include "khsweep/cli/commands.hpp"
#include "khsweep/core/exit_codes.hpp"

namespace fs = std::filesystem;
using khsweep::testing::capture_output;
using khsweep::testing::CommandOutput;
using khsweep::testing::contains;
using khsweep::testing::expect_line;
using khsweep::testing::ScopedEnv;

namespace {

// A scratch directory holding a tiny MNIST-shaped IDX set (28 x 28 images) in data/.
struct TinyData : khsweep::testing::ScratchDir {
  TinyData() : ScratchDir("khsweep-memory-") {
    fs::create_directories(data());
    write_set("train", 40);
    write_set("t10k", 20);
  }
  [[nodiscard]] fs::path data() const { return *this / "data"; }
  void write_set(const std::string& prefix, std::uint32_t count) const {
    khsweep::testing::Bytes pixels, labels;
    for (std::uint32_t i = 0; i < count; ++i) {
      for (int p = 0; p < 28 * 28; ++p) pixels.push_back((p + i) % 3 == 0 ? 255 : 0);
      labels.push_back(static_cast<std::uint8_t>(i % 10));
    }
    khsweep::testing::write_raw(data() / (prefix + "-images-idx3-ubyte"), khsweep::testing::idx_images(count, 28, 28, pixels));
    khsweep::testing::write_raw(data() / (prefix + "-labels-idx1-ubyte"), khsweep::testing::idx_labels(labels));
  }
  // A sweep with a small arm and an arm of `hidden` units.
  [[nodiscard]] std::string sweep(int hidden) const {
    const fs::path path = *this / "s.yaml";
    std::ofstream(path) << "name: s\nfixed:\n  data: " << data().string() << "\n  epochs: 1\n"
                        << "arms:\n  - {name: small, hidden: 16}\n  - {name: big, hidden: " << hidden << "}\n";
    return path.string();
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(plan_refuses_a_run_too_big_for_memory) {
  TinyData dir;
  ScopedEnv cap("KHSWEEP_MEMORY", "256M");
  // hidden 20 000: about 28 bytes per weight, 420 MiB.
  const std::string sweep = dir.sweep(20000);
  const CommandOutput refused = capture_output([&] { return khsweep::cli::plan_command({sweep}); });
  BOOST_TEST(refused.code == khsweep::kExitInput);
  expect_line(refused.err, {"khsweep plan: " + sweep + ": run #1 (arm big): needs about ", " MiB of memory (",
                            "for the run, ", "for its data), more than the 256 MiB KHSWEEP_MEMORY allows; lower hidden (now 20000)"});
  BOOST_TEST(refused.out.empty());

  // A sweep that fits: the table shows its largest run's memory.
  const std::string fits = dir.sweep(2000);
  const CommandOutput shown = capture_output([&] { return khsweep::cli::plan_command({fits}); });
  BOOST_TEST(shown.code == khsweep::kExitOk, shown.err);
  expect_line(shown.out, {"memory: about ", " MiB for the largest run (#1), plus ", " of data per node, within the 256 MiB "
                          "KHSWEEP_MEMORY allows"});
}

BOOST_AUTO_TEST_CASE(train_refuses_a_run_too_big_for_memory) {
  TinyData dir;
  ScopedEnv cap("KHSWEEP_MEMORY", "256M");
  const fs::path out = dir / "run.h5";
  const CommandOutput refused = capture_output([&] {
    return khsweep::cli::train_command({"--data", dir.data().string(), "--hidden", "20000", "--epochs", "1",
                                        "--out", out.string(), "--quiet"});
  });
  BOOST_TEST(refused.code == khsweep::kExitInput);
  expect_line(refused.err, {"khsweep train: this run: needs about ", "more than the 256 MiB KHSWEEP_MEMORY allows",
                            "lower hidden (now 20000)"});
  BOOST_TEST(!fs::exists(out));  // nothing was trained or written

  ScopedEnv bad("KHSWEEP_MEMORY", "much");
  const CommandOutput misset = capture_output([&] {
    return khsweep::cli::train_command({"--data", dir.data().string(), "--hidden", "16", "--epochs", "1", "--quiet"});
  });
  BOOST_TEST(misset.code == khsweep::kExitInput);
  BOOST_TEST(contains(misset.err, "KHSWEEP_MEMORY: expected a size in bytes"), misset.err);
}
