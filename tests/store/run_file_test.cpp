#include "khsweep/store/run_file.hpp"

#include <sys/stat.h>
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "../support/scratch.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/core/random.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/sweep_store.hpp"
#include "khsweep/version.hpp"

namespace fs = std::filesystem;
namespace h5 = khsweep::h5;
namespace store = khsweep::store;
namespace train = khsweep::train;
namespace model = khsweep::model;
using namespace khsweep::testing;

namespace {

// Same bits: NaN equals the same NaN, and -0.0 differs from 0.0.
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Every field differs from its default, so a field the store forgets shows up.
train::RunConfig sample_config() {
  train::RunConfig c;
  c.task = train::Task::classification;
  c.hidden = 3;
  c.gibbs_steps = 2;
  c.persistent = true;
  c.init = model::Init::std_normal;
  c.learning_rate = 0.05;
  c.batch_size = 7;
  c.epochs = 3;
  c.seed = 0xfffffffffffffff0ULL;  // beyond int64: must survive as uint64
  c.label_sampling = model::LabelSampling::argmax;
  c.precision = train::Precision::f64;
  c.kh = model::KhVariant::bottom_up;
  c.kh_eps0 = 0.02;
  c.kh_delta = 0.3;
  c.kh_anneal_epochs = 2;
  c.kh_rank = 2;
  c.kh_power = 3.0;
  c.kh_radius = 0.25;
  c.metrics_every = 2;
  c.train_metric_samples = 1000;
  return c;
}

// A 5 x 3 cRBM (3 pixels, 2 classes) with seeded normal weights; float_exact rounds them to floats.
train::RunResult sample_result(bool float_exact) {
  train::RunResult r;
  r.status = train::RunStatus::diverged;
  r.reason = "W became non-finite in epoch 2";
  r.receptive_field_overlap = 0.125;
  r.total_seconds = 12.5;
  r.params.layout = {3, 2, 3};
  khsweep::Rng rng(42);
  auto value = [&] {
    const double v = rng.normal();
    return float_exact ? static_cast<double>(static_cast<float>(v)) : v;
  };
  r.params.W.resize(5, 3);
  for (Eigen::Index i = 0; i < r.params.W.size(); ++i) r.params.W.data()[i] = value();
  r.params.a.resize(5);
  for (Eigen::Index i = 0; i < 5; ++i) r.params.a[i] = value();
  r.params.b.resize(3);
  for (Eigen::Index i = 0; i < 3; ++i) r.params.b[i] = value();

  for (int epoch = 0; epoch < 3; ++epoch) {
    train::EpochRecord e;
    e.epoch = epoch;
    e.kh_epsilon = 0.02 * std::pow(1.0 - epoch / 2.0, 1.5);
    e.train_seconds = 1.0 + epoch;
    e.evaluated = epoch != 1;
    if (e.evaluated) {
      e.metric_seconds = 0.25;
      e.train = {0.1 / (epoch + 1), 0.3, -80.0 + epoch, train::kNotMeasured};  // accuracy not measured
      e.validation = {0.11, 0.31, -81.0, 0.5 + 0.1 * epoch};
    }
    r.curves.push_back(e);
  }
  return r;
}

store::Provenance sample_provenance() {
  store::Provenance p;
  p.entries = {{"dataset", "mnist"},
               {"dataset_checksum", "sha256:0123abcd"},
               {"config_yaml", "hidden: 3\nepochs: 3\nkh: bottom_up\n"},
               {"host", "node-01"},
               {"started_at", "2024-05-01T12:00:00Z"},
               {"finished_at", "2024-05-01T12:00:12Z"}};
  return p;
}

// Every model parameter of the table, compared as its canonical text (exact for reals: the shortest
// text that reads back as the same double).
void check_config(const train::RunConfig& a, const train::RunConfig& b) {
  train::RunParams pa, pb;
  pa.config = a;
  pb.config = b;
  for (const auto& spec : train::run_parameters())
    if (!spec.selects_data) BOOST_TEST(spec.get(pa) == spec.get(pb), spec.name);
}

void check_metrics(const train::SetMetrics& a, const train::SetMetrics& b) {
  BOOST_TEST(same_bits(a.mse, b.mse));
  BOOST_TEST(same_bits(a.cross_entropy, b.cross_entropy));
  BOOST_TEST(same_bits(a.pseudo_log_likelihood, b.pseudo_log_likelihood));
  BOOST_TEST(same_bits(a.accuracy, b.accuracy));
}

// Bit-exact equality of everything the file stores.
void check_result(const train::RunResult& a, const train::RunResult& b) {
  BOOST_TEST((a.status == b.status));
  BOOST_TEST(a.reason == b.reason);
  BOOST_TEST(same_bits(a.receptive_field_overlap, b.receptive_field_overlap));
  BOOST_TEST(same_bits(a.total_seconds, b.total_seconds));
  BOOST_TEST_REQUIRE(a.curves.size() == b.curves.size());
  for (std::size_t i = 0; i < a.curves.size(); ++i) {
    BOOST_TEST(a.curves[i].epoch == b.curves[i].epoch);
    BOOST_TEST(same_bits(a.curves[i].kh_epsilon, b.curves[i].kh_epsilon));
    BOOST_TEST(same_bits(a.curves[i].train_seconds, b.curves[i].train_seconds));
    BOOST_TEST(same_bits(a.curves[i].metric_seconds, b.curves[i].metric_seconds));
    BOOST_TEST(a.curves[i].evaluated == b.curves[i].evaluated);
    check_metrics(a.curves[i].train, b.curves[i].train);
    check_metrics(a.curves[i].validation, b.curves[i].validation);
  }
  BOOST_TEST(a.params.layout.pixels == b.params.layout.pixels);
  BOOST_TEST(a.params.layout.classes == b.params.layout.classes);
  BOOST_TEST(a.params.layout.hidden == b.params.layout.hidden);
  BOOST_TEST_REQUIRE(a.params.W.rows() == b.params.W.rows());
  BOOST_TEST_REQUIRE(a.params.W.cols() == b.params.W.cols());
  BOOST_TEST_REQUIRE(a.params.a.size() == b.params.a.size());
  BOOST_TEST_REQUIRE(a.params.b.size() == b.params.b.size());
  BOOST_TEST(std::memcmp(a.params.W.data(), b.params.W.data(), sizeof(double) * a.params.W.size()) == 0);
  BOOST_TEST(std::memcmp(a.params.a.data(), b.params.a.data(), sizeof(double) * a.params.a.size()) == 0);
  BOOST_TEST(std::memcmp(a.params.b.data(), b.params.b.data(), sizeof(double) * a.params.b.size()) == 0);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_double_precision) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path path = s / "run.h5";
  const train::RunConfig config = sample_config();
  const train::RunResult result = sample_result(false);
  store::write_run_file(path, config, result, sample_provenance(), train::Precision::f64);

