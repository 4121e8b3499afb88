#include "khsweep/store/transaction.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../support/scratch.hpp"
#include "khsweep/core/error.hpp"
#include "khsweep/store/h5.hpp"
#include "khsweep/store/sweep_store.hpp"

namespace fs = std::filesystem;
namespace h5 = khsweep::h5;
namespace store = khsweep::store;
using namespace khsweep::testing;

namespace {

struct Row {
  std::int64_t index;
  double value;
  char tag[8];
};

std::vector<h5::Field> row_fields() {
  return {{"index", offsetof(Row, index), h5::Type::int64},
          {"value", offsetof(Row, value), h5::Type::float64},
          {"tag", offsetof(Row, tag), h5::Type::string, sizeof(Row::tag)}};
}

Row make_row(std::int64_t i) {
  Row r{};
  r.index = i;
  r.value = 0.5 * static_cast<double>(i);
  h5::set_fixed_string(r.tag, sizeof r.tag, "r" + std::to_string(i));
  return r;
}

void put_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// One committed transaction: the table "runs" (created if absent) grows by `rows` rows, and each new
// row i gets a group /run/<i> with a small dataset.
void commit_rows(const fs::path& path, std::int64_t rows) {
  store::Transaction t = store::Transaction::begin(path);
  h5::File& f = t.file();
  if (!f.exists("runs")) f.create_table("runs", row_fields(), sizeof(Row), 4);
  const auto first = static_cast<std::int64_t>(f.row_count("runs"));
  std::vector<Row> added;
  for (std::int64_t i = first; i < first + rows; ++i) {
    added.push_back(make_row(i));
    h5::Group g = f.create_group("run/" + std::to_string(i));
    g.write_vector("values", std::vector<double>(100, static_cast<double>(i)));
    g.write_attribute("index", i);
  }
  f.append_rows("runs", row_fields(), added);
  f.write_attribute("rows", static_cast<std::int64_t>(first + rows));
  t.commit();
}

// Changes that touch the file's existing bytes (attributes of existing objects, the table, the
// root group) as well as new space.
void scribble(h5::File& f) {
  f.append_rows("runs", row_fields(), std::vector<Row>{make_row(1000), make_row(1001), make_row(1002)});
  f.write_attribute("rows", std::int64_t{-1});
  f.write_attribute("note", std::string(500, 'n'));
  f.open_group("run/0").write_attribute("index", std::int64_t{-5});
  f.create_group("run/new").write_vector("big", std::vector<float>(50000, 1.5f));
  for (int i = 0; i < 20; ++i) f.create_group("extra/g" + std::to_string(i)).write_attribute("i", i);
}

void check_rows(const fs::path& path, std::int64_t rows) {
  const h5::File f = h5::File::open_read(path);
  const auto back = f.read_table<Row>("runs", row_fields());
  BOOST_TEST_REQUIRE(back.size() == static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i) {
    const Row& r = back[static_cast<std::size_t>(i)];
    BOOST_TEST(r.index == i);
    BOOST_TEST(r.value == 0.5 * static_cast<double>(i));
    BOOST_TEST(h5::get_fixed_string(r.tag, sizeof r.tag) == "r" + std::to_string(i));
    BOOST_TEST(f.read_vector<double>("run/" + std::to_string(i) + "/values") ==
                   std::vector<double>(100, static_cast<double>(i)),
               boost::test_tools::per_element());
  }
  BOOST_TEST(f.attribute<std::int64_t>("rows") == rows);
  BOOST_TEST(f.open_group("run").child_names().size() == static_cast<std::size_t>(rows));
}

// Runs `child` in a forked process that then dies without any cleanup, as after kill -9 (its
// descriptors, hence its locks, go with it). Returns the child's exit status.
template <class F>
int in_child(F&& child) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int code = 0;
    try {
      code = child();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      code = 99;
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A transaction left open by a dead writer: changes made and flushed to the file, no commit.
void crash_mid_transaction(const fs::path& path) {
  const int code = in_child([&] {
    store::Transaction t = store::Transaction::begin(path);
    scribble(t.file());
    t.file().flush();
    std::fflush(nullptr);
    ::_exit(0);  // no destructor runs: the journal and the half-written file stay
    return 0;
  });
  BOOST_TEST_REQUIRE(code == 0);
  BOOST_TEST_REQUIRE(store::has_journal(path));
}

struct Record {
  std::uint64_t position;  // in the journal
  std::uint64_t offset;    // in the file
  std::uint64_t length;
};

std::uint64_t le64(const std::string& bytes, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  return v;
}

// The records of a journal, read by the layout in docs/store-journal.md.
std::vector<Record> journal_records(const std::string& journal) {
  std::vector<Record> records;
  std::size_t at = 40;
  while (at + 32 <= journal.size() && journal.compare(at, 4, "KHSR") == 0) {
    const Record r{at, le64(journal, at + 16), le64(journal, at + 24)};
    if (at + 32 + r.length > journal.size()) break;
    records.push_back(r);
    at += 32 + static_cast<std::size_t>(r.length);
  }
  return records;
}

}  // namespace

static_assert(!std::is_copy_constructible_v<store::Transaction>);
static_assert(!std::is_copy_assignable_v<store::Transaction>);
static_assert(std::is_nothrow_move_constructible_v<store::Transaction>);
static_assert(std::is_nothrow_move_assignable_v<store::Transaction>);

BOOST_AUTO_TEST_CASE(commit_makes_changes_durable_and_leaves_no_journal) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "store.h5";
  commit_rows(path, 3);
  BOOST_TEST(!store::has_journal(path));
  BOOST_TEST(s.listing() == std::vector<std::string>{"store.h5"}, boost::test_tools::per_element());
  check_rows(path, 3);
  commit_rows(path, 2);
  commit_rows(path, 1);
  BOOST_TEST(s.listing() == std::vector<std::string>{"store.h5"}, boost::test_tools::per_element());
  check_rows(path, 6);
  BOOST_TEST(!store::recover(path));
}

