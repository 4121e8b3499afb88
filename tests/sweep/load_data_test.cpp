// `data` values: a dataset name or a path, resolved, checked and loaded.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../support/env_var.hpp"
#include "../support/real_data.hpp"
#include "../support/scratch.hpp"
#include "khsweep/sweep/load_data.hpp"
#include "khsweep/sweep/run_id.hpp"

namespace fs = std::filesystem;
using namespace khsweep::sweep;
using khsweep::train::DataSelection;
using khsweep::testing::mnist_present;
using khsweep::testing::contains;
using khsweep::testing::ScopedEnv;
using khsweep::testing::ScratchDir;

namespace {

// Runs the test body from a scratch directory, so that names never meet directories of the build tree.
struct InScratch {
  ScratchDir dir{"khsweep-load-data-"};
  fs::path before = fs::current_path();
  InScratch() { fs::current_path(dir.path()); }
  ~InScratch() { fs::current_path(before); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_known_name_lives_in_the_data_directory) {
  InScratch here;
  {
    ScopedEnv env("KHSWEEP_DATA_DIR", std::nullopt);
    const DataSource source = resolve_data("mnist");
    BOOST_TEST(source.directory == fs::path("data") / "mnist");
    BOOST_REQUIRE(source.known != nullptr);
    BOOST_TEST(source.known->name == "mnist");
  }
  ScopedEnv env("KHSWEEP_DATA_DIR", std::string("/srv/data"));
  BOOST_TEST(resolve_data("fashion-mnist").directory == fs::path("/srv/data/fashion-mnist"));
  BOOST_TEST(resolve_data("fashion-mnist").known != nullptr);
}

BOOST_AUTO_TEST_CASE(paths_and_directories_stay_paths) {
  InScratch here;
  BOOST_TEST(resolve_data("data/mnist").known == nullptr);
  BOOST_TEST(resolve_data("data/mnist").directory == fs::path("data/mnist"));
  BOOST_TEST(resolve_data("./mnist").known == nullptr);
  // A directory called like a known dataset, where khsweep runs, is what the user meant.
  fs::create_directory("mnist");
  BOOST_TEST(resolve_data("mnist").known == nullptr);
  BOOST_TEST(resolve_data("mnist").directory == fs::path("mnist"));
  BOOST_TEST(data_value_problem("mnist") == "");
}

BOOST_AUTO_TEST_CASE(problems_known_before_loading) {
  InScratch here;
  ScopedEnv env("KHSWEEP_DATA_DIR", (here.dir / "nothing-here").string());
  // A known name is accepted even when its files are absent: that is found when it is loaded.
  BOOST_TEST(data_value_problem("mnist") == "");
  BOOST_TEST(data_value_problem("fashion-mnist") == "");
  BOOST_TEST(data_value_problem("some/where") == "no such directory: 'some/where'");
  std::ofstream("file") << "x";
  BOOST_TEST(data_value_problem("file") == "not a directory: 'file'");
  const std::string typo = data_value_problem("mnsit");
  BOOST_TEST(typo == "no such directory: 'mnsit', nor a known dataset (mnist, fashion-mnist); did you mean 'mnist'?");
  BOOST_TEST(data_value_problem("cifar10").find("did you mean") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_named_dataset_that_is_absent_names_the_fix) {
  InScratch here;
  ScopedEnv env("KHSWEEP_DATA_DIR", (here.dir / "store").string());
  DataSelection selection;
  selection.dataset = "mnist";
  const std::string m = khsweep::testing::error_of([&] { (void)load_data(selection); });
  KHSWEEP_CHECK_MESSAGE_HAS(m, (here.dir / "store" / "mnist").string() + ": no such directory");
  KHSWEEP_CHECK_MESSAGE_HAS(m, "bash scripts/fetch-data.sh " + (here.dir / "store").string());
}

BOOST_AUTO_TEST_CASE(name_and_path_give_one_run_id, *boost::unit_test::precondition(mnist_present)) {
  const fs::path mnist = fs::absolute(std::getenv("KHSWEEP_MNIST_DIR"));
  InScratch here;
  fs::create_directory("datasets");
  fs::create_directory_symlink(mnist, "datasets/mnist");
  ScopedEnv env("KHSWEEP_DATA_DIR", std::string("datasets"));

  khsweep::train::RunParams by_name;
  by_name.data.dataset = "mnist";
  by_name.data.train_subset = 500;
  khsweep::train::RunParams by_path = by_name;
  by_path.data.dataset = mnist.string();

  // One directory, one key: a data cache loads it once.
  DataSelection resolved = by_name.data;
  resolved.dataset = "datasets/mnist";
  BOOST_TEST(selection_key(by_name.data) == selection_key(resolved));
  BOOST_TEST(selection_key(by_name.data) != selection_key(by_path.data));  // the same files, another path
  const auto named = load_data(by_name.data);
  const auto pathed = load_data(by_path.data);
  BOOST_TEST(named.train.count == 500u);
  BOOST_TEST(run_id(by_name, named.train.checksum, named.validation.checksum) ==
             run_id(by_path, pathed.train.checksum, pathed.validation.checksum));
}