  const store::StoredRun run = store::read_run_file(path);
  BOOST_TEST(run.schema == "khsweep-run/2");
  check_config(run.config, config);
  check_result(run.result, result);

  // The writer's own entries come first, then the caller's, in order.
  std::vector<std::pair<std::string, std::string>> expected = {
      {"code_version", std::string(khsweep::kVersion) + "+" + khsweep::kGitDescribe},
      {"hdf5_version", h5::library_version()}};
  for (const auto& entry : sample_provenance().entries) expected.push_back(entry);
  BOOST_TEST_REQUIRE(run.provenance.entries.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST(run.provenance.entries[i].first == expected[i].first);
    BOOST_TEST(run.provenance.entries[i].second == expected[i].second);
  }
  BOOST_TEST_REQUIRE(run.provenance.find("config_yaml") != nullptr);
  BOOST_TEST(*run.provenance.find("config_yaml") == "hidden: 3\nepochs: 3\nkh: bottom_up\n");
  BOOST_TEST(run.provenance.find("absent") == nullptr);
}

BOOST_AUTO_TEST_CASE(round_trip_float_precision_is_bit_exact) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path path = s / "run32.h5";
  train::RunConfig config = sample_config();
  config.precision = train::Precision::f32;
  const train::RunResult result = sample_result(true);
  store::write_run_file(path, config, result, sample_provenance(), train::Precision::f32);

  const store::StoredRun run = store::read_run_file(path);
  check_config(run.config, config);
  check_result(run.result, result);  // memcmp of W, a, b: the float round trip loses no bit

  const h5::File f = h5::File::open_read(path);
  BOOST_TEST(h5::to_string(f.open_dataset("params/W").element_type()) == std::string("float32"));
  BOOST_TEST(h5::to_string(f.open_dataset("params/a").element_type()) == std::string("float32"));
  BOOST_TEST(h5::to_string(f.open_dataset("params/b").element_type()) == std::string("float32"));
}

