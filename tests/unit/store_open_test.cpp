// Store::open on files that are not (or no longer) what it expects: every case is a clear Error,
// never a crash, and a file that is not ours is left untouched.

#include <gtest/gtest.h>

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "store/database.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/fixtures.hpp"

using namespace ferry;
using namespace ferry::store;

namespace {

void rawExec(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

Error openError(const std::filesystem::path& path) {
  auto store = Store::open(path);
  EXPECT_FALSE(store) << "opening " << path << " should fail";
  return store ? Error() : store.error();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void createStoreWithTasks(const std::filesystem::path& path, int tasks) {
  auto store = Store::open(path);
  ASSERT_TRUE(store) << store.error().describe();
  ASSERT_TRUE((*store)->begin(true));
  ASSERT_TRUE((*store)->upsertSession(SessionRow{"s", "{}", 1}));
  for (int i = 1; i <= tasks; ++i) {
    TaskRow t;
    t.id = static_cast<std::uint64_t>(i);
    t.session = "s";
    t.request_json = std::string(300, 'r');
    ASSERT_TRUE((*store)->upsertTask(t));
  }
  ASSERT_TRUE((*store)->commit());
}

// Runs `body` in a child process without the privileges of root (which ignores file modes), and
// returns what it wrote to the pipe, or "skip" when privileges cannot be dropped.
std::string runUnprivileged(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = "skip";
    if (::geteuid() != 0 || (::setgid(65534) == 0 && ::setuid(65534) == 0)) out = body();
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

}  // namespace

TEST(StoreOpen, GarbageFileIsRefusedAndLeftAlone) {
  test::TempDir dir;
  auto path = dir / "state.db";
  test::writeRandomFile(path, 64 * 1024, 7);
  const auto before = test::sha256File(path);
  auto err = openError(path);
  EXPECT_EQ(err.code, errc::io);
  EXPECT_TRUE(contains(err.message, "is not a Ferry state database")) << err.message;
  EXPECT_TRUE(contains(err.message, path.string())) << err.message;
  EXPECT_TRUE(contains(err.message, "move it aside")) << err.message;
  EXPECT_EQ(test::sha256File(path), before);
  EXPECT_FALSE(std::filesystem::exists(dir / "state.db-wal"));
}

TEST(StoreOpen, ShortTextFileIsRefused) {
  test::TempDir dir;
  auto path = dir / "state.db";
  test::writeFile(path, "hello, I am not a database\n");
  auto err = openError(path);
  EXPECT_EQ(err.code, errc::io);
  EXPECT_TRUE(contains(err.message, "is not a Ferry state database")) << err.message;
}

TEST(StoreOpen, EmptyFileBecomesAFreshDatabase) {
  test::TempDir dir;
  auto path = dir / "state.db";
  test::writeFile(path, "");
  auto store = Store::open(path);
  ASSERT_TRUE(store) << store.error().describe();
  EXPECT_TRUE((*store)->load());
}

TEST(StoreOpen, SQLiteDatabaseOfAnotherProgramIsRefusedAndLeftAlone) {
  test::TempDir dir;
  auto path = dir / "other.db";
  rawExec(path, "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ann');");
  const auto before = test::sha256File(path);
  auto err = openError(path);
  EXPECT_EQ(err.code, errc::io);
  EXPECT_TRUE(contains(err.message, "another program")) << err.message;
  EXPECT_EQ(test::sha256File(path), before);
}

TEST(StoreOpen, ForeignDatabaseWithHighUserVersionIsNotCalledNewer) {
  test::TempDir dir;
  auto path = dir / "other.db";
  rawExec(path, "CREATE TABLE t (x); PRAGMA user_version = 7;");
  auto err = openError(path);
  EXPECT_EQ(err.code, errc::io);
  EXPECT_TRUE(contains(err.message, "not a Ferry state database")) << err.message;
}

TEST(StoreOpen, NewerSchemaIsAVersionMismatch) {
  test::TempDir dir;
  auto path = dir / "state.db";
  createStoreWithTasks(path, 1);
  rawExec(path, "PRAGMA user_version = 7;");
  auto err = openError(path);
  EXPECT_EQ(err.code, errc::version_mismatch);
  EXPECT_TRUE(contains(err.message, "is from a newer ferryd (schema 7, this one knows " + std::to_string(schema::kVersion) + ")")) << err.message;
  EXPECT_TRUE(contains(err.message, "upgrade ferryd or move the state directory aside")) << err.message;
  EXPECT_TRUE(contains(err.message, path.string())) << err.message;
}

TEST(StoreOpen, MissingTableIsReportedAsDamage) {
  test::TempDir dir;
  auto path = dir / "state.db";
  createStoreWithTasks(path, 1);
  rawExec(path, "DROP TABLE resume_tokens;");
  auto err = openError(path);
  EXPECT_EQ(err.code, errc::io);
  EXPECT_TRUE(contains(err.message, "damaged")) << err.message;
  EXPECT_TRUE(contains(err.message, "resume_tokens")) << err.message;
}

TEST(StoreOpen, CorruptedPagesAreReportedNotCrashedOn) {
  test::TempDir dir;
  auto path = dir / "state.db";
  createStoreWithTasks(path, 400);  // ~30 pages of tasks
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f);
    // Scribble over pages 3..6 (page size 4096), leaving the header and schema page intact.
    f.seekp(2 * 4096 + 100);
    std::string junk(4 * 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto err = openError(path);
  EXPECT_EQ(err.code, errc::io);
  EXPECT_TRUE(contains(err.message, "damaged")) << err.message;
  EXPECT_TRUE(contains(err.message, "move it aside")) << err.message;
}

TEST(StoreOpen, MissingParentDirectoryIsNotFound) {
  test::TempDir dir;
  auto path = dir / "no" / "such" / "state.db";
  auto err = openError(path);
  EXPECT_EQ(err.code, errc::not_found);
  EXPECT_TRUE(contains(err.message, (dir / "no" / "such").string())) << err.message;
  EXPECT_TRUE(contains(err.message, "does not exist")) << err.message;
  EXPECT_FALSE(std::filesystem::exists(dir / "no"));
}

TEST(StoreOpen, ParentThatIsAFileIsAClearError) {
  test::TempDir dir;
  test::writeFile(dir / "file", "x");
  auto err = openError(dir / "file" / "state.db");
  EXPECT_EQ(err.code, errc::io);
  EXPECT_TRUE(contains(err.message, "is not a directory")) << err.message;
}

TEST(StoreOpen, DirectoryPathIsAClearError) {
  test::TempDir dir;
  std::filesystem::create_directory(dir / "state.db");
  auto err = openError(dir / "state.db");
  EXPECT_FALSE(err.code.empty());
  EXPECT_TRUE(contains(err.message, (dir / "state.db").string())) << err.message;
}

TEST(StoreOpen, ReadOnlyDirectoryIsPermissionDenied) {
  test::TempDir dir;
  auto ro = dir / "ro";
  std::filesystem::create_directory(ro);
  ::chmod(dir.path().c_str(), 0755);
  ::chmod(ro.c_str(), 0555);
  auto out = runUnprivileged([&] {
    auto store = Store::open(ro / "state.db");
    return store ? std::string("opened") : store.error().describe();
  });
  ::chmod(ro.c_str(), 0755);
  if (out == "skip") GTEST_SKIP() << "cannot drop root privileges here";
  EXPECT_TRUE(contains(out, "permission-denied: state database " + (ro / "state.db").string())) << out;
  EXPECT_TRUE(contains(out, "writable by the user")) << out;
}

TEST(StoreOpen, ExistingDatabaseInReadOnlyDirectoryIsAClearError) {
  test::TempDir dir;
  auto ro = dir / "ro";
  std::filesystem::create_directory(ro);
  createStoreWithTasks(ro / "state.db", 3);
  ::chmod(dir.path().c_str(), 0755);
  ::chmod((ro / "state.db").c_str(), 0444);
  ::chmod(ro.c_str(), 0555);
  auto out = runUnprivileged([&] {
    auto store = Store::open(ro / "state.db");
    return store ? std::string("opened") : store.error().describe();
  });
  ::chmod(ro.c_str(), 0755);
  if (out == "skip") GTEST_SKIP() << "cannot drop root privileges here";
  EXPECT_TRUE(contains(out, "permission-denied: state database " + (ro / "state.db").string())) << out;
}

TEST(StoreOpen, ReopeningKeepsDataAndMigratesNothing) {
  test::TempDir dir;
  auto path = dir / "state.db";
  createStoreWithTasks(path, 5);
  for (int i = 0; i < 2; ++i) {
    auto store = Store::open(path);
    ASSERT_TRUE(store) << store.error().describe();
    auto snap = (*store)->load();
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->tasks.size(), 5u);
  }
}

TEST(StoreDatabase, DiskFullIsNoSpace) {
  test::TempDir dir;
  auto db = Database::open(dir / "full.db");
  ASSERT_TRUE(db) << db.error().describe();
  // A page budget stands in for a full disk: SQLite reports both as SQLITE_FULL.
  ASSERT_TRUE(db->exec("PRAGMA synchronous = OFF; PRAGMA max_page_count = 20; CREATE TABLE t (b BLOB)",
                       "set up"));
  Result<void> r;
  for (int i = 0; i < 100 && r; ++i) r = db->exec("INSERT INTO t VALUES (zeroblob(4000))", "insert a row");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::no_space);
  EXPECT_TRUE(contains(r.error().message, "full")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "free some disk space")) << r.error().message;
}