BOOST_AUTO_TEST_CASE(uncommitted_transaction_leaves_the_file_byte_for_byte_as_before) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "store.h5";
  commit_rows(path, 5);
  const std::string before = file_bytes(path);
  {
    store::Transaction t = store::Transaction::begin(path);
    BOOST_TEST(store::has_journal(path));
    scribble(t.file());
    t.file().flush();  // the changes reach the file before the rollback undoes them
    BOOST_TEST(file_bytes(path) != before);
  }
  BOOST_TEST(file_bytes(path) == before);
  BOOST_TEST(s.listing() == std::vector<std::string>{"store.h5"}, boost::test_tools::per_element());

  // Unwinding from an exception rolls back too.
  try {
    store::Transaction t = store::Transaction::begin(path);
    scribble(t.file());
    (void)t.file().open_group("no/such/group");
    BOOST_ERROR("open_group should have thrown");
  } catch (const khsweep::Error&) {
  }
  BOOST_TEST(file_bytes(path) == before);

  // Objects still open when the transaction goes are closed with it; their handles turn inert.
  std::optional<h5::Group> dangling;
  {
    store::Transaction t = store::Transaction::begin(path);
    scribble(t.file());
    dangling.emplace(t.file().create_group("dangling"));
  }
  BOOST_TEST(file_bytes(path) == before);
  BOOST_TEST(!error_of([&] { dangling->write_attribute("x", 1); }).empty());
  dangling.reset();
  BOOST_TEST(file_bytes(path) == before);
  check_rows(path, 5);
}

BOOST_AUTO_TEST_CASE(uncommitted_transaction_on_a_new_file_leaves_no_file) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "new.h5";
  {
    store::Transaction t = store::Transaction::begin(path);
    t.file().create_table("runs", row_fields(), sizeof(Row), 8);
    t.file().write_vector("v", std::vector<double>(1000, 1.0));
    t.file().flush();
    BOOST_TEST(fs::exists(path));
  }
  BOOST_TEST(s.listing().empty());
  // A file that exists but is empty counts as absent too.
  put_bytes(path, "");
  { store::Transaction t = store::Transaction::begin(path); }
  BOOST_TEST(s.listing().empty());
}

BOOST_AUTO_TEST_CASE(commit_closes_objects_left_open) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "store.h5";
  h5::Group kept = [&] {
    store::Transaction t = store::Transaction::begin(path);
    h5::Group g = t.file().create_group("g");
    g.write_attribute("a", 1);
    t.commit();
    return g;
  }();
  BOOST_TEST(!error_of([&] { kept.write_attribute("b", 2); }).empty());
  const h5::File f = h5::File::open_read(path);
  BOOST_TEST(f.open_group("g").attribute<int>("a") == 1);
  BOOST_TEST(!f.open_group("g").has_attribute("b"));
}