BOOST_AUTO_TEST_CASE(layout_is_what_h5py_and_pandas_expect) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path path = s / "layout.h5";
  store::write_run_file(path, sample_config(), sample_result(false), sample_provenance(), train::Precision::f64);
  const h5::File f = h5::File::open_read(path);
  BOOST_TEST(f.attribute<std::string>("schema") == store::kRunSchema);

  const h5::Dataset W = f.open_dataset("params/W");
  BOOST_TEST((W.dims() == std::vector<std::size_t>{5, 3}));  // (visible, hidden)
  BOOST_TEST(h5::to_string(W.element_type()) == std::string("float64"));
  BOOST_TEST(f.open_dataset("params/a").vector_length() == 5u);
  BOOST_TEST(f.open_dataset("params/b").vector_length() == 3u);
  const h5::Group params = f.open_group("params");
  BOOST_TEST(params.attribute<int>("pixels") == 3);
  BOOST_TEST(params.attribute<int>("classes") == 2);
  BOOST_TEST(params.attribute<int>("hidden") == 3);

  // W(1, 2) is row 1, column 2 in the file too.
  const train::RunResult result = sample_result(false);
  model::Matrix<double> w;
  f.read_matrix("params/W", w);
  BOOST_TEST(w(1, 2) == result.params.W(1, 2));

  const h5::Group config = f.open_group("config");
  // The names of sweep files and /runs (docs/run-file.md lists them).
  const std::vector<std::string> fields = {
      "task", "hidden", "k", "persistent", "init", "learning_rate", "batch_size", "epochs", "seed",
      "label_sampling", "precision", "kh", "eps0", "delta", "S", "l", "p", "R", "model", "activation_power",
      "loss_power", "readout_beta", "readout_learning_rate", "readout_epochs", "mhc_learning_rate", "beta",
      "euler_steps", "dt", "noise", "metrics_every", "train_metric_samples"};
  // ... and they are the parameter table's model rows, so a new parameter cannot miss /config.
  std::vector<std::string> table_rows;
  for (const auto& spec : train::run_parameters())
    if (!spec.selects_data) table_rows.push_back(spec.name);
  BOOST_TEST(fields == table_rows, boost::test_tools::per_element());
  BOOST_TEST(config.attribute_names() == fields, boost::test_tools::per_element());
  BOOST_TEST(config.attribute<std::string>("kh") == "bottom_up");
  BOOST_TEST(config.attribute<bool>("persistent"));

  const h5::Group summary = f.open_group("summary");
  BOOST_TEST(summary.attribute<std::string>("status") == "diverged");
  BOOST_TEST(summary.attribute<std::int64_t>("epochs_trained") == 3);

  const h5::Dataset curves = f.open_dataset("curves");
  BOOST_TEST(h5::to_string(curves.element_type()) == std::string("compound"));
  BOOST_TEST(curves.vector_length() == 3u);
  struct Accuracy {
    double value;
    std::int8_t evaluated;
  };
  const std::vector<Accuracy> acc = f.read_table<Accuracy>(
      "curves", {{"val_accuracy", offsetof(Accuracy, value), h5::Type::float64},
                 {"evaluated", offsetof(Accuracy, evaluated), h5::Type::int8}});
  BOOST_TEST(acc[0].value == 0.5);
  BOOST_TEST(acc[1].evaluated == 0);
  BOOST_TEST(std::isnan(acc[1].value));
}

