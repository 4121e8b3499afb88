// Kill torture: a writer commits transaction after transaction to one file and is killed with
// SIGKILL at a random moment, again and again; after every kill the file must hold exactly the
// committed transactions, readable through the ordinary h5 layer (and by h5dump).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../support/scratch.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/transaction.hpp"

namespace fs = std::filesystem;
namespace h5 = khsweep::h5;
namespace store = khsweep::store;
using namespace khsweep::testing;

namespace {

constexpr int kKills = 30;
constexpr int kMaxPauseMs = 400;
constexpr std::size_t kValuesPerRun = 20000;
constexpr std::uint32_t kSeed = 20240611;

struct IndexRow {
  std::int64_t run;
  double half;
};

std::vector<h5::Field> index_fields() {
  return {{"run", offsetof(IndexRow, run), h5::Type::int64}, {"half", offsetof(IndexRow, half), h5::Type::float64}};
}

std::vector<float> run_values(std::int64_t i) {
  std::vector<float> v(kValuesPerRun);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>(i) * 0.25f + static_cast<float>(k) * 1e-3f;
  return v;
}

// The writer: commits run after run, reporting each index on `report` once its commit returned.
[[noreturn]] void write_forever(const fs::path& path, int report) {
  try {
    for (;;) {
      store::Transaction t = store::Transaction::begin(path);
      h5::File& f = t.file();
      if (!f.exists("index")) f.create_table("index", index_fields(), sizeof(IndexRow), 16);
      const auto i = static_cast<std::int64_t>(f.row_count("index"));
      {
        h5::Group g = f.create_group("run/" + std::to_string(i));
        g.write_vector("values", run_values(i));
        g.write_attribute("index", i);
      }
      f.append_rows("index", index_fields(), std::vector<IndexRow>{{i, 0.5 * static_cast<double>(i)}});
      f.write_attribute("runs", i + 1);  // rewrites the root's existing attribute in place
      t.commit();
      if (::write(report, &i, sizeof i) != static_cast<ssize_t>(sizeof i)) ::_exit(4);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "writer: %s\n", e.what());
  }
  std::fflush(nullptr);
  ::_exit(3);
}

// The last index the writer reported, or -1 if it reported none.
std::int64_t last_reported(int fd) {
  std::int64_t last = -1;
  std::int64_t i = 0;
  while (::read(fd, &i, sizeof i) == static_cast<ssize_t>(sizeof i)) last = i;
  return last;
}

// Checks the file holds runs 0..n-1 and nothing else; returns n. Reads the values of runs from
// `first_new` on, and of a sample of the older ones (reading them all every time grows quadratic).
std::size_t check_store(const fs::path& path, std::size_t first_new, std::mt19937& rng) {
  const h5::File f = h5::File::open_read(path);
  const auto rows = f.read_table<IndexRow>("index", index_fields());
  const std::size_t n = rows.size();
  for (std::size_t i = 0; i < n; ++i) {
    BOOST_TEST_REQUIRE(rows[i].run == static_cast<std::int64_t>(i));
    BOOST_TEST_REQUIRE(rows[i].half == 0.5 * static_cast<double>(i));
  }
  BOOST_TEST_REQUIRE(f.attribute<std::int64_t>("runs") == static_cast<std::int64_t>(n));
  const std::vector<std::string> runs = f.open_group("run").child_names();
  BOOST_TEST_REQUIRE(runs.size() == n, "runs in /run: " << runs.size() << ", rows: " << n);
  std::vector<bool> read_values(n, false);
  for (std::size_t i = std::min(first_new, n); i < n; ++i) read_values[i] = true;
  if (n > 0) {
    read_values[0] = read_values[n - 1] = true;
    std::uniform_int_distribution<std::size_t> any(0, n - 1);
    for (int k = 0; k < 20; ++k) read_values[any(rng)] = true;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::int64_t>(i);
    const std::string name = "run/" + std::to_string(i);
    BOOST_TEST_REQUIRE(f.exists(name));
    BOOST_TEST_REQUIRE(f.open_group(name).attribute<std::int64_t>("index") == id);
    if (read_values[i])
      BOOST_TEST_REQUIRE((f.read_vector<float>(name + "/values") == run_values(id)), name << "/values differ");
  }
  return n;
}

bool have_h5dump() { return std::system("command -v h5dump > /dev/null 2>&1") == 0; }

}  // namespace

