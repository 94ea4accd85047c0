// A state directory written by an earlier ferryd is read by today's: every task, its state,
// request, schedule and upload source, the session, the bandwidth limit and the undelivered events
// carry over, and the tasks go on. The fixture (tests/fixtures/state-0.1.0-schema3.sql) is what
// ferry 0.1.0 (store schema 3) left; when the schema or a stored codec changes, this is the test
// that says whether old state still works.

#include <sqlite3.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

const std::string kMigrationDav = "location /dav/ { dav_methods PUT; create_full_put_path on; client_max_body_size 0; }";

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// Writes <state>/ferry.db from the fixture with its placeholders filled in.
void restoreState(const std::filesystem::path& state_dir, const std::map<std::string, std::string>& values) {
  std::string sql = readFile(sourceDir() / "tests/fixtures/state-0.1.0-schema3.sql");
  for (const auto& [name, value] : values) replaceAll(sql, name, value);
  ASSERT_EQ(sql.find('@'), std::string::npos) << "a placeholder was left unfilled";
  std::filesystem::create_directories(state_dir);
  std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((state_dir / "ferry.db").c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

const TaskInfo* find(const std::vector<TaskInfo>& tasks, std::uint64_t id) {
  auto it = std::find_if(tasks.begin(), tasks.end(), [id](const TaskInfo& t) { return t.id == id; });
  return it == tasks.end() ? nullptr : &*it;
}

}  // namespace

TEST(StoreMigration, StateOfFerry010IsReadAndItsTasksGoOn) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www/dav");
  writeRandomFile(dir / "www/a.bin", 2 * MiB + 5, 61);
  writeRandomFile(dir / "up.bin", 300000, 62);
  NginxServer nginx({dir / "www", "", kMigrationDav});
  const std::string base = nginx.url("/");
  const std::string origin = base.substr(std::string("http://").size(), base.size() - std::string("http://").size() - 1);
  struct stat st{};
  ASSERT_EQ(::stat((dir / "up.bin").c_str(), &st), 0);
  const auto week = std::chrono::system_clock::now() + std::chrono::hours(24 * 7);
  Ferryd ferryd(dir.path());
  restoreState(ferryd.stateDir(),
               {{"@DIR@", dir.path().string()},
                {"@ORIGIN@", origin},
                {"@UP_DEVICE@", std::to_string(st.st_dev)},
                {"@UP_INODE@", std::to_string(st.st_ino)},
                {"@UP_MTIME_NS@", std::to_string(static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec)},
                {"@DEADLINE@", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(week.time_since_epoch()).count())}});
  ferryd.start();

  // What was stored is what is listed.
  auto tasks = ferryd.control()->list(std::string("legacy"));
  ASSERT_TRUE(tasks) << tasks.error().describe() << ferryd.log();
  const TaskInfo* download = find(*tasks, 1);
  const TaskInfo* upload = find(*tasks, 2);
  const TaskInfo* held = find(*tasks, 3);
  ASSERT_TRUE(download && upload && held) << ferryd.log();
  EXPECT_EQ(download->state, "suspended");
  EXPECT_EQ(download->suspend_count, 1);
  EXPECT_EQ(download->url, "http://" + origin + "/a.bin");
  EXPECT_EQ(download->description, "plain download");
  EXPECT_EQ(upload->kind, "upload");
  EXPECT_EQ(upload->state, "suspended");
  EXPECT_EQ(upload->expected_total, 300000u);
  EXPECT_EQ(held->waiting_for, "begin-date 2100-01-01T00:00:00Z");
  EXPECT_DOUBLE_EQ(held->priority, 0.75);
  ASSERT_TRUE(held->begin_at);
  EXPECT_EQ(*held->begin_at, 4102444800);
  auto limit = ferryd.ferryctl({"limit"});
  EXPECT_NE(limit.out.find("5242880 B/s"), std::string::npos) << limit.out;

  // The undelivered didComplete of the cancelled task comes at the next attach; the suspended
  // tasks run when resumed, the upload from its recorded (unchanged) file.
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("legacy"), delegate);
  ASSERT_TRUE(session) << session.error().describe();
  ASSERT_TRUE(delegate->waitForCompletion(4)) << ferryd.log();
  ASSERT_TRUE(delegate->completion(4)->error);
  EXPECT_EQ(delegate->completion(4)->error->code, "cancelled");
  ASSERT_TRUE(Task(session->get(), 1).resume());
  ASSERT_TRUE(Task(session->get(), 2).resume());
  ASSERT_TRUE(delegate->waitForCompletion(1)) << ferryd.log();
  ASSERT_TRUE(delegate->waitForCompletion(2)) << ferryd.log();
  ASSERT_TRUE(delegate->completion(1)->ok()) << delegate->completion(1)->error->describe();
  ASSERT_TRUE(delegate->completion(2)->ok()) << delegate->completion(2)->error->describe();
  EXPECT_EQ(delegate->location(1), dir / "a.bin");  // the stored destination
  ASSERT_TRUE(delegate->kept(1));
  EXPECT_EQ(sha256File(*delegate->kept(1)), sha256File(dir / "www/a.bin"));
  EXPECT_EQ(sha256File(dir / "www/dav/up.bin"), sha256File(dir / "up.bin"));
  // New tasks get ids after the stored ones.
  auto fresh = (*session)->downloadTask(nginx.url("/a.bin"));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->identifier(), 5u);
}