// A run file of schema 1 (khsweep before the names were unified) still reads, to the same config:
// its /config named k, eps0, delta, S, l, p, R, ... after RunConfig's fields.
BOOST_AUTO_TEST_CASE(schema_1_run_files_read_under_their_former_attribute_names) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path path = s / "old.h5";
  train::RunConfig config = sample_config();
  config.kh_anneal_epochs = 0;  // "= epochs", stored as given
  config.kh_radius = 0.0;       // "tied to init": outside R's accepted range, and still a stored value
  store::write_run_file(path, config, sample_result(false), sample_provenance(), train::Precision::f64);
  std::size_t renamed = 0;
  {
    h5::File f = h5::File::open_read_write(path);
    f.write_attribute("schema", std::string(store::kRunSchemaV1));
    h5::Group g = f.open_group("config");
    for (const auto& spec : train::run_parameters())
      for (const std::string& former : spec.former_names)
        if (g.has_attribute(spec.name)) {
          g.rename_attribute(spec.name, former);
          ++renamed;
        }
    BOOST_TEST(!g.has_attribute("eps0"));
    BOOST_TEST(g.has_attribute("kh_eps0"));
    BOOST_TEST(g.has_attribute("gibbs_steps"));
  }
  BOOST_TEST(renamed == 11u);  // k, eps0, delta, S, l, p, R, activation_power, loss_power, beta, dt
  const store::StoredRun run = store::read_run_file(path);
  BOOST_TEST(run.schema == "khsweep-run/1");
  check_config(run.config, config);
}

BOOST_AUTO_TEST_CASE(run_without_epochs_round_trips) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path path = s / "empty.h5";
  train::RunResult result = sample_result(false);
  result.curves.clear();
  result.status = train::RunStatus::completed;
  result.reason.clear();
  result.receptive_field_overlap = train::kNotMeasured;
  store::write_run_file(path, train::RunConfig{}, result, store::Provenance{}, train::Precision::f64);
  const store::StoredRun run = store::read_run_file(path);
  check_config(run.config, train::RunConfig{});
  check_result(run.result, result);
  BOOST_TEST(run.provenance.entries.size() == 2u);  // code_version and hdf5_version
}

BOOST_AUTO_TEST_CASE(success_leaves_only_the_final_file) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path path = s / "final.h5";
  store::write_run_file(path, sample_config(), sample_result(false), sample_provenance(), train::Precision::f64);
  BOOST_TEST(s.listing() == std::vector<std::string>{"final.h5"}, boost::test_tools::per_element());
  BOOST_TEST(!fs::exists(s / "final.h5.tmp"));

  // Writing again replaces the file atomically.
  train::RunResult second = sample_result(true);
  second.total_seconds = 99.0;
  store::write_run_file(path, sample_config(), second, sample_provenance(), train::Precision::f32);
  BOOST_TEST(s.listing() == std::vector<std::string>{"final.h5"}, boost::test_tools::per_element());
  BOOST_TEST(store::read_run_file(path).result.total_seconds == 99.0);
}

BOOST_AUTO_TEST_CASE(schema_mismatch_is_reported) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path other = s / "other.h5";
  {
    h5::File f = h5::File::create(other);
    f.write_attribute("schema", "khsweep-store/1");
  }
  BOOST_TEST(error_of([&] { (void)store::read_run_file(other); }) ==
             other.string() + ": not a khsweep run file (schema 'khsweep-store/1', expected 'khsweep-run/2')");

  const fs::path bare = s / "bare.h5";
  { h5::File f = h5::File::create(bare); }
  BOOST_TEST(error_of([&] { (void)store::read_run_file(bare); }) ==
             bare.string() + ": not a khsweep run file (no 'schema' attribute, expected 'khsweep-run/2')");
}