BOOST_AUTO_TEST_CASE(finished_transactions_refuse_further_use_and_moves_carry_the_transaction) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "store.h5";
  store::Transaction a = store::Transaction::begin(path);
  a.file().write_attribute("x", 1);
  store::Transaction b = std::move(a);
  BOOST_TEST(b.path() == path);
  b.file().write_attribute("y", 2);
  b.commit();
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { b.commit(); }), "already finished");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)b.file(); }), "already finished");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)a.file(); }), "already finished");

  // Move-assigning onto an open transaction rolls that one back.
  const std::string before = file_bytes(path);
  const fs::path other = s / "other.h5";
  store::Transaction c = store::Transaction::begin(path);
  c.file().write_attribute("z", 3);
  c.file().flush();
  c = store::Transaction::begin(other);
  BOOST_TEST(file_bytes(path) == before);
  BOOST_TEST(!store::has_journal(path));
  c.file().write_attribute("w", 4);
  c.commit();
  BOOST_TEST(h5::File::open_read(other).attribute<int>("w") == 4);
  BOOST_TEST(s.listing() == (std::vector<std::string>{"other.h5", "store.h5"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(recover_ignores_a_torn_last_record) {
  ScratchDir s("khsweep-transaction-test-");
  for (const std::string variant : {"torn extra record", "torn real record", "corrupt real record"}) {
    BOOST_TEST_CONTEXT(variant) {
      const fs::path path = s / "store.h5";
      const fs::path journal = store::journal_path(path);
      fs::remove(path);
      commit_rows(path, 4);
      const std::string before = file_bytes(path);
      crash_mid_transaction(path);
      BOOST_TEST(file_bytes(path) != before);
      std::string bytes = file_bytes(journal);
      const std::vector<Record> records = journal_records(bytes);
      BOOST_TEST_REQUIRE(records.size() >= 2u);
      const Record last = records.back();
      BOOST_TEST_REQUIRE(last.position + 32 + last.length == bytes.size());
      if (variant == "torn extra record") {
        // A record cut short while being appended: the header of a 100-byte record, 10 bytes of data.
        std::string torn = bytes.substr(last.position, 16);
        for (int i = 0; i < 8; ++i) torn += static_cast<char>(i == 0 ? 8 : 0);    // offset 8
        for (int i = 0; i < 8; ++i) torn += static_cast<char>(i == 0 ? 100 : 0);  // length 100
        torn += std::string(10, '\x7f');
        bytes += torn;
      } else {
        // The file write that the last record protected never happened: put its range back...
        std::string now = file_bytes(path);
        now.replace(last.offset, last.length, before, last.offset, last.length);
        put_bytes(path, now);
        if (variant == "torn real record") {
          bytes.resize(last.position + 32 + last.length / 2);  // ...and tear the record
        } else {
          bytes[last.position + 32 + last.length / 2] ^= 0x55;  // ...and corrupt it
        }
      }
      put_bytes(journal, bytes);
      BOOST_TEST(store::recover(path));
      BOOST_TEST(!store::has_journal(path));
      BOOST_TEST(file_bytes(path) == before);
      check_rows(path, 4);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_damaged_journal_is_kept_and_the_store_refused_not_half_rolled_back) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "store.h5";
  const fs::path journal = store::journal_path(path);
  const fs::path bad = store::damaged_journal_path(path);
  BOOST_TEST(!store::recover(path));
  commit_rows(path, 2);

  // begin() renames a synced header into place, so an invalid header under the journal's name is
  // damage: short, or failing its checksum. Nothing is rolled back, the journal is kept.
  std::string full_header = "KHSJOUR1" + std::string(32, '\0');
  full_header[16] = 1;  // original length 1, checksum 0: wrong
  for (const std::string& header : {std::string("KHSJOU"), full_header}) {
    crash_mid_transaction(path);
    const std::string half_written = file_bytes(path);
    put_bytes(journal, header);
    const std::string message = error_of([&] { (void)store::recover(path); });
    KHSWEEP_CHECK_MESSAGE_HAS(message, "an interrupted commit cannot be rolled back: its journal is damaged");
    KHSWEEP_CHECK_MESSAGE_HAS(message, "kept as " + bad.string());
    KHSWEEP_CHECK_MESSAGE_HAS(message, "Restore it from a copy");
    BOOST_TEST(!store::has_journal(path));
    BOOST_TEST(file_bytes(bad) == header);
    BOOST_TEST(file_bytes(path) == half_written);  // untouched: the evidence stays as it was
    // Every later open is refused until the user decides.
    KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)store::Transaction::begin(path); }), "refusing the store");
    KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)store::recover(path); }), "refusing the store");
    fs::remove(bad);
    fs::remove(path);
    commit_rows(path, 2);
  }

  // An invalid record with valid ones after it: a crash tears only the last record.
  const std::string before = file_bytes(path);
  crash_mid_transaction(path);
  std::string bytes = file_bytes(journal);
  const std::vector<Record> records = journal_records(bytes);
  BOOST_TEST_REQUIRE(records.size() >= 2u);
  bytes[records.front().position + 32] ^= 0x55;  // the first record's data fails its checksum
  put_bytes(journal, bytes);
  const std::string half_written = file_bytes(path);
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)store::Transaction::begin(path); }),
                            "a record fails its checksum before valid ones");
  BOOST_TEST(file_bytes(bad) == bytes);
  BOOST_TEST(file_bytes(path) == half_written);
  BOOST_TEST(before != half_written);

  // The empty file a begin() left when it died before the journal existed is still removed.
  const fs::path fresh = s / "fresh.h5";
  put_bytes(fresh, "");
  BOOST_TEST(store::recover(fresh));
  BOOST_TEST(!fs::exists(fresh));
  // A file that is not empty is never removed without a journal.
  put_bytes(fresh, "x");
  BOOST_TEST(!store::recover(fresh));
  BOOST_TEST(file_bytes(fresh) == "x");
}

