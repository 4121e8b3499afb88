// load_sweep: expansion with arms, its order, and every kind of problem reported with file:line.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../support/in_child.hpp"
#include "../support/scratch.hpp"
#include "khsweep/sweep/sweep_file.hpp"

namespace fs = std::filesystem;
using khsweep::model::KhVariant;
using khsweep::sweep::load_sweep;
using khsweep::sweep::Sweep;
using khsweep::testing::contains;
using khsweep::testing::expect_line;
using khsweep::testing::message_lines;

namespace {

// A scratch directory holding the sweep files and a stand-in dataset directory.
struct TempDir : khsweep::testing::ScratchDir {
  TempDir() : ScratchDir("khsweep-sweep-file-") { fs::create_directories(*this / "mnist"); }
  [[nodiscard]] std::string data() const { return (*this / "mnist").string(); }
  [[nodiscard]] fs::path write(const std::string& name, const std::string& text) const {
    const fs::path p = *this / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  // A sweep named "t" whose fixed section sets data; `rest` follows (more fixed keys first).
  [[nodiscard]] fs::path sweep(const std::string& rest) const {
    return write("sweep.yaml", "name: t\nfixed:\n  data: " + data() + "\n" + rest);
  }
};

std::string error_of(const fs::path& path) {
  return khsweep::testing::error_of([&] { (void)load_sweep(path); });
}

const char* kArms =
    "  epochs: 5\n"           // 4
    "grid:\n"                 // 5
    "  hidden: [16, 32]\n"    // 6
    "  seed: [1, 2, 3]\n"     // 7
    "arms:\n"                 // 8
    "  - name: baseline\n"    // 9
    "    kh: none\n"          // 10
    "  - name: kh\n"          // 11
    "    kh: [top_down, bottom_up]\n"
    "    eps0: [0.001, 0.01]\n"
    "    delta: [0.2, 0.4]\n";

}  // namespace

BOOST_AUTO_TEST_CASE(arms_do_not_multiply_the_baseline) {
  TempDir dir;
  const Sweep s = load_sweep(dir.sweep(kArms));
  BOOST_TEST(s.name == "t");
  // 6 grid points x (1 baseline + 2 * 2 * 2 KH settings).
  BOOST_TEST(s.runs.size() == 6u * 9u);
  std::map<std::string, int> per_arm;
  for (const auto& r : s.runs) ++per_arm[r.arm];
  BOOST_TEST(per_arm["baseline"] == 6);
  BOOST_TEST(per_arm["kh"] == 48);
  for (const auto& r : s.runs) {
    BOOST_TEST(r.params.data.dataset == dir.data());
    BOOST_TEST(r.params.config.epochs == 5);
    if (r.arm == "baseline") {
      BOOST_TEST((r.params.config.kh == KhVariant::none));
      BOOST_TEST(r.params.config.kh_eps0 == 0.0);  // the default, untouched
    } else {
      BOOST_TEST((r.params.config.kh != KhVariant::none));
      BOOST_TEST(r.params.config.kh_eps0 > 0.0);
    }
  }
  BOOST_TEST(s.service.checkpoint_every == 10);
  BOOST_TEST(s.service.commit_every_seconds == 5.0);
  BOOST_TEST(s.text.find("name: baseline") != std::string::npos);
  const auto varying = khsweep::sweep::varying_parameters(s);
  const std::vector<std::string> expected = {"hidden", "seed", "kh", "eps0", "delta"};
  BOOST_TEST(varying == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(expansion_order) {
  TempDir dir;
  const Sweep s = load_sweep(dir.sweep(kArms));
  // Arms in file order; inside an arm the grid axes then the arm's axes, the last turning fastest.
  for (std::size_t i = 0; i < s.runs.size(); ++i) BOOST_TEST(s.runs[i].index == i);
  BOOST_TEST(s.runs[0].arm == "baseline");
  BOOST_TEST(s.runs[0].params.config.hidden == 16);
  BOOST_TEST(s.runs[0].params.config.seed == 1u);
  BOOST_TEST(s.runs[1].params.config.seed == 2u);
  BOOST_TEST(s.runs[3].params.config.hidden == 32);
  BOOST_TEST(s.runs[6].arm == "kh");
  BOOST_TEST(s.runs[6].params.config.kh_delta == 0.2);
  BOOST_TEST(s.runs[7].params.config.kh_delta == 0.4);
  BOOST_TEST(s.runs[8].params.config.kh_eps0 == 0.01);
  BOOST_TEST((s.runs[10].params.config.kh == KhVariant::bottom_up));
  BOOST_TEST(s.runs[14].params.config.seed == 2u);

  const Sweep again = load_sweep(dir.sweep(kArms));
  BOOST_REQUIRE(again.runs.size() == s.runs.size());
  for (std::size_t i = 0; i < s.runs.size(); ++i) {
    BOOST_TEST(again.runs[i].arm == s.runs[i].arm);
    BOOST_TEST(again.runs[i].params.config.seed == s.runs[i].params.config.seed);
    BOOST_TEST(again.runs[i].params.config.kh_eps0 == s.runs[i].params.config.kh_eps0);
  }
}

BOOST_AUTO_TEST_CASE(no_arms_is_one_implicit_arm) {
  TempDir dir;
  const Sweep s = load_sweep(dir.sweep("  kh: top_down\n  eps0: 0.01\ngrid:\n  S: [0, 2, 4]\n  init: [lecun, std]\n"
                                       "service:\n  checkpoint_every: 2\n  commit_every_seconds: 0.5\n"));
  BOOST_TEST(s.runs.size() == 6u);
  for (const auto& r : s.runs) BOOST_TEST(r.arm.empty());
  BOOST_TEST(s.service.checkpoint_every == 2);
  BOOST_TEST(s.service.commit_every_seconds == 0.5);

  // Only fixed values: one run; empty sections are no sections. A dataset axis is legal.
  BOOST_TEST(load_sweep(dir.sweep("")).runs.size() == 1u);
  BOOST_TEST(load_sweep(dir.sweep("grid:\nservice:\n")).runs.size() == 1u);
  BOOST_TEST(load_sweep(dir.sweep("arms:\n  - name: only\n")).runs.front().arm == "only");
  fs::create_directories(dir / "kmnist");
  const Sweep d = load_sweep(dir.write("d.yaml", "name: d\ngrid:\n  data: [" + dir.data() + ", " +
                                                     (dir / "kmnist").string() + "]\n  train_subset: [0, 100]\n"));
  BOOST_TEST(d.runs.size() == 4u);
}

BOOST_AUTO_TEST_CASE(file_level_errors) {
  TempDir dir;
  expect_line(error_of(dir / "nope.yaml"), {"nope.yaml: cannot read the sweep file", "No such file"});
  expect_line(error_of(dir.write("bad.yaml", "name: t\ngrid:\n  hidden: [1, 2\n")), {"bad.yaml:", "YAML syntax error"});
  expect_line(error_of(dir.write("tab.yaml", "name: t\nfixed: 1\n  epochs: 3\n")), {"tab.yaml:3:", "YAML syntax error"});
  expect_line(error_of(dir.write("list.yaml", "- name: t\n")), {"list.yaml:1:", "top level must be a mapping", "got a list"});
  expect_line(error_of(dir.write("empty.yaml", "")), {"empty.yaml:", "top level must be a mapping", "an empty file"});
  expect_line(error_of(dir.write("two.yaml", "name: t\n---\nname: u\n")), {"two.yaml:", "one YAML document"});
}

// A sweep file must be a small regular file: a FIFO (which would block on a read), a device, a
// directory or a file over 16 MiB is refused at once, naming the file and the reason.
BOOST_AUTO_TEST_CASE(only_small_regular_files) {
  TempDir dir;
  const fs::path fifo = dir / "fifo.yaml";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  expect_line(khsweep::testing::error_in_child([&] { (void)load_sweep(fifo); }),
              {"fifo.yaml: cannot read the sweep file: it is a FIFO (named pipe), not a regular file"});
  expect_line(khsweep::testing::error_in_child([&] { (void)load_sweep("/dev/null"); }),
              {"/dev/null: cannot read the sweep file: it is a character device"});
  expect_line(error_of(dir / "mnist"), {"mnist: cannot read the sweep file: it is a directory"});
  const fs::path big = dir.sweep("grid:\n  hidden: [16]\n");
  fs::resize_file(big, 17u << 20);  // sparse, so it costs no disk
  expect_line(error_of(big), {"sweep.yaml: cannot read the sweep file: it is 17.0 MiB", "over the limit of 16.0 MiB"});
}

BOOST_AUTO_TEST_CASE(top_level_keys) {
  TempDir dir;
  const std::string m = error_of(dir.write("s.yaml", "nme: t\n"                 // 1
                                                     "gird:\n  hidden: [1]\n"  // 2
                                                     "epochs: 3\n"             // 4
                                                     "servise:\n"              // 5
                                                     "fixed:\n  data: " + dir.data() + "\n"));
  expect_line(m, {"s.yaml:1:", "key 'nme'", "unknown key", "did you mean 'name'?"});
  expect_line(m, {"s.yaml:2:", "key 'gird'", "did you mean 'grid'?"});
  expect_line(m, {"s.yaml:4:", "key 'epochs'", "go under fixed (one value) or grid (a list)"});
  expect_line(m, {"s.yaml:5:", "key 'servise'", "did you mean 'service'?"});
  expect_line(m, {"s.yaml: key 'name' is missing"});

  expect_line(error_of(dir.write("n.yaml", "name: my sweep\nfixed:\n  data: " + dir.data() + "\n")),
              {"n.yaml:1:", "key 'name'", "letters, digits", "'my sweep'"});
  expect_line(error_of(dir.write("g.yaml", "name: t\ngrid: [1, 2]\n")), {"g.yaml:2:", "grid: must be a mapping", "got a list"});
  expect_line(error_of(dir.write("f.yaml", "name: t\nfixed: 3\n")), {"f.yaml:2:", "fixed: must be a mapping", "got a single value"});
  expect_line(error_of(dir.write("t.yaml", "name: t\nname: u\nfixed:\n  data: " + dir.data() + "\n")),
              {"t.yaml:2:", "key 'name'", "given twice (first on line 1)"});
}

BOOST_AUTO_TEST_CASE(parameter_problems) {
  TempDir dir;
  // Line numbers: 1 name, 2 fixed, 3 data, then `rest` from line 4.
  expect_line(error_of(dir.sweep("  hidden: [1, 2]\n")), {"sweep.yaml:4:", "fixed: key 'hidden'", "put lists under grid"});
  expect_line(error_of(dir.sweep("grid:\n  hidden: 100\n")), {"sweep.yaml:5:", "grid: key 'hidden'", "an axis is a list"});
  expect_line(error_of(dir.sweep("grid:\n  hidden: []\n")), {"sweep.yaml:5:", "grid: key 'hidden'", "empty list"});
  expect_line(error_of(dir.sweep("grid:\n  eps: [1]\n")),
              {"sweep.yaml:5:", "grid: key 'eps'", "unknown parameter", "did you mean 'eps0'?"});
  expect_line(error_of(dir.sweep("grid:\n  hiden: [1]\n")), {"sweep.yaml:5:", "did you mean 'hidden'?"});
  expect_line(error_of(dir.sweep("grid:\n  M: [100, 500]\n")), {"sweep.yaml:5:", "key 'M'", "did you mean 'hidden'?"});
  // Values go through the table's setters: the same messages as `khsweep train`, at the value's line.
  expect_line(error_of(dir.sweep("grid:\n  hidden:\n    - 100\n    - ten\n")),
              {"sweep.yaml:7:", "grid: key 'hidden'", "expected a whole number, got 'ten'"});
  expect_line(error_of(dir.sweep("grid:\n  hidden: [100, 0]\n")), {"sweep.yaml:5:", "must be in 1..100000, got 0"});
  expect_line(error_of(dir.sweep("  threshold: 300\n")), {"sweep.yaml:4:", "fixed: key 'threshold'", "0..255"});
  expect_line(error_of(dir.sweep("grid:\n  init: [lecun, xavier]\n")), {"sweep.yaml:5:", "one of lecun, std", "'xavier'"});
  expect_line(error_of(dir.sweep("grid:\n  kh: [none, topdown]\n")),
              {"sweep.yaml:5:", "grid: key 'kh'", "did you mean 'top_down'?"});
  expect_line(error_of(dir.sweep("grid:\n  hidden: [[1, 2]]\n")), {"sweep.yaml:5:", "list items must be single values"});
  expect_line(error_of(dir.sweep("  epochs:\n")), {"sweep.yaml:4:", "fixed: key 'epochs'", "got no value"});
  expect_line(error_of(dir.sweep("  epochs: 2\n  epochs: 3\n")), {"sweep.yaml:5:", "key 'epochs'", "given twice"});
  // Duplicates are found by value, not spelling.
  expect_line(error_of(dir.sweep("grid:\n  seed: [1, 2]\n  learning_rate: [0.01, 1e-2]\n")),
              {"sweep.yaml:6:", "grid: key 'learning_rate'", "value '1e-2' appears twice"});
  expect_line(error_of(dir.sweep("grid:\n  data: [" + (dir / "absent").string() + "]\n")),
              {"sweep.yaml:5:", "grid: key 'data'", "no such directory"});
  // A bare word is a dataset name unless it is a directory: a misspelt one gets a suggestion, and a
  // known one is accepted here (its files are checked when it is loaded).
  const std::string names = error_of(dir.write("names.yaml", "name: t\ngrid:\n  data: [mnist, fashion_mnist]\n"));
  expect_line(names, {"names.yaml:3:", "grid: key 'data'", "nor a known dataset", "did you mean 'fashion-mnist'?"});
  BOOST_TEST(message_lines(names).size() == 1u, names);
}

BOOST_AUTO_TEST_CASE(one_place_per_parameter) {
  TempDir dir;
  expect_line(error_of(dir.sweep("  seed: 1\ngrid:\n  seed: [1, 2]\n")),
              {"sweep.yaml:6:", "grid: key 'seed'", "also set in fixed (line 4)"});
  const std::string m = error_of(dir.sweep("grid:\n  kh: [top_down]\narms:\n  - name: a\n    kh: bottom_up\n    eps0: 0.1\n"));
  expect_line(m, {"sweep.yaml:8:", "arm 'a': key 'kh'", "also set in grid (line 5)"});
  // Two arms may each set the same parameter: that is what arms are for.
  BOOST_TEST(load_sweep(dir.sweep("arms:\n  - name: a\n    seed: 1\n  - name: b\n    seed: 2\n")).runs.size() == 2u);
}

BOOST_AUTO_TEST_CASE(arm_shapes) {
  TempDir dir;
  expect_line(error_of(dir.sweep("arms:\n  name: a\n")), {"sweep.yaml:4:", "arms: must be a list"});
  expect_line(error_of(dir.sweep("arms: []\n")), {"sweep.yaml:4:", "arms: an empty list"});
  expect_line(error_of(dir.sweep("arms:\n  - kh: none\n")), {"sweep.yaml:5:", "arm 1 has no name"});
  expect_line(error_of(dir.sweep("arms:\n  - seed\n")), {"sweep.yaml:5:", "arm 1 must be a mapping"});
  expect_line(error_of(dir.sweep("arms:\n  - name: a\n  - name: a\n    seed: 2\n")),
              {"sweep.yaml:6:", "arm 'a': name used twice (first on line 5)"});
  expect_line(error_of(dir.sweep("arms:\n  - name: a b\n")), {"sweep.yaml:5:", "name must be letters"});
  expect_line(error_of(dir.sweep("arms:\n  - name: a\n    hiden: 5\n")),
              {"sweep.yaml:6:", "arm 'a': key 'hiden'", "did you mean 'hidden'?"});
}

BOOST_AUTO_TEST_CASE(service_settings) {
  TempDir dir;
  const std::string m = error_of(dir.sweep("service:\n  checkpoint_evry: 3\n  commit_every_seconds: 0\n"
                                           "  hidden: 3\n"));
  expect_line(m, {"sweep.yaml:5:", "service: key 'checkpoint_evry'", "did you mean 'checkpoint_every'?"});
  expect_line(m, {"sweep.yaml:6:", "service: key 'commit_every_seconds'", "> 0", "got '0'"});
  expect_line(m, {"sweep.yaml:7:", "service: key 'hidden'", "run parameters go under fixed or grid"});
  expect_line(error_of(dir.sweep("service:\n  checkpoint_every: 0\n")), {"sweep.yaml:5:", "whole number in 1..1000000000"});
  expect_line(error_of(dir.sweep("service:\n  checkpoint_every: 3000000000\n")),
              {"sweep.yaml:5:", "whole number in 1..1000000000 (epochs between checkpoints), got '3000000000'"});
  expect_line(error_of(dir.sweep("service:\n  checkpoint_every: [1]\n")), {"sweep.yaml:5:", "got a list"});
}

BOOST_AUTO_TEST_CASE(cross_checks_reported_once_per_place) {
  TempDir dir;
  // eps0 in the baseline arm is wrong in all 6 of its runs: one line, at the arm's key.
  const std::string m = error_of(dir.sweep("grid:\n  hidden: [16, 32]\n  seed: [1, 2, 3]\n"  // 4-6
                                           "arms:\n"                                          // 7
                                           "  - name: baseline\n"                             // 8
                                           "    eps0: 0.01\n"                                 // 9
                                           "  - name: kh\n"                                   // 10
                                           "    kh: top_down\n"));                            // 11
  expect_line(m, {"sweep.yaml:9: arm 'baseline': key 'eps0': has no effect when kh is none"});
  expect_line(m, {"sweep.yaml:11: arm 'kh': key 'kh':", "needs eps0 > 0"});
  BOOST_TEST(message_lines(m).size() == 2u, m);

  // A KH axis in the grid multiplies the baseline: said once, at the grid line, naming the arm.
  const std::string g = error_of(dir.sweep("grid:\n  delta: [0.2, 0.4]\n  seed: [1, 2]\n"
                                           "arms:\n  - name: baseline\n  - name: kh\n    kh: top_down\n    eps0: 0.01\n"));
  expect_line(g, {"sweep.yaml:5: grid: key 'delta', in arm 'baseline': has no effect when kh is none"});
  BOOST_TEST(message_lines(g).size() == 1u, g);

  // A missing dataset is one problem for the whole file.
  const std::string d = error_of(dir.write("d.yaml", "name: d\ngrid:\n  seed: [1, 2]\narms:\n  - name: a\n  - name: b\n"));
  expect_line(d, {"d.yaml: key 'data': required"});
  BOOST_TEST(message_lines(d).size() == 1u, d);

  // train::validate's checks are placed at the parameter they name; when no place sets it, at the
  // arm whose runs have the problem, or at the file when every arm's runs have it.
  expect_line(error_of(dir.sweep("  kh: bottom_up\n  eps0: 0.1\ngrid:\n  hidden: [1, 5]\n")),
              {"sweep.yaml: key 'l':", "l must be < hidden (1)"});
  const std::string l = error_of(dir.sweep("  hidden: 1\narms:\n  - name: base\n"  // 4-6
                                           "  - name: bu\n    kh: bottom_up\n    eps0: 0.1\n"));  // 7-9
  expect_line(l, {"sweep.yaml:7: arm 'bu': key 'l':", "l must be < hidden (1)"});
  BOOST_TEST(message_lines(l).size() == 1u, l);
}

BOOST_AUTO_TEST_CASE(every_problem_in_one_throw) {
  TempDir dir;
  const fs::path p = dir.write("all.yaml", "name: all\n"                      // 1
                                           "fixed:\n"                         // 2
                                           "  data: " + dir.data() + "\n"     // 3
                                           "  epochs: ten\n"                  // 4
                                           "grid:\n"                          // 5
                                           "  hiden: [1, 2]\n"                // 6
                                           "  init: [lecun, xavier]\n"        // 7
                                           "arms:\n"                          // 8
                                           "  - name: kh\n"                   // 9
                                           "    kh: sideways\n"               // 10
                                           "service:\n"                       // 11
                                           "  commit_every_seconds: -1\n");   // 12
  const std::string m = error_of(p);
  const auto lines = message_lines(m);
  BOOST_TEST(lines.size() == 5u, m);
  expect_line(m, {"all.yaml:4:", "got 'ten'"});
  expect_line(m, {"all.yaml:6:", "did you mean 'hidden'?"});
  expect_line(m, {"all.yaml:7:", "xavier"});
  expect_line(m, {"all.yaml:10:", "sideways"});
  expect_line(m, {"all.yaml:12:", "commit_every_seconds"});
  // In line order, each starting with its place.
  for (const auto& line : lines) BOOST_TEST(line.rfind(p.string() + ":", 0) == 0u, line);
  BOOST_TEST(contains(lines.front(), "all.yaml:4:"));
  BOOST_TEST(contains(lines.back(), "all.yaml:12:"));
}

BOOST_AUTO_TEST_CASE(too_many_runs) {
  TempDir dir;
  std::string seeds = "[";
  for (int i = 0; i < 1000; ++i) seeds += (i ? ", " : "") + std::to_string(i);
  seeds += "]";
  const std::string m = error_of(dir.sweep("grid:\n  seed: " + seeds + "\n  subset_seed: " + seeds + "\n  hidden: [1, 2]\n"));
  expect_line(m, {"sweep.yaml: expands to more than 1000000 runs"});
}

BOOST_AUTO_TEST_CASE(documented_example) {
  // The complete example of docs/sweep-files.md loads, with the counts the page states.
  std::ifstream in(fs::path(KHSWEEP_SOURCE_DIR) / "docs" / "sweep-files.md");
  std::ostringstream page;
  page << in.rdbuf();
  const std::string text = page.str();
  const auto begin = text.find("```yaml\n");
  BOOST_REQUIRE(begin != std::string::npos);
  std::string yaml = text.substr(begin + 8, text.find("```", begin + 8) - begin - 8);
  TempDir dir;
  const std::string from = "data: mnist";
  BOOST_REQUIRE(contains(yaml, from));
  yaml.replace(yaml.find(from), from.size(), "data: " + dir.data());
  const Sweep s = load_sweep(dir.write("example.yaml", yaml));
  BOOST_TEST(s.name == "fig3-mnist");
  BOOST_TEST(s.runs.size() == 108u);
  std::size_t baselines = 0;
  for (const auto& r : s.runs) baselines += r.arm == "baseline";
  BOOST_TEST(baselines == 12u);
  BOOST_TEST(s.runs[12].arm == "kh");
  BOOST_TEST(s.runs[12].params.config.kh_eps0 == 0.001);
  BOOST_TEST(s.runs[13].params.config.kh_delta == 0.4);
  BOOST_TEST(s.runs[1].params.config.seed == 2u);
}