BOOST_AUTO_TEST_CASE(missing_and_corrupt_files_are_reported) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path missing = s / "missing.h5";
  const std::string none = error_of([&] { (void)store::read_run_file(missing); });
  BOOST_TEST(contains(none, missing.string()), none);
  BOOST_TEST(contains(none, "no such file"), none);

  const fs::path garbage = s / "garbage.h5";
  {
    std::ofstream out(garbage, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 131 + 7) & 0xff));
  }
  const std::string corrupt = error_of([&] { (void)store::read_run_file(garbage); });
  BOOST_TEST(contains(corrupt, garbage.string() + ": "), corrupt);

  // A run file cut short, as a copy interrupted midway would leave it.
  const fs::path whole = s / "whole.h5";
  store::write_run_file(whole, sample_config(), sample_result(false), sample_provenance(), train::Precision::f64);
  const fs::path cut = s / "cut.h5";
  fs::copy_file(whole, cut);
  fs::resize_file(cut, fs::file_size(whole) / 2);
  const std::string truncated = error_of([&] { (void)store::read_run_file(cut); });
  BOOST_TEST(contains(truncated, cut.string() + ": "), truncated);
}

BOOST_AUTO_TEST_CASE(unwritable_destinations_are_refused_up_front) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path no_dir = s / "no/such/dir/run.h5";
  const std::string missing = error_of([&] { store::check_writable(no_dir); });
  BOOST_TEST(missing == no_dir.string() + ": cannot write: directory '" + no_dir.parent_path().string() +
                            "' does not exist");
  BOOST_TEST(contains(error_of([&] {
                        store::write_run_file(no_dir, sample_config(), sample_result(false), {}, train::Precision::f64);
                      }),
                      "does not exist"));

  // Tests run as root, whom permission bits do not stop; a regular file as the "directory" does.
  const fs::path blocker = s / "somefile";
  std::ofstream(blocker) << "x";
  const fs::path under_file = blocker / "run.h5";
  const std::string not_dir = error_of([&] { store::check_writable(under_file); });
  BOOST_TEST(not_dir == under_file.string() + ": cannot write: '" + blocker.string() + "' is not a directory");

  const std::string proc = error_of([&] { store::check_writable("/proc/khsweep-run.h5"); });
  BOOST_TEST(contains(proc, "/proc/khsweep-run.h5: cannot write: "), proc);

  const std::string is_dir = error_of([&] { store::check_writable(s.path()); });
  BOOST_TEST(contains(is_dir, "it is a directory"), is_dir);

  store::check_writable(s / "fine.h5");
  BOOST_TEST(s.listing() == std::vector<std::string>{"somefile"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(invalid_content_is_refused_before_anything_is_written) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path path = s / "bad.h5";
  train::RunResult bad_shape = sample_result(false);
  bad_shape.params.W.resize(3, 5);
  const std::string shape = error_of(
      [&] { store::write_run_file(path, sample_config(), bad_shape, {}, train::Precision::f64); });
  BOOST_TEST(contains(shape, path.string() + ": cannot write run: W is 3x5"), shape);

  store::Provenance reserved;
  reserved.entries = {{"schema", "mine"}};
  BOOST_TEST(contains(error_of([&] {
                        store::write_run_file(path, sample_config(), sample_result(false), reserved,
                                              train::Precision::f64);
                      }),
                      "provenance key 'schema' is reserved"));
  store::Provenance twice;
  twice.entries = {{"host", "a"}, {"host", "b"}};
  BOOST_TEST(contains(error_of([&] {
                        store::write_run_file(path, sample_config(), sample_result(false), twice,
                                              train::Precision::f64);
                      }),
                      "provenance key 'host' appears twice"));
  BOOST_TEST(s.listing().empty());
}

BOOST_AUTO_TEST_CASE(h5dump_reads_the_file) {
  if (std::system("command -v h5dump > /dev/null 2>&1") != 0) {
    BOOST_TEST_MESSAGE("h5dump is not on PATH: skipping the h5dump check");
    return;
  }
  ScratchDir s("khsweep-run-file-test-");
  const fs::path path = s / "dump.h5";
  store::write_run_file(path, sample_config(), sample_result(true), sample_provenance(), train::Precision::f32);
  const fs::path header = s / "header.txt";
  const int status = std::system(("h5dump -H '" + path.string() + "' > '" + header.string() + "' 2>&1").c_str());
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  const std::string text = read_text(header);
  BOOST_TEST(contains(text, "DATASET \"curves\""), text);
  BOOST_TEST(contains(text, "H5T_COMPOUND"), text);
  BOOST_TEST(contains(text, "H5T_IEEE_F32LE"), text);
  BOOST_TEST(contains(text, "DATASPACE  SIMPLE { ( 5, 3 ) / ( 5, 3 ) }"), text);

  const fs::path schema = s / "schema.txt";
  const std::string dump_schema = "h5dump -a /schema '" + path.string() + "' > '" + schema.string() + "' 2>&1";
  const int attr_status = std::system(dump_schema.c_str());
  BOOST_TEST(WEXITSTATUS(attr_status) == 0);
  BOOST_TEST(contains(read_text(schema), "\"khsweep-run/2\""), read_text(schema));
}

BOOST_AUTO_TEST_CASE(out_replaces_only_run_files_unless_forced_and_never_stores_or_special_files) {
  ScratchDir s("khsweep-run-file-test-");
  const fs::path run = s / "run.h5";
  store::check_replaceable(run, false);  // nothing there yet
  store::write_run_file(run, sample_config(), sample_result(false), sample_provenance(), train::Precision::f64);
  store::check_replaceable(run, false);  // a run file: rewriting it is the normal case

  const fs::path notes = s / "notes.txt";
  std::ofstream(notes) << "a researcher's notes";
  const std::string plain = error_of([&] { store::check_replaceable(notes, false); });
  BOOST_TEST(plain == notes.string() + ": cannot write: the file exists and is not a khsweep run file; pass --force "
                                       "to replace it");
  store::check_replaceable(notes, true);

  const fs::path other = s / "other.h5";  // some other HDF5 file
  {
    h5::File f = h5::File::create(other);
    f.write_attribute("schema", std::string("someone-else/3"));
  }
  BOOST_TEST(contains(error_of([&] { store::check_replaceable(other, false); }), "(schema 'someone-else/3')"));
  store::check_replaceable(other, true);

  const fs::path sweep_store = s / "sweep.h5";
  {
    h5::File f = h5::File::create(sweep_store);
    f.write_attribute("schema", std::string(store::kStoreSchema));
  }
  for (bool force : {false, true})
    BOOST_TEST(error_of([&] { store::check_replaceable(sweep_store, force); }) ==
               sweep_store.string() + ": cannot write: it is a khsweep sweep store; khsweep train never replaces one "
                                      "(choose another --out)");

  const fs::path fifo = s / "fifo.h5";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const fs::path link = s / "link.h5";
  fs::create_symlink(run, link);
  for (bool force : {false, true}) {
    BOOST_TEST(contains(error_of([&] { store::check_replaceable(fifo, force); }), "it is a FIFO; khsweep train never"));
    BOOST_TEST(contains(error_of([&] { store::check_replaceable(link, force); }), "it is a symbolic link"));
    BOOST_TEST(contains(error_of([&] { store::check_replaceable(s.path(), force); }), "it is a directory"));
  }
  BOOST_TEST(fs::is_fifo(fifo));
  BOOST_TEST(fs::is_symlink(link));
}
