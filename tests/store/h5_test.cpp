#include "khsweep/store/h5.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "../support/scratch.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/model/rbm.hpp"

namespace fs = std::filesystem;
namespace h5 = khsweep::h5;
using namespace khsweep::testing;

namespace {

struct Row {
  std::int32_t id;
  double value;
  char name[8];
  std::int8_t flag;
  float weight;
  std::uint64_t big;
};

std::vector<h5::Field> row_fields() {
  return {{"id", offsetof(Row, id), h5::Type::int32},      {"value", offsetof(Row, value), h5::Type::float64},
          {"name", offsetof(Row, name), h5::Type::string, 8}, {"flag", offsetof(Row, flag), h5::Type::int8},
          {"weight", offsetof(Row, weight), h5::Type::float32}, {"big", offsetof(Row, big), h5::Type::uint64}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(handles_are_move_only) {
  static_assert(!std::is_copy_constructible_v<h5::File>);
  static_assert(!std::is_copy_assignable_v<h5::Group>);
  static_assert(std::is_nothrow_move_constructible_v<h5::Dataset>);
  static_assert(std::is_nothrow_move_constructible_v<h5::File>);
  ScratchDir s("khsweep-h5-test-");
  h5::File a = h5::File::create(s / "move.h5");
  h5::File b = std::move(a);
  b.write_attribute("x", 1);
  b.close();
  b.close();  // closing twice is a no-op
  BOOST_TEST(fs::exists(s / "move.h5"));
}

BOOST_AUTO_TEST_CASE(attributes_round_trip) {
  ScratchDir s("khsweep-h5-test-");
  const std::string utf8 = "K\xc3\xb6nig \xe2\x80\x94 line 1\nline 2";
  {
    h5::File f = h5::File::create(s / "attrs.h5");
    f.write_attribute("text", utf8);
    f.write_attribute("empty", std::string());
    f.write_attribute("literal", "abc");
    f.write_attribute("yes", true);
    f.write_attribute("no", false);
    f.write_attribute("int", -7);
    f.write_attribute("int64_min", std::numeric_limits<std::int64_t>::min());
    f.write_attribute("uint64_max", std::numeric_limits<std::uint64_t>::max());
    f.write_attribute("nan", std::numeric_limits<double>::quiet_NaN());
    f.write_attribute("tiny", std::numeric_limits<double>::denorm_min());
    f.write_attribute("replaced", 1.0);
    f.write_attribute("replaced", std::string("now a string"));
    f.create_group("g").write_attribute("third", 3);
    f.close();
  }
  const h5::File f = h5::File::open_read(s / "attrs.h5");
  BOOST_TEST(f.attribute<std::string>("text") == utf8);
  BOOST_TEST(f.attribute<std::string>("empty").empty());
  BOOST_TEST(f.attribute<std::string>("literal") == "abc");
  BOOST_TEST(f.attribute<bool>("yes"));
  BOOST_TEST(!f.attribute<bool>("no"));
  BOOST_TEST(f.attribute<int>("int") == -7);
  BOOST_TEST(f.attribute<double>("int") == -7.0);  // integers widen to double
  BOOST_TEST(f.attribute<std::int64_t>("int64_min") == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(f.attribute<std::uint64_t>("uint64_max") == std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(std::isnan(f.attribute<double>("nan")));
  BOOST_TEST(f.attribute<double>("tiny") == std::numeric_limits<double>::denorm_min());
  BOOST_TEST(f.attribute<std::string>("replaced") == "now a string");
  BOOST_TEST(f.has_attribute("yes"));
  BOOST_TEST(!f.has_attribute("maybe"));
  BOOST_TEST(f.open_group("g").attribute<int>("third") == 3);

  // Creation order, with "replaced" moved to the end by its rewrite.
  const std::vector<std::string> expected = {"text", "empty", "literal", "yes", "no", "int", "int64_min",
                                             "uint64_max", "nan", "tiny", "replaced"};
  BOOST_TEST(f.attribute_names() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(attribute_errors_name_file_object_and_attribute) {
  ScratchDir s("khsweep-h5-test-");
  const fs::path path = s / "attr_errors.h5";
  {
    h5::File f = h5::File::create(path);
    h5::Group g = f.create_group("a/b");
    g.write_attribute("label", "x");
    g.write_attribute("huge", std::numeric_limits<std::int64_t>::max());
    g.write_attribute("negative", -1);
    g.write_attribute("real", 0.5);
  }
  const h5::File f = h5::File::open_read(path);
  const h5::Group g = f.open_group("a/b");

  const std::string missing = error_of([&] { (void)g.attribute<int>("nope"); });
  BOOST_TEST(contains(missing, path.string() + ": /a/b: read attribute 'nope': no such attribute"), missing);

  const std::string wrong_type = error_of([&] { (void)g.attribute<int>("label"); });
  BOOST_TEST(contains(wrong_type, path.string() + ": /a/b: read attribute 'label': it is a string"), wrong_type);

  const std::string too_big = error_of([&] { (void)g.attribute<int>("huge"); });
  BOOST_TEST(contains(too_big, "does not fit an int"), too_big);
  const std::string negative = error_of([&] { (void)g.attribute<std::uint64_t>("negative"); });
  BOOST_TEST(contains(negative, "value -1 does not fit a uint64"), negative);
  const std::string real = error_of([&] { (void)g.attribute<std::int64_t>("real"); });
  BOOST_TEST(contains(real, "it is a float, expected an integer"), real);
  const std::string not_string = error_of([&] { (void)g.attribute<std::string>("real"); });
  BOOST_TEST(contains(not_string, "expected a string"), not_string);
}

BOOST_AUTO_TEST_CASE(vectors_and_matrices_round_trip) {
  ScratchDir s("khsweep-h5-test-");
  const fs::path path = s / "arrays.h5";
  khsweep::model::Matrix<double> wd(2, 3);
  wd << 1.0, 0.1, -2.5, 1e-300, std::numeric_limits<double>::infinity(), 6.0;
  khsweep::model::Matrix<float> wf(3, 2);
  wf << 1.0f, 0.1f, -2.5f, 1e-30f, 5.0f, 6.0f;
  const std::vector<double> vd = {0.1, 0.2, -0.3};
  const std::vector<float> vf = {0.5f, 1.0f / 3.0f};
  const std::vector<int> vi = {std::numeric_limits<int>::min(), 0, std::numeric_limits<int>::max()};
  const khsweep::model::Vector<double> ev = khsweep::model::Vector<double>::LinSpaced(4, 0.0, 1.0);
  {
    h5::File f = h5::File::create(path);
    f.write_matrix("m/double", wd);
    f.write_matrix("m/float", wf);
    f.write_vector("v/double", vd);
    f.write_vector("v/float", vf);
    f.write_vector("v/int", vi);
    f.write_vector("v/eigen", ev);
    f.write_vector("v/empty", std::vector<double>{});
    f.write_vector("v/huge", std::vector<double>{1e300});
    const double raw[6] = {1, 2, 3, 4, 5, 6};
    f.write_matrix("m/raw", raw, 3, 2).write_attribute("unit", "none");
    f.close();
  }
  const h5::File f = h5::File::open_read(path);
  khsweep::model::Matrix<double> rd;
  f.read_matrix("m/double", rd);
  BOOST_TEST(rd.rows() == 2);
  BOOST_TEST(rd.cols() == 3);
  BOOST_TEST((rd.array() == wd.array()).all());
  khsweep::model::Matrix<float> rf;
  f.read_matrix("m/float", rf);
  BOOST_TEST((rf.array() == wf.array()).all());
  // float32 on disk read as double: widening is exact.
  khsweep::model::Matrix<double> rfd;
  f.read_matrix("m/float", rfd);
  BOOST_TEST((rfd.array() == wf.cast<double>().array()).all());

  BOOST_TEST(f.read_vector<double>("v/double") == vd, boost::test_tools::per_element());
  BOOST_TEST(f.read_vector<float>("v/float") == vf, boost::test_tools::per_element());
  BOOST_TEST(f.read_vector<int>("v/int") == vi, boost::test_tools::per_element());
  khsweep::model::Vector<double> rev;
  f.read_vector("v/eigen", rev);
  BOOST_TEST((rev.array() == ev.array()).all());
  BOOST_TEST(f.read_vector<double>("v/empty").empty());

  const h5::Dataset raw = f.open_dataset("m/raw");
  BOOST_TEST((raw.dims() == std::vector<std::size_t>{3, 2}));  // row-major: h5py shape (3, 2)
  BOOST_TEST(raw.attribute<std::string>("unit") == "none");
  BOOST_TEST(h5::to_string(raw.element_type()) == std::string("float64"));
  BOOST_TEST(h5::to_string(f.open_dataset("m/float").element_type()) == std::string("float32"));
  BOOST_TEST(h5::to_string(f.open_dataset("v/int").element_type()) == std::string("int32"));

  const std::string to_int = error_of([&] { (void)f.read_vector<int>("v/double"); });
  BOOST_TEST(contains(to_int, path.string() + ": /v/double: read as int32: it holds a float type"), to_int);
  // HDF5 would clip 1e300 to FLT_MAX silently; the layer makes the overflow an error.
  const std::string huge = error_of([&] { (void)f.read_vector<float>("v/huge"); });
  BOOST_TEST(contains(huge, path.string() + ": /v/huge: read as float32: "), huge);
  const std::string rank = error_of([&] { (void)f.read_vector<double>("m/double"); });
  BOOST_TEST(contains(rank, "/m/double: expected a 1-D dataset, found 2-D"), rank);
  const std::string missing = error_of([&] { (void)f.read_vector<double>("v/none"); });
  BOOST_TEST(contains(missing, "/v/none: open dataset: no such dataset"), missing);
}

BOOST_AUTO_TEST_CASE(strided_matrix_is_refused) {
  ScratchDir s("khsweep-h5-test-");
  h5::File f = h5::File::create(s / "strided.h5");
  khsweep::model::Matrix<double> m = khsweep::model::Matrix<double>::Zero(4, 4);
  const auto block = m.block(0, 0, 2, 2);
  const std::string message = error_of([&] { f.write_matrix("block", block); });
  BOOST_TEST(contains(message, "/block: write matrix: the matrix is a strided view"), message);
}

BOOST_AUTO_TEST_CASE(groups_nest_and_exist) {
  ScratchDir s("khsweep-h5-test-");
  const fs::path path = s / "groups.h5";
  {
    h5::File f = h5::File::create(path);
    h5::Group c = f.create_group("a/b/c");
    BOOST_TEST(c.path() == "/a/b/c");
    h5::Group b = f.open_group("a/b");
    h5::Group d = b.create_group("d");
    BOOST_TEST(d.path() == "/a/b/d");
    b.write_vector("data", std::vector<double>{1.0});
  }
  const h5::File f = h5::File::open_read(path);
  BOOST_TEST(f.exists("a"));
  BOOST_TEST(f.exists("a/b/c"));
  BOOST_TEST(f.exists("/a/b/d"));
  BOOST_TEST(f.exists("a/b/data"));
  BOOST_TEST(!f.exists("a/x/y"));
  BOOST_TEST(!f.exists("a/b/data/below"));
  BOOST_TEST(!f.exists("z"));
  const std::string message = error_of([&] { (void)f.open_group("a/missing"); });
  BOOST_TEST(contains(message, path.string() + ": /a/missing: open group: no such group"), message);
}

BOOST_AUTO_TEST_CASE(hdf5_failures_carry_the_innermost_reason) {
  ScratchDir s("khsweep-h5-test-");
  const fs::path path = s / "dup.h5";
  h5::File f = h5::File::create(path);
  f.write_vector("v", std::vector<double>{1.0});
  const std::string message = error_of([&] { f.write_vector("v", std::vector<double>{2.0}); });
  // HDF5's innermost description of a name clash.
  BOOST_TEST(contains(message, path.string() + ": /v: write dataset: "), message);
  BOOST_TEST(contains(message, "already exists"), message);
  BOOST_TEST(message.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(table_round_trip_with_strings) {
  ScratchDir s("khsweep-h5-test-");
  const fs::path path = s / "table.h5";
  std::vector<Row> rows(3);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].id = static_cast<std::int32_t>(i) - 1;
    rows[i].value = 0.1 * static_cast<double>(i);
    h5::set_fixed_string(rows[i].name, sizeof rows[i].name, std::string(i * 4, 'x'));  // "", 4 and 8 bytes
    rows[i].flag = static_cast<std::int8_t>(i % 2);
    rows[i].weight = 1.5f * static_cast<float>(i);
    rows[i].big = std::numeric_limits<std::uint64_t>::max() - i;
  }
  rows[1].value = std::numeric_limits<double>::quiet_NaN();
  {
    h5::File f = h5::File::create(path);
    f.write_table("runs", row_fields(), rows);
    f.write_table("none", row_fields(), std::vector<Row>{});
    f.close();
  }
  const h5::File f = h5::File::open_read(path);
  BOOST_TEST(h5::to_string(f.open_dataset("runs").element_type()) == std::string("compound"));
  const std::vector<Row> back = f.read_table<Row>("runs", row_fields());
  BOOST_TEST_REQUIRE(back.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    BOOST_TEST(back[i].id == rows[i].id);
    BOOST_TEST(std::memcmp(&back[i].value, &rows[i].value, sizeof(double)) == 0);
    BOOST_TEST(h5::get_fixed_string(back[i].name, sizeof back[i].name) == std::string(i * 4, 'x'));
    BOOST_TEST(back[i].flag == rows[i].flag);
    BOOST_TEST(back[i].weight == rows[i].weight);
    BOOST_TEST(back[i].big == rows[i].big);
  }
  BOOST_TEST(f.read_table<Row>("none", row_fields()).empty());

  // A reader may ask for a subset of the columns.
  const std::vector<h5::Field> some = {{"weight", offsetof(Row, weight), h5::Type::float32}};
  const std::vector<Row> partial = f.read_table<Row>("runs", some);
  BOOST_TEST(partial[2].weight == 3.0f);

  const std::vector<h5::Field> unknown = {{"colour", offsetof(Row, value), h5::Type::float64}};
  const std::string message = error_of([&] { (void)f.read_table<Row>("runs", unknown); });
  BOOST_TEST(contains(message, path.string() + ": /runs: read table: no field 'colour'"), message);
  const std::vector<h5::Field> as_number = {{"name", offsetof(Row, value), h5::Type::float64}};
  const std::string mismatch = error_of([&] { (void)f.read_table<Row>("runs", as_number); });
  BOOST_TEST(contains(mismatch, "field 'name' is a string, expected a number"), mismatch);
}

BOOST_AUTO_TEST_CASE(table_fields_are_checked) {
  ScratchDir s("khsweep-h5-test-");
  h5::File f = h5::File::create(s / "bad_table.h5");
  const std::vector<Row> rows(1);
  const std::vector<h5::Field> outside = {{"value", sizeof(Row), h5::Type::float64}};
  BOOST_TEST(contains(error_of([&] { f.write_table("t", outside, rows); }), "does not fit in a"));
  const std::vector<h5::Field> dup = {{"a", offsetof(Row, value), h5::Type::float64},
                                      {"a", offsetof(Row, id), h5::Type::int32}};
  BOOST_TEST(contains(error_of([&] { f.write_table("t2", dup, rows); }), "/t2: add field 'a'"));
  char small[4];
  BOOST_TEST(contains(error_of([&] { h5::set_fixed_string(small, sizeof small, "toolong"); }), "does not fit"));
  h5::set_fixed_string(small, sizeof small, "four");  // exactly full: no terminator needed
  BOOST_TEST(h5::get_fixed_string(small, sizeof small) == "four");
}

BOOST_AUTO_TEST_CASE(open_errors_name_the_file) {
  ScratchDir s("khsweep-h5-test-");
  const fs::path missing = s / "missing.h5";
  BOOST_TEST(error_of([&] { (void)h5::File::open_read(missing); }) == missing.string() + ": cannot open: no such file");

  const fs::path garbage = s / "garbage.h5";
  std::ofstream(garbage) << "this is not an HDF5 file, just some bytes\n";
  const std::string message = error_of([&] { (void)h5::File::open_read(garbage); });
  BOOST_TEST(contains(message, garbage.string() + ": /: open for reading: "), message);

  const std::string dir = error_of([&] { (void)h5::File::open_read(s.path()); });
  BOOST_TEST(contains(dir, "it is a directory"), dir);

  const fs::path nowhere = s / "no/such/dir/x.h5";
  const std::string create = error_of([&] { (void)h5::File::create(nowhere); });
  BOOST_TEST(contains(create, nowhere.string() + ": /: create file: "), create);
}

BOOST_AUTO_TEST_CASE(close_refuses_while_objects_are_open) {
  ScratchDir s("khsweep-h5-test-");
  h5::File f = h5::File::create(s / "open.h5");
  h5::Group g = f.create_group("g");
  BOOST_TEST(contains(error_of([&] { f.close(); }), "1 object(s) of the file are still open"));
  {
    h5::Group done = std::move(g);
  }
  f.close();
}

// HDF5 would print "HDF5-DIAG" to stderr for every failure below; nothing may reach stderr.
BOOST_AUTO_TEST_CASE(failures_print_nothing_to_stderr) {
  ScratchDir s("khsweep-h5-test-");
  const fs::path garbage = s / "garbage.h5";
  std::ofstream(garbage) << "not hdf5";
  const fs::path captured = s / "stderr.txt";
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  BOOST_TEST_REQUIRE(std::freopen(captured.c_str(), "w", stderr) != nullptr);
  auto provoke = [&] {
    try {
      (void)h5::File::open_read(garbage);
    } catch (const khsweep::Error&) {
    }
    try {
      h5::File f = h5::File::create(s / "x.h5");
      f.write_vector("v", std::vector<double>{1.0});
      f.write_vector("v", std::vector<double>{1.0});
    } catch (const khsweep::Error&) {
    }
  };
  provoke();
  // HDF5 keeps its error printing setting per thread.
  std::thread other(provoke);
  other.join();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::ifstream in(captured);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  BOOST_TEST(text.empty(), "stderr received: " << text);
}

BOOST_AUTO_TEST_CASE(library_version_is_reported) {
  const std::string v = h5::library_version();
  BOOST_TEST(std::count(v.begin(), v.end(), '.') == 2);
  BOOST_TEST(v.front() == '1');
}