BOOST_AUTO_TEST_CASE(readers_never_roll_back_they_say_a_commit_is_pending) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "store.h5";
  commit_rows(path, 2);
  const std::string before = file_bytes(path);
  crash_mid_transaction(path);
  const std::string half_written = file_bytes(path);
  for (const std::string& message : {error_of([&] { store::check_no_pending_commit(path); }),
                                     error_of([&] { (void)store::read_overview(path); })}) {
    KHSWEEP_CHECK_MESSAGE_HAS(message, "an interrupted commit is pending");
    KHSWEEP_CHECK_MESSAGE_HAS(message, "khsweep recover " + path.string());
  }
  BOOST_TEST(store::has_journal(path));  // the reader wrote nothing
  BOOST_TEST(file_bytes(path) == half_written);
  BOOST_TEST(store::recover(path));
  BOOST_TEST(file_bytes(path) == before);
  store::check_no_pending_commit(path);
}

BOOST_AUTO_TEST_CASE(recover_rolls_back_a_dead_writer_and_begin_does_too) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "store.h5";
  commit_rows(path, 3);
  const std::string before = file_bytes(path);
  crash_mid_transaction(path);
  BOOST_TEST(store::recover(path));
  BOOST_TEST(file_bytes(path) == before);

  crash_mid_transaction(path);
  commit_rows(path, 2);  // begin() rolls back first
  check_rows(path, 5);

  // A dead writer that was creating the file: recovery removes it.
  const fs::path fresh = s / "fresh.h5";
  const int code = in_child([&] {
    store::Transaction t = store::Transaction::begin(fresh);
    t.file().write_vector("v", std::vector<double>(10000, 2.0));
    t.file().flush();
    ::_exit(0);
    return 0;
  });
  BOOST_TEST_REQUIRE(code == 0);
  BOOST_TEST(fs::exists(fresh));
  BOOST_TEST(store::recover(fresh));
  BOOST_TEST(s.listing() == std::vector<std::string>{"store.h5"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_open_transaction_locks_out_readers_and_writers) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "store.h5";
  const fs::path report = s / "child.txt";
  commit_rows(path, 2);
  {
    store::Transaction t = store::Transaction::begin(path);
    scribble(t.file());
    t.file().flush();
    // Another process sees the lock, not a half-written file.
    const int code = in_child([&] {
      std::ofstream out(report);
      out << error_of([&] { (void)h5::File::open_read(path); }) << "\n";
      out << error_of([&] { (void)store::Transaction::begin(path); }) << "\n";
      out << error_of([&] { (void)store::recover(path); }) << "\n";
      return 0;
    });
    BOOST_TEST_REQUIRE(code == 0);
    std::ifstream in(report);
    std::string reader, writer, recovery;
    std::getline(in, reader);
    std::getline(in, writer);
    std::getline(in, recovery);
    KHSWEEP_CHECK_MESSAGE_HAS(reader,
                              path.string() + ": /: open for reading: the file is locked: it is open for writing");
    KHSWEEP_CHECK_MESSAGE_HAS(writer, path.string() + ": store is open in another process");
    KHSWEEP_CHECK_MESSAGE_HAS(recovery, path.string() + ": store is open in another process");
    BOOST_TEST(store::has_journal(path));  // a live transaction's journal is left alone
    // The writing process itself cannot read the file behind its own transaction either.
    KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)h5::File::open_read(path); }), "the file is locked");
    t.commit();
  }
  const int code = in_child([&] {
    const h5::File f = h5::File::open_read(path);
    return f.attribute<std::int64_t>("rows") == -1 ? 0 : 1;
  });
  BOOST_TEST(code == 0);
}

