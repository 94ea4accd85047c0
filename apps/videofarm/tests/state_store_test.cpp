// The client's state database: what it keeps survives a reopen, multi-row changes are all or
// nothing, and files that are not its database are refused with a clear error and left untouched.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include "support/fixtures.hpp"
#include "videofarm/state_store.hpp"

using namespace videofarm;
using ferry::test::TempDir;
using ferry::test::readFile;
using ferry::test::writeFile;

namespace {
RemoteVideo video(const std::string& id) {
  RemoteVideo v;
  v.id = id;
  v.title = "T " + id;
  v.created_at = "2026-11-30T00:00:00Z";
  v.movie_url = "/videos/" + id + "/movie";
  v.movie = MovieInfo{1000, "video/mp4", std::nullopt};
  v.upload_state = "ready";
  return v;
}
Transfer transfer(const std::string& id, Role role, std::uint64_t task) {
  Transfer t;
  t.video_id = id;
  t.role = role;
  t.url = "http://127.0.0.1:1/videos/" + id + "/movie";
  t.task = task;
  t.bytes_total = 1000;
  return t;
}
}  // namespace

TEST(VideoFarmState, KeepsEverythingAcrossAReopen) {
  TempDir dir;
  const auto file = dir / "vf/state.sqlite3";
  std::string session;
  {
    auto state = StateStore::open(file);
    ASSERT_TRUE(state) << state.error().message;
    auto id = (*state)->sessionIdentifier();
    ASSERT_TRUE(id);
    session = *id;
    EXPECT_EQ(session.rfind("videofarm-", 0), 0u);
    auto movie = transfer("00000000000000aa", Role::movie, 7);
    auto thumb = transfer("00000000000000aa", Role::thumbnail, 8);
    ASSERT_TRUE((*state)->putTransfers("http://127.0.0.1:1", video("00000000000000aa"), {movie, thumb}));
    movie.state = TransferState::paused;
    movie.task.reset();
    movie.resume_data = "ferry-resume-v1.x.y";
    ASSERT_TRUE((*state)->updateTransfer(movie));
  }
  auto state = StateStore::open(file);
  ASSERT_TRUE(state);
  EXPECT_EQ(*(*state)->sessionIdentifier(), session);
  auto all = (*state)->transfersOf("00000000000000aa");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].role, Role::movie);
  EXPECT_EQ((*all)[0].state, TransferState::paused);
  EXPECT_EQ((*all)[0].resume_data, "ferry-resume-v1.x.y");
  EXPECT_FALSE((*all)[0].task);
  auto by_task = (*state)->transferOfTask(8);
  ASSERT_TRUE(by_task && *by_task);
  EXPECT_EQ((*by_task)->role, Role::thumbnail);
  auto known = (*state)->video("00000000000000aa");
  ASSERT_TRUE(known && *known);
  EXPECT_EQ((*known)->server, "http://127.0.0.1:1");
  EXPECT_EQ((*known)->video.title, "T 00000000000000aa");
}

TEST(VideoFarmState, AFailedChangeLeavesNothingHalfDone) {
  TempDir dir;
  auto state = StateStore::open(dir / "state.sqlite3");
  ASSERT_TRUE(state);
  // Two transfers claiming the same Ferry task: the second row breaks UNIQUE, so neither is kept.
  auto a = transfer("00000000000000bb", Role::movie, 9);
  auto b = transfer("00000000000000bb", Role::thumbnail, 9);
  auto put = (*state)->putTransfers("http://s", video("00000000000000bb"), {a, b});
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, "state-unusable");
  auto all = (*state)->allTransfers();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
  auto known = (*state)->video("00000000000000bb");
  ASSERT_TRUE(known);
  EXPECT_FALSE(*known);
}

TEST(VideoFarmState, UpdateIfDoesNotOverwriteAnotherOutcome) {
  TempDir dir;
  auto state = StateStore::open(dir / "state.sqlite3");
  ASSERT_TRUE(state);
  auto t = transfer("00000000000000cc", Role::movie, 11);
  ASSERT_TRUE((*state)->putTransfers("http://s", video("00000000000000cc"), {t}));
  t.state = TransferState::finished;
  ASSERT_TRUE((*state)->updateTransfer(t));
  auto paused = t;
  paused.state = TransferState::paused;
  auto changed = (*state)->updateTransferIf(paused, TransferState::running);
  ASSERT_TRUE(changed);
  EXPECT_FALSE(*changed);
  EXPECT_EQ((*(*state)->transferOfTask(11))->state, TransferState::finished);
}

TEST(VideoFarmState, AFileThatIsNotADatabaseIsRefusedAndKept) {
  TempDir dir;
  const auto file = dir / "state.sqlite3";
  const std::string garbage = "this is not an SQLite database, but someone's notes\n" + std::string(5000, 'x');
  writeFile(file, garbage);
  auto state = StateStore::open(file);
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error().code, "state-unusable");
  EXPECT_NE(state.error().message.find(file.string()), std::string::npos) << state.error().message;
  EXPECT_NE(state.error().message.find("move it away"), std::string::npos) << state.error().message;
  EXPECT_EQ(readFile(file), garbage);
}

TEST(VideoFarmState, AnotherProgramsDatabaseIsRefused) {
  TempDir dir;
  const auto file = dir / "state.sqlite3";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE recipes(name TEXT)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto state = StateStore::open(file);
  ASSERT_FALSE(state);
  EXPECT_NE(state.error().message.find("something else"), std::string::npos) << state.error().message;
}

TEST(VideoFarmState, ANewerSchemaIsRefused) {
  TempDir dir;
  const auto file = dir / "state.sqlite3";
  ASSERT_TRUE(StateStore::open(file));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value='99' WHERE key='schema_version'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto state = StateStore::open(file);
  ASSERT_FALSE(state);
  EXPECT_NE(state.error().message.find("schema version 99"), std::string::npos) << state.error().message;
}

TEST(VideoFarmState, AHandEditedRowIsReportedNotTrusted) {
  TempDir dir;
  const auto file = dir / "state.sqlite3";
  {
    auto state = StateStore::open(file);
    ASSERT_TRUE(state);
    ASSERT_TRUE((*state)->putTransfers("http://s", video("00000000000000dd"), {transfer("00000000000000dd", Role::movie, 3)}));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  // The CHECK constraints stop most edits; a video JSON that no longer parses gets through.
  ASSERT_EQ(sqlite3_exec(db, "UPDATE videos SET json='{\"id\":1}'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto state = StateStore::open(file);
  ASSERT_TRUE(state);
  auto known = (*state)->video("00000000000000dd");
  ASSERT_FALSE(known);
  EXPECT_EQ(known.error().code, "state-unusable");
}