BOOST_AUTO_TEST_CASE(committed_runs_survive_repeated_kill_9) {
  ScratchDir s("khsweep-transaction-crash-");
  const fs::path path = s / "store.h5";
  const bool h5dump = have_h5dump();
  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int> pause_ms(0, kMaxPauseMs);

  std::int64_t committed = 0;  // runs known committed: last reported index + 1
  std::size_t previous = 0;
  int inside_transaction = 0;
  int with_records = 0;
  for (int kill = 0; kill < kKills; ++kill) {
    BOOST_TEST_CONTEXT("kill " << kill) {
      int pipe_fds[2];
      BOOST_TEST_REQUIRE(::pipe(pipe_fds) == 0);
      std::fflush(nullptr);
      const pid_t pid = ::fork();
      BOOST_TEST_REQUIRE(pid >= 0);
      if (pid == 0) {
        ::close(pipe_fds[0]);
        write_forever(path, pipe_fds[1]);
      }
      ::close(pipe_fds[1]);
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
      ::kill(pid, SIGKILL);
      int status = 0;
      BOOST_TEST_REQUIRE(::waitpid(pid, &status, 0) == pid);
      BOOST_TEST_REQUIRE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL), "the writer died by itself");
      const std::int64_t reported = last_reported(pipe_fds[0]);
      ::close(pipe_fds[0]);
      if (reported >= 0) committed = std::max(committed, reported + 1);

      const bool journal = store::has_journal(path);
      inside_transaction += journal ? 1 : 0;
      std::error_code ec;
      // More than the 40-byte header: the writer had overwritten bytes that the rollback restores.
      with_records += journal && fs::file_size(store::journal_path(path), ec) > 40 ? 1 : 0;
      const bool recovered = store::recover(path);  // also removes an empty file from a kill inside begin()
      BOOST_TEST_REQUIRE(recovered >= journal);
      BOOST_TEST_REQUIRE(!store::has_journal(path));
      if (!fs::exists(path)) {
        // Killed before the first commit: creating the file is rolled back too.
        BOOST_TEST_REQUIRE(committed == 0);
        continue;
      }
      const std::size_t n = check_store(path, previous, rng);
      // Every reported commit is there, and at most one more: the writer may have been killed
      // between a commit and its report. That commit may also be the previous round's, when this
      // round's writer reported nothing.
      BOOST_TEST_REQUIRE(n >= static_cast<std::size_t>(committed));
      BOOST_TEST_REQUIRE(n <= std::max(static_cast<std::size_t>(committed), previous) + 1);
      BOOST_TEST_REQUIRE(n >= previous);
      previous = n;
      if (h5dump) {
        const std::string command = "h5dump -H '" + path.string() + "' > /dev/null 2>&1";
        BOOST_TEST_REQUIRE(std::system(command.c_str()) == 0, "h5dump -H fails on the recovered file");
      }
    }
  }
  if (fs::exists(path)) BOOST_TEST(check_store(path, 0, rng) == previous);  // every run's values, once
  BOOST_TEST_MESSAGE(kKills << " kills (seed " << kSeed << "): " << inside_transaction
                            << " landed inside a transaction and were rolled back (" << with_records
                            << " after it had overwritten existing bytes); " << previous << " runs committed"
                            << (h5dump ? "; h5dump -H read every recovered file" : ""));
  // Without kills inside transactions the test would not exercise rollback at all.
  BOOST_TEST(inside_transaction >= kKills / 3);
  BOOST_TEST(previous > 0u);
}