TEST(StoreDatabase, ErrorCodesMapToWhatAUserCanDo) {
  EXPECT_EQ(errorCodeFor(SQLITE_FULL, 0), errc::no_space);
  EXPECT_EQ(errorCodeFor(SQLITE_IOERR_WRITE, ENOSPC), errc::no_space);
  EXPECT_EQ(errorCodeFor(SQLITE_IOERR_FSYNC, EIO), errc::io);
  EXPECT_EQ(errorCodeFor(SQLITE_CANTOPEN, EACCES), errc::permission_denied);
  EXPECT_EQ(errorCodeFor(SQLITE_CANTOPEN, ENOENT), errc::not_found);
  EXPECT_EQ(errorCodeFor(SQLITE_READONLY, 0), errc::permission_denied);
  EXPECT_EQ(errorCodeFor(SQLITE_CONSTRAINT_FOREIGNKEY, 0), errc::invalid_argument);
  EXPECT_EQ(errorCodeFor(SQLITE_NOTADB, 0), errc::io);
  EXPECT_EQ(errorCodeFor(SQLITE_CORRUPT, 0), errc::io);
  EXPECT_EQ(errorCodeFor(SQLITE_BUSY, 0), errc::io);
  EXPECT_EQ(errorCodeFor(SQLITE_CONSTRAINT, ENOSPC), errc::invalid_argument) << "stale errno ignored";
}
