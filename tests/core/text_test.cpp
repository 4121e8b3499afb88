// The shared text helpers: joining, quoting, and the "did you mean" match for misspelt names.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "khsweep/core/text.hpp"

using khsweep::closest_match;
using khsweep::in_quotes;
using khsweep::join;
using khsweep::lowercase;

BOOST_AUTO_TEST_CASE(join_puts_the_separator_only_between_parts) {
  BOOST_TEST(join({}, ", ") == "");
  BOOST_TEST(join({"a"}, ", ") == "a");
  BOOST_TEST(join({"a", "b", "c"}, ", ") == "a, b, c");
  BOOST_TEST(join({"x", "y"}, "\n") == "x\ny");
  // Empty parts keep their place, so a joined list splits back into the same parts.
  BOOST_TEST(join({"", "b", ""}, ",") == ",b,");
}

BOOST_AUTO_TEST_CASE(quoting_and_lowercase) {
  BOOST_TEST(in_quotes("hidden") == "'hidden'");
  BOOST_TEST(in_quotes("") == "''");
  BOOST_TEST(lowercase("Hidden_Units-3") == "hidden_units-3");
}

BOOST_AUTO_TEST_CASE(closest_match_finds_typos) {
  const std::vector<std::string> names = {"hidden", "epochs", "learning_rate", "seed", "k"};
  BOOST_TEST(closest_match("hiden", names) == "hidden");          // a letter missing
  BOOST_TEST(closest_match("hidedn", names) == "hidden");         // neighbours swapped
  BOOST_TEST(closest_match("Hidden", names) == "hidden");         // case ignored
  BOOST_TEST(closest_match("epohcs", names) == "epochs");
  BOOST_TEST(closest_match("learnig_rte", names) == "learning_rate");  // two edits in a long name
  BOOST_TEST(closest_match("sed", names) == "seed");
}

BOOST_AUTO_TEST_CASE(closest_match_leaves_short_and_distant_names_alone) {
  const std::vector<std::string> names = {"k", "lr", "seed", "hidden"};
  // One- and two-letter words are not typos of anything: every short name is "close" to every other.
  BOOST_TEST(closest_match("q", names) == "");
  BOOST_TEST(closest_match("kk", names) == "");
  BOOST_TEST(closest_match("l", names) == "");
  // Too many edits for the word's length.
  BOOST_TEST(closest_match("sdde", names) == "");
  BOOST_TEST(closest_match("visible", names) == "");
  BOOST_TEST(closest_match("anything", {}) == "");
}

BOOST_AUTO_TEST_CASE(closest_match_prefers_the_nearest_then_the_first) {
  BOOST_TEST(closest_match("seedz", {"speeds", "seed"}) == "seed");  // one edit beats two
  BOOST_TEST(closest_match("abcd", {"abce", "abcf"}) == "abce");     // a tie goes to the first
}
