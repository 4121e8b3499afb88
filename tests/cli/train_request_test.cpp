// parse_train_request: YAML + flags -> a validated run, and every kind of bad input reported with its place.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/in_child.hpp"
#include "../support/scratch.hpp"
#include "khsweep/cli/train_request.hpp"

namespace fs = std::filesystem;
using khsweep::cli::parse_train_request;
using khsweep::cli::TrainRequest;
using khsweep::model::Init;
using khsweep::model::KhVariant;
using khsweep::testing::contains;
using khsweep::testing::expect_line;
using khsweep::testing::message_lines;

namespace {

// A scratch directory per test case holding the YAML files and a stand-in dataset directory.
struct TempDir : khsweep::testing::ScratchDir {
  TempDir() : ScratchDir("khsweep-run-params-") { fs::create_directories(*this / "mnist"); }
  [[nodiscard]] std::string data() const { return (*this / "mnist").string(); }
  // Writes `text` to path()/name and returns the path.
  [[nodiscard]] std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = *this / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

// The message of the khsweep::Error parse_train_request throws; fails the test if it does not throw.
std::string error_of(const std::vector<std::string>& args) {
  return khsweep::testing::error_of([&] { (void)parse_train_request(args); });
}

// One-problem YAML case: the file has a valid `data:` line first, then `body`.
std::string yaml_error(const TempDir& dir, const std::string& body) {
  const std::string path = dir.write("run.yaml", "data: " + dir.data() + "\n" + body);
  return error_of({"--config", path});
}

}  // namespace

BOOST_AUTO_TEST_CASE(valid_yaml_with_flag_override) {
  TempDir dir;
  const std::string text = "# a KH run\n"
                           "data: " + dir.data() + "\n"
                           "train_subset: 10000\n"
                           "subset: random\n"
                           "task: classification\n"
                           "hidden: 500\n"
                           "k: 10\n"
                           "persistent: yes\n"
                           "init: std\n"
                           "learning_rate: 1e-1\n"
                           "epochs: 20\n"
                           "seed: 18446744073709551615\n"
                           "precision: double\n"
                           "kh: top_down\n"
                           "eps0: 1e-3\n"
                           "delta: 0.4\n"
                           "S: 50\n"
                           "p: 3\n"
                           "R: 0.5\n"
                           "out: results/run.h5\n";
  const std::string path = dir.write("run.yaml", text);
  const TrainRequest r = parse_train_request({"--hidden", "200", "--config", path, "--eps0=0.02", "--quiet"});
  BOOST_TEST(r.config.hidden == 200);  // the flag wins, even before --config
  BOOST_TEST(r.config.kh_eps0 == 0.02);
  BOOST_TEST(r.config.gibbs_steps == 10);
  BOOST_TEST(r.config.persistent);
  BOOST_TEST((r.config.init == Init::std_normal));
  BOOST_TEST((r.config.task == khsweep::train::Task::classification));
  BOOST_TEST((r.config.precision == khsweep::train::Precision::f64));
  BOOST_TEST((r.config.kh == KhVariant::top_down));
  BOOST_TEST(r.config.learning_rate == 0.1);
  BOOST_TEST(r.config.epochs == 20);
  BOOST_TEST(r.config.seed == 18446744073709551615ULL);
  BOOST_TEST(r.config.kh_delta == 0.4);
  BOOST_TEST(r.config.kh_anneal_epochs == 50);
  BOOST_TEST(r.config.kh_power == 3.0);
  BOOST_TEST(r.config.kh_radius == 0.5);
  BOOST_TEST(r.data.dataset == dir.data());
  BOOST_TEST(r.data.train_subset == 10000u);
  BOOST_TEST((r.data.subset_mode == khsweep::data::SubsetMode::random));
  BOOST_TEST(r.data.threshold == 127);
  BOOST_TEST(r.out_path == "results/run.h5");
  BOOST_TEST(r.config_text == text);
  BOOST_TEST(r.config_path == path);
  BOOST_TEST(r.quiet);
  BOOST_TEST(r.progress);
  BOOST_TEST(!r.help);
}

BOOST_AUTO_TEST_CASE(flags_only_request) {
  TempDir dir;
  const TrainRequest r = parse_train_request({"--data", dir.data(), "--train_subset", "10000", "--validation_subset",
                                              "2000", "--hidden", "100", "--epochs", "5", "--kh", "top_down",
                                              "--eps0", "0.01", "--delta", "0.4", "--out", "results/demo.h5",
                                              "--persistent", "--no-progress", "--threshold=0"});
  BOOST_TEST(r.data.dataset == dir.data());
  BOOST_TEST(r.data.train_subset == 10000u);
  BOOST_TEST(r.data.validation_subset == 2000u);
  BOOST_TEST(r.data.threshold == 0);
  BOOST_TEST(r.config.hidden == 100);
  BOOST_TEST(r.config.epochs == 5);
  BOOST_TEST((r.config.kh == KhVariant::top_down));
  BOOST_TEST(r.config.kh_eps0 == 0.01);
  BOOST_TEST(r.config.persistent);  // a bare boolean flag means true
  BOOST_TEST(!r.progress);
  BOOST_TEST(r.out_path == "results/demo.h5");
  BOOST_TEST(r.config_text.empty());
  // Untouched parameters keep RunConfig's defaults.
  BOOST_TEST(r.config.batch_size == khsweep::train::RunConfig{}.batch_size);
  BOOST_TEST((r.config.init == khsweep::train::RunConfig{}.init));

  const TrainRequest b = parse_train_request({"--data", dir.data(), "--persistent", "no"});
  BOOST_TEST(!b.config.persistent);
}

BOOST_AUTO_TEST_CASE(help_skips_validation) {
  const TrainRequest r = parse_train_request({"--hidden", "zero", "--help"});
  BOOST_TEST(r.help);
  const std::string usage = khsweep::cli::train_usage();
  for (const auto& p : khsweep::train::run_parameters()) {
    BOOST_TEST(contains(usage, "--" + p.name + " "), p.name);
    BOOST_TEST(contains(usage, p.help), p.name);
  }
  BOOST_TEST(contains(usage, "top_down"));
  BOOST_TEST(contains(usage, "default: 100"));  // hidden
  BOOST_TEST(contains(usage, "--config FILE"));
  BOOST_TEST(contains(usage, "--no-progress"));
}

BOOST_AUTO_TEST_CASE(did_you_mean) {
  TempDir dir;
  const std::string m = yaml_error(dir, "hiden: 500\nepoch: 3\n");
  expect_line(m, {"run.yaml:2:", "key 'hiden'", "unknown parameter", "did you mean 'hidden'?"});
  expect_line(m, {"run.yaml:3:", "key 'epoch'", "unknown parameter", "did you mean 'epochs'?"});
  const std::string f = error_of({"--data", dir.data(), "--hiden", "5"});
  expect_line(f, {"command line: --hiden", "unknown option", "did you mean --hidden?"});
  BOOST_TEST(message_lines(f).size() == 1u);  // its value is not reported as a stray argument
}

BOOST_AUTO_TEST_CASE(wrong_types) {
  TempDir dir;
  expect_line(yaml_error(dir, "epochs: ten\n"), {"run.yaml:2:", "key 'epochs'", "expected a whole number, got 'ten'"});
  expect_line(yaml_error(dir, "hidden: [100, 500]\n"), {"run.yaml:2:", "key 'hidden'", "got a list"});
  expect_line(yaml_error(dir, "hidden:\n  a: 1\n"), {"run.yaml:2:", "key 'hidden'", "got a mapping"});
  expect_line(yaml_error(dir, "epochs:\n"), {"run.yaml:2:", "key 'epochs'", "got no value"});
  expect_line(yaml_error(dir, "k: 1.5\n"), {"run.yaml:2:", "key 'k'", "expected a whole number, got '1.5'"});
  expect_line(yaml_error(dir, "train_subset: -5\n"),
              {"run.yaml:2:", "key 'train_subset'", "non-negative whole number, got '-5'"});
  expect_line(yaml_error(dir, "learning_rate: fast\n"), {"run.yaml:2:", "key 'learning_rate'", "expected a number"});
  expect_line(yaml_error(dir, "learning_rate: .nan\n"), {"run.yaml:2:", "key 'learning_rate'", "finite"});
  expect_line(yaml_error(dir, "persistent: maybe\n"),
              {"run.yaml:2:", "key 'persistent'", "expected true, false, yes or no, got 'maybe'"});
  expect_line(error_of({"--data", dir.data(), "--epochs", "ten"}),
              {"command line: --epochs: expected a whole number, got 'ten'"});
  expect_line(error_of({"--data", dir.data(), "--seed=-1"}), {"command line: --seed", "non-negative"});

  // Whole numbers written as reals are whole; reals accept exponents.
  const TrainRequest r = parse_train_request({"--data", dir.data(), "--epochs", "1e2", "--learning_rate", "1e-3"});
  BOOST_TEST(r.config.epochs == 100);
  BOOST_TEST(r.config.learning_rate == 1e-3);
}

BOOST_AUTO_TEST_CASE(out_of_range_and_enums) {
  TempDir dir;
  expect_line(yaml_error(dir, "threshold: 300\n"), {"run.yaml:2:", "key 'threshold'", "must be in 0..255, got 300"});
  expect_line(yaml_error(dir, "hidden: 0\n"), {"run.yaml:2:", "key 'hidden'", "must be in 1..100000, got 0"});
  // A size that cannot fit in memory is refused with its range, not met with std::bad_alloc mid-run.
  expect_line(yaml_error(dir, "hidden: 1000000000\n"), {"run.yaml:2:", "key 'hidden'", "must be in 1..100000, got 1000000000"});
  expect_line(yaml_error(dir, "learning_rate: 0\n"), {"run.yaml:2:", "key 'learning_rate'", "must be > 0, got 0"});
  expect_line(yaml_error(dir, "epochs: 3000000000\n"), {"run.yaml:2:", "key 'epochs'", "must be in 1..1000000, got 3000000000"});
  // Past its int field the range named is still the parameter's own, not the type's -2147483648..
  expect_line(yaml_error(dir, "S: 3000000000\n"), {"run.yaml:2:", "key 'S'", "must be in 0..2147483647, got 3000000000"});
  expect_line(yaml_error(dir, "metrics_every: 3000000000\n"),
              {"run.yaml:2:", "key 'metrics_every'", "must be in 1..2147483647, got 3000000000"});
  // Past what even a uint64 holds: the same range, not a bare "too large".
  expect_line(yaml_error(dir, "hidden: 1e20\n"), {"run.yaml:2:", "key 'hidden'", "must be in 1..100000, got 1e20"});
  expect_line(yaml_error(dir, "train_subset: 99999999999999999999\n"),
              {"run.yaml:2:", "key 'train_subset'", "must be in 0..18446744073709551615, got 99999999999999999999"});
  expect_line(yaml_error(dir, "kh: topdown\n"),
              {"run.yaml:2:", "key 'kh'", "must be one of none, top_down, bottom_up, got 'topdown'",
               "did you mean 'top_down'?"});
  expect_line(yaml_error(dir, "init: xavier\n"), {"run.yaml:2:", "key 'init'", "one of lecun, std"});
  expect_line(error_of({"--data", dir.data(), "--precision", "half"}),
              {"command line: --precision", "one of float, double", "'half'"});
}

BOOST_AUTO_TEST_CASE(file_level_errors) {
  TempDir dir;
  const std::string missing = (dir / "nope.yaml").string();
  expect_line(error_of({"--config", missing}), {"nope.yaml", "cannot read the config file", "No such file"});
  // Only a small regular file is read: a FIFO is refused at once (no blocking read), and so is a
  // file over 16 MiB, each with its reason.
  const fs::path fifo = dir / "fifo.yaml";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  expect_line(khsweep::testing::error_in_child([&] { (void)parse_train_request({"--config", fifo.string()}); }),
              {"fifo.yaml: cannot read the config file: it is a FIFO (named pipe), not a regular file"});
  expect_line(error_of({"--config", dir.path().string()}), {"cannot read the config file: it is a directory"});
  const std::string big = dir.write("big.yaml", "data: x\n");
  fs::resize_file(big, 17u << 20);
  expect_line(error_of({"--config", big}), {"big.yaml: cannot read the config file: it is 17.0 MiB", "over the limit of 16.0 MiB"});

  const std::string bad = dir.write("bad.yaml", "data: x\nhidden: [1, 2\nepochs: 3\n");
  expect_line(error_of({"--config", bad}), {"bad.yaml:", "YAML syntax error"});
  // The syntax error names line and column (1-based).
  const std::string tab = dir.write("tab.yaml", "data: x\nhidden: 1\n  epochs: 3\n");
  expect_line(error_of({"--config", tab}), {"tab.yaml:3:", "YAML syntax error"});

  const std::string list = dir.write("list.yaml", "- hidden: 1\n- epochs: 2\n");
  expect_line(error_of({"--config", list}), {"list.yaml:1:", "top level must be a mapping", "got a list"});

  const std::string twice = dir.write("twice.yaml", "data: " + dir.data() + "\nhidden: 100\nepochs: 2\nhidden: 500\n");
  expect_line(error_of({"--config", twice}), {"twice.yaml:4:", "key 'hidden'", "given twice", "line 2"});

  const std::string cmd_only = dir.write("cmd.yaml", "data: " + dir.data() + "\nquiet: true\n");
  expect_line(error_of({"--config", cmd_only}), {"cmd.yaml:2:", "key 'quiet'", "command-line option"});

  // An empty file sets nothing: data is then missing, reported against the file.
  const std::string empty = dir.write("empty.yaml", "");
  expect_line(error_of({"--config", empty}), {"empty.yaml", "data", "required"});
  BOOST_TEST(parse_train_request({"--config", empty, "--data", dir.data()}).config.hidden == 100);
}

BOOST_AUTO_TEST_CASE(command_line_errors) {
  TempDir dir;
  const std::string m = error_of({"--data", dir.data(), "stray", "--hidden", "5", "--hidden", "6", "--quiet=yes",
                                  "--epochs"});
  expect_line(m, {"command line", "unexpected argument 'stray'"});
  expect_line(m, {"command line: --hidden", "given twice"});
  expect_line(m, {"command line: --quiet", "takes no value"});
  expect_line(m, {"command line: --epochs", "needs a value"});
  BOOST_TEST(message_lines(m).size() == 4u);
  expect_line(error_of({"--hidden", "5"}), {"command line: --data", "required"});
  expect_line(error_of({"--data", (dir / "absent").string()}), {"command line: --data", "no such directory"});
  expect_line(error_of({"--data", "mnst"}), {"command line: --data", "nor a known dataset", "did you mean 'mnist'?"});
  BOOST_TEST(parse_train_request({"--data", "fashion-mnist"}).data.dataset == "fashion-mnist");
}

BOOST_AUTO_TEST_CASE(cross_field_checks) {
  TempDir dir;
  // KH settings on a baseline run are refused, each at its own line.
  const std::string m = yaml_error(dir, "hidden: 100\neps0: 0.01\ndelta: 0.2\nS: 5\n");
  expect_line(m, {"run.yaml:3:", "key 'eps0'", "has no effect when kh is none"});
  expect_line(m, {"run.yaml:4:", "key 'delta'", "has no effect when kh is none"});
  expect_line(m, {"run.yaml:5:", "key 'S'", "has no effect when kh is none"});
  BOOST_TEST(message_lines(m).size() == 3u);

  // KH without a step size says so at the kh line.
  const std::string n = yaml_error(dir, "kh: top_down\n");
  expect_line(n, {"run.yaml:2:", "key 'kh'", "needs eps0 > 0"});
  BOOST_TEST(message_lines(n).size() == 1u);  // train::validate's own eps0 message is not repeated
  expect_line(error_of({"--data", dir.data(), "--kh", "bottom_up", "--eps0", "0"}),
              {"command line: --eps0", "must be > 0 when kh is bottom_up"});

  // train::validate's messages are placed at the parameter they name.
  const std::string v = error_of({"--data", dir.data(), "--kh", "bottom_up", "--eps0", "0.01", "--hidden", "1"});
  expect_line(v, {"command line", "l", "must be < hidden"});
}

BOOST_AUTO_TEST_CASE(every_problem_in_one_throw) {
  TempDir dir;
  const std::string path = dir.write("sweep.yaml", "hiden: 500\n"
                                                   "epochs: ten\n"
                                                   "kh: sideways\n"
                                                   "threshold: 256\n"
                                                   "hiden: 400\n");
  const std::string m = error_of({"--config", path, "--batch_size", "0", "--epoch", "3"});
  const auto lines = message_lines(m);
  BOOST_TEST(lines.size() == 8u, m);
  expect_line(m, {"sweep.yaml:1:", "key 'hiden'", "did you mean 'hidden'?"});
  expect_line(m, {"sweep.yaml:2:", "key 'epochs'", "got 'ten'"});
  expect_line(m, {"sweep.yaml:3:", "key 'kh'", "sideways"});
  expect_line(m, {"sweep.yaml:4:", "key 'threshold'", "0..255"});
  expect_line(m, {"sweep.yaml:5:", "key 'hiden'", "given twice"});
  expect_line(m, {"command line: --batch_size", "must be in 1..100000, got 0"});
  expect_line(m, {"command line: --epoch", "did you mean --epochs?"});
  expect_line(m, {"sweep.yaml", "key 'data'", "required"});
  // Every line starts with its place.
  for (const auto& line : lines)
    BOOST_TEST((line.rfind(path, 0) == 0 || line.rfind("command line: ", 0) == 0), line);
}