BOOST_AUTO_TEST_CASE(begin_names_the_path_and_the_reason) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path nowhere = s / "no/such/dir/store.h5";
  const std::string missing = error_of([&] { (void)store::Transaction::begin(nowhere); });
  KHSWEEP_CHECK_MESSAGE_HAS(missing, nowhere.string() + ": begin transaction: directory ");
  KHSWEEP_CHECK_MESSAGE_HAS(missing, "does not exist");
  KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { (void)store::Transaction::begin(s.path()); }), "it is a directory");

  const fs::path garbage = s / "garbage.h5";
  put_bytes(garbage, "not an HDF5 file, but bytes someone may want back");
  const std::string not_hdf5 = error_of([&] { (void)store::Transaction::begin(garbage); });
  KHSWEEP_CHECK_MESSAGE_HAS(not_hdf5, garbage.string() + ": /: open for writing: ");
  BOOST_TEST(file_bytes(garbage) == "not an HDF5 file, but bytes someone may want back");
  BOOST_TEST(!store::has_journal(garbage));

  if (::geteuid() != 0) {  // root writes anywhere
    const fs::path locked_dir = s / "read-only";
    fs::create_directory(locked_dir);
    fs::permissions(locked_dir, fs::perms::owner_read | fs::perms::owner_exec);
    const std::string unwritable = error_of([&] { (void)store::Transaction::begin(locked_dir / "store.h5"); });
    KHSWEEP_CHECK_MESSAGE_HAS(unwritable, "Permission denied");
    KHSWEEP_CHECK_MESSAGE_HAS(unwritable, "writable");
    fs::permissions(locked_dir, fs::perms::owner_all);
  }
}

BOOST_AUTO_TEST_CASE(extendible_tables_grow_by_appends) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "table.h5";
  {
    h5::File f = h5::File::create(path);
    BOOST_TEST(f.create_table("t", row_fields(), sizeof(Row), 3).vector_length() == 0u);
    f.append_rows("t", row_fields(), std::vector<Row>{});
    BOOST_TEST(f.row_count("t") == 0u);
    for (std::int64_t i = 0; i < 7; ++i) f.append_rows("t", row_fields(), std::vector<Row>{make_row(i)});
    f.append_rows("t", row_fields(), std::vector<Row>{make_row(7), make_row(8)});
    BOOST_TEST(f.row_count("t") == 9u);
    f.write_table("fixed", row_fields(), std::vector<Row>{make_row(0)});
    f.create_group("b");
    f.create_group("a");
    BOOST_TEST(f.child_names() == (std::vector<std::string>{"a", "b", "fixed", "t"}), boost::test_tools::per_element());

    std::vector<h5::Field> fewer = row_fields();
    fewer.pop_back();
    KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { f.append_rows("t", fewer, std::vector<Row>{make_row(9)}); }),
                              path.string() + ": /t: append rows: no value given for field 'tag'");
    std::vector<h5::Field> shorter = row_fields();
    shorter.back().length = 4;
    KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { f.append_rows("t", shorter, std::vector<Row>{make_row(9)}); }),
                              "field 'tag' is a 8-byte string in the file, 4 bytes in memory");
    KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { f.append_rows("fixed", row_fields(), std::vector<Row>{make_row(9)}); }),
                              "/fixed: append rows: the table has a fixed size");
    KHSWEEP_CHECK_MESSAGE_HAS(error_of([&] { f.create_table("zero", row_fields(), sizeof(Row), 0); }),
                              "chunk_rows must be at least 1");
    f.close();
  }
  const h5::File f = h5::File::open_read(path);
  const auto rows = f.read_table<Row>("t", row_fields());
  BOOST_TEST_REQUIRE(rows.size() == 9u);
  for (std::int64_t i = 0; i < 9; ++i) {
    BOOST_TEST(rows[static_cast<std::size_t>(i)].index == i);
    BOOST_TEST(h5::get_fixed_string(rows[static_cast<std::size_t>(i)].tag, 8) == "r" + std::to_string(i));
  }
  BOOST_TEST(h5::to_string(f.open_dataset("t").element_type()) == std::string("compound"));
}

BOOST_AUTO_TEST_CASE(commit_latency_of_a_small_transaction) {
  ScratchDir s("khsweep-transaction-test-");
  const fs::path path = s / "store.h5";
  commit_rows(path, 20);
  constexpr int kCommits = 20;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCommits; ++i) commit_rows(path, 1);
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  BOOST_TEST_MESSAGE("commit latency: " << took.count() / kCommits
                                        << " ms per transaction (one row + one group, including fsyncs)");
  check_rows(path, 20 + kCommits);
}
