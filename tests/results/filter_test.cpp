// The --where language: parsing (and every kind of mistake) and matching, on a real store's index.
#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "../support/scratch.hpp"
#include "six_run_store.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/results/filter.hpp"
#include "khsweep/results/query.hpp"
#include "khsweep/store/sweep_store.hpp"

using namespace khsweep;
using namespace khsweep::testing;
using Rows = std::vector<std::size_t>;

namespace {

// Rows 0..5: hidden 16 16 32 32 100 100; init lecun lecun lecun std lecun std; kh none none top_down
// top_down bottom_up top_down; eps0 nan nan 0.01 0.02 0.01 0.05; seed 1 2 1 2 3 1; row 5 failed.
store::IndexTable test_table(const ScratchDir& dir) {
  const auto path = dir / "s.h5";
  write_six_run_store(path, 0.25, "it broke");
  return results::read_store_index(path);
}

Rows select(const store::IndexTable& table, const std::string& where) {
  return results::matching_rows(table, results::parse_where(where, table));
}

}  // namespace

BOOST_AUTO_TEST_CASE(conditions_are_parsed_into_canonical_columns_operators_and_values) {
  ScratchDir dir("khsweep-filter-test-");
  const auto table = test_table(dir);
  const auto c = results::parse_where("init=lecun, M=100 ,kh=top-down,eps0>=0.01,seed in 1|2|3,status!=failed,"
                                      "Delta<1,eta<=0.1,epochs>0,",
                                      table);
  BOOST_TEST_REQUIRE(c.size() == 9u);
  BOOST_TEST(c[0].column == "init");
  BOOST_TEST((c[0].op == results::Condition::Op::eq));
  BOOST_TEST(c[0].values == std::vector<std::string>{"lecun"});
  BOOST_TEST(c[1].column == "hidden");
  BOOST_TEST(c[1].values == std::vector<std::string>{"100"});
  BOOST_TEST(c[2].column == "kh");
  BOOST_TEST((c[3].op == results::Condition::Op::ge));
  BOOST_TEST(c[4].column == "seed");
  BOOST_TEST((c[4].op == results::Condition::Op::in));
  BOOST_TEST((c[4].values == std::vector<std::string>{"1", "2", "3"}));
  BOOST_TEST((c[5].op == results::Condition::Op::ne));
  BOOST_TEST(c[6].column == "delta");
  BOOST_TEST((c[6].op == results::Condition::Op::lt));
  BOOST_TEST(c[7].column == "learning_rate");
  BOOST_TEST((c[7].op == results::Condition::Op::le));
  BOOST_TEST((c[8].op == results::Condition::Op::gt));
  BOOST_TEST(results::parse_where("", table).empty());
  BOOST_TEST(results::resolve_column("M", table) == "hidden");
  BOOST_TEST(results::resolve_column("learning-rate", table) == "learning_rate");
  BOOST_TEST(results::resolve_column("nonsense", table) == "");
}

BOOST_AUTO_TEST_CASE(each_kind_of_mistake_is_reported_and_all_at_once) {
  ScratchDir dir("khsweep-filter-test-");
  const auto table = test_table(dir);
  const auto where = [&](const std::string& text) { return error_of([&] { (void)results::parse_where(text, table); }); };
  KHSWEEP_CHECK_MESSAGE_HAS(where("hiden=100"), "unknown column 'hiden'; did you mean 'hidden'?");
  KHSWEEP_CHECK_MESSAGE_HAS(where("zzzzzzzz=1"), "unknown column 'zzzzzzzz'");
  KHSWEEP_CHECK_MESSAGE_HAS(where("eps0>>1"), "'eps0>>1': expected column OP value");
  KHSWEEP_CHECK_MESSAGE_HAS(where("eps0"), "'eps0': expected column OP value");
  KHSWEEP_CHECK_MESSAGE_HAS(where("hidden="), "'hidden=': expected column OP value");
  KHSWEEP_CHECK_MESSAGE_HAS(where("=100"), "'=100': expected column OP value");
  KHSWEEP_CHECK_MESSAGE_HAS(where("hidden!100"), "expected column OP value");
  KHSWEEP_CHECK_MESSAGE_HAS(where("init<lecun"), "'init' is text");
  KHSWEEP_CHECK_MESSAGE_HAS(where("hidden=many"), "'many' is not a number, and column 'hidden' is numeric");
  KHSWEEP_CHECK_MESSAGE_HAS(where("seed in 1|x"), "'x' is not a number");
  KHSWEEP_CHECK_MESSAGE_HAS(where("seed in 1||2"), "empty value");
  KHSWEEP_CHECK_MESSAGE_HAS(where("eps0<nan"), "nan has no order");

  const std::string all = where("hiden=100,init=lecun,eps0>>1,kh>none,seed=one");
  KHSWEEP_CHECK_MESSAGE_HAS(all, "'hiden=100': unknown column 'hiden'; did you mean 'hidden'?\n");
  KHSWEEP_CHECK_MESSAGE_HAS(all, "\n'eps0>>1': expected column OP value");
  KHSWEEP_CHECK_MESSAGE_HAS(all, "\n'kh>none': '>' needs a numeric column");
  KHSWEEP_CHECK_MESSAGE_HAS(all, "\n'seed=one': 'one' is not a number");
  BOOST_TEST(std::count(all.begin(), all.end(), '\n') == 3);
}

