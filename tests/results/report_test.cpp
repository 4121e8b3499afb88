// khsweep report: one self-contained HTML page with every section a reader needs, from a store of
// known values (synthetic_store.hpp: 2 configurations x 3 seeds and one failed run).
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <regex>

#include "../support/command_output.hpp"
#include "../support/scratch.hpp"
#include "khsweep/cli/commands.hpp"
#include "khsweep/core/exit_codes.hpp"
#include "khsweep/results/plot.hpp"
#include "khsweep/results/report.hpp"
#include "synthetic_store.hpp"

using namespace khsweep;
using namespace khsweep::testing;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(the_page_holds_every_section_and_loads_nothing_from_elsewhere) {
  ScratchDir dir("khsweep-report-test-");
  write_synthetic_store(dir / "s.h5");
  const auto out = capture_output([&] {
    return cli::report_command({(dir / "s.h5").string(), "--out", (dir / "r.html").string()});
  });
  BOOST_TEST(out.code == kExitOk, out.err);
  KHSWEEP_CHECK_MESSAGE_HAS(out.out, "wrote " + (dir / "r.html").string() + ": 7 runs, 2 configurations");
  const std::string page = file_bytes(dir / "r.html");
  BOOST_TEST(page.rfind("<!DOCTYPE html>", 0) == 0u);
  for (const char* section : {"id=\"runs\"", "id=\"jobs\"", "id=\"configurations\"", "id=\"best\"", "id=\"curves\"",
                              "id=\"problems\""})
    BOOST_TEST(has(page, section), section);
  // Runs by status: 6 completed, 0 diverged, 1 failed, 7 in all.
  BOOST_TEST(has(page, "<td class=\"n\">6</td><td class=\"n\">0</td><td class=\"n\">1</td><td class=\"n\">7</td>"));
  BOOST_TEST(has(page, "<td>00000000000000ff</td><td>failed</td>"));
  BOOST_TEST(has(page, "synthetic failure"));
  BOOST_TEST(has(page, "No KH runs in the store"));  // every synthetic run is a baseline
  BOOST_TEST(has(page, "<td>synthetic</td>"));        // the job's sweep
  // Self-contained: nothing is fetched (an SVG's xmlns is a name, not a load).
  BOOST_TEST(!std::regex_search(page, std::regex(R"((src|href)\s*=\s*["']?(https?:|//))")));
  BOOST_TEST(!has(page, "<script"));
  if (!results::find_gnuplot().empty()) {
    BOOST_TEST(has(page, "<svg"));
    BOOST_TEST(!has(page, "<?xml"));
  }
}

BOOST_AUTO_TEST_CASE(text_from_the_store_is_escaped) {
  BOOST_TEST(results::html_escape("a<b>&\"c\"'d'") == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
}

BOOST_AUTO_TEST_CASE(mistakes_are_one_line_each_and_nothing_is_written) {
  ScratchDir dir("khsweep-report-test-");
  write_synthetic_store(dir / "s.h5");
  auto out = capture_output([&] { return cli::report_command({(dir / "s.h5").string()}); });
  BOOST_TEST(out.code == kExitUsage);
  KHSWEEP_CHECK_MESSAGE_HAS(out.err, "khsweep report: no --out FILE.html given");
  out = capture_output([&] {
    return cli::report_command({(dir / "s.h5").string(), "--out", (dir / "r.html").string(), "--metric", "min_val_mes"});
  });
  BOOST_TEST(out.code == kExitUsage);
  KHSWEEP_CHECK_MESSAGE_HAS(out.err, "did you mean 'min_val_mse'");
  out = capture_output([&] { return cli::report_command({(dir / "absent.h5").string(), "--out", (dir / "r.html").string()}); });
  BOOST_TEST(out.code == kExitInput);
  KHSWEEP_CHECK_MESSAGE_HAS(out.err, "absent.h5");
  std::filesystem::create_directory(dir / "a-directory");
  out = capture_output([&] { return cli::report_command({(dir / "s.h5").string(), "--out", (dir / "a-directory").string()}); });
  BOOST_TEST(out.code == kExitInput);
  KHSWEEP_CHECK_MESSAGE_HAS(out.err, "not a regular file");
  BOOST_TEST(!std::filesystem::exists(dir / "r.html"));
}