BOOST_AUTO_TEST_CASE(every_operator_matches_as_documented) {
  ScratchDir dir("khsweep-filter-test-");
  const auto table = test_table(dir);
  BOOST_TEST_REQUIRE(table.rows == 6u);
  BOOST_TEST(select(table, "") == (Rows{0, 1, 2, 3, 4, 5}));
  // text: exact, '-' read as '_', aliases for column names
  BOOST_TEST(select(table, "init=lecun") == (Rows{0, 1, 2, 4}));
  BOOST_TEST(select(table, "init=lec").empty());
  BOOST_TEST(select(table, "kh=top-down") == (Rows{2, 3, 5}));
  BOOST_TEST(select(table, "kh=top_down,init=std") == (Rows{3, 5}));
  BOOST_TEST(select(table, "kh!=none") == (Rows{2, 3, 4, 5}));
  BOOST_TEST(select(table, "kh in none|bottom-up") == (Rows{0, 1, 4}));
  BOOST_TEST(select(table, "status=failed") == (Rows{5}));
  BOOST_TEST(select(table, "status!=failed") == (Rows{0, 1, 2, 3, 4}));
  // numbers compare numerically: "1e2" is 100
  BOOST_TEST(select(table, "M=100") == (Rows{4, 5}));
  BOOST_TEST(select(table, "hidden=1e2") == (Rows{4, 5}));
  BOOST_TEST(select(table, "hidden!=16") == (Rows{2, 3, 4, 5}));
  BOOST_TEST(select(table, "hidden<32") == (Rows{0, 1}));
  BOOST_TEST(select(table, "hidden<=32") == (Rows{0, 1, 2, 3}));
  BOOST_TEST(select(table, "hidden>32") == (Rows{4, 5}));
  BOOST_TEST(select(table, "hidden>=32") == (Rows{2, 3, 4, 5}));
  BOOST_TEST(select(table, "seed in 2|3") == (Rows{1, 3, 4}));
  BOOST_TEST(select(table, "min_val_mse<0.2") == (Rows{2, 4}));
  BOOST_TEST(select(table, "persistent=0") == (Rows{0, 1, 2, 3, 4, 5}));
  BOOST_TEST(select(table, "persistent=true").empty());
  // NaN (a baseline's eps0, a failed run's metrics) matches nothing but "=nan"
  BOOST_TEST(select(table, "eps0>=0.01") == (Rows{2, 3, 4, 5}));
  BOOST_TEST(select(table, "eps0<1") == (Rows{2, 3, 4, 5}));
  BOOST_TEST(select(table, "eps0!=0.01") == (Rows{3, 5}));
  BOOST_TEST(select(table, "eps0=nan") == (Rows{0, 1}));
  BOOST_TEST(select(table, "eps0!=nan") == (Rows{2, 3, 4, 5}));
  BOOST_TEST(select(table, "eps0 in 0.05|nan") == (Rows{0, 1, 5}));
  BOOST_TEST(select(table, "min_val_mse=nan") == (Rows{5}));
  // all conditions must hold
  BOOST_TEST(select(table, "init=lecun,M=32,kh=top-down,eps0>=0.01") == (Rows{2}));
}
