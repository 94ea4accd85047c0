// Uploads through ferryd: from a file and from bytes, to nginx (WebDAV PUT, not resumable) and to
// the VideoFarm server (IETF resumable uploads), across kill -9 of ferryd and the application's exit.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "support/servers.hpp"

using namespace ferry;
using namespace ferry::test;

TEST(Upload, BigFileToNginxWebdavArrivesByteExact) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "big.bin", 256 * MiB, 41);
  NginxServer nginx({dir / "www", "", kNginxDavLocation});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("uploads"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->uploadTask(Request(nginx.url("/dav/big.bin")), dir / "big.bin");
  ASSERT_TRUE(task) << task.error().describe();
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier(), std::chrono::seconds(300)));
  auto c = *delegate->completion(task->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(c.status_code, 201);
  auto events = delegate->events();
  const auto id = std::to_string(task->identifier());
  ASSERT_NE(indexOf(events, "response:" + id + ":201"), -1);
  EXPECT_LT(indexOf(events, "response:" + id + ":201"), indexOf(events, "complete:" + id + ":ok"));
  EXPECT_EQ(sha256File(dir / "www/dav/big.bin"), sha256File(dir / "big.bin"));
  EXPECT_EQ(delegate->lastSent(), static_cast<std::int64_t>(256 * MiB));
}

TEST(Upload, ResumableUploadToVideoFarmSurvivesThreeKillsOfFerryd) {
  TempDir dir;
  VideoFarm videofarm(dir);
  const std::string video = videofarm.createVideo("three kills");
  const std::uint64_t size = 48 * MiB;
  writeRandomFile(dir / "movie.bin", size, 42);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto config = ferryd.config("kills").maxBytesPerSecond(8 * MiB);  // ~6 s: room for three kills
  auto session = Session::create(config, delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->uploadTask(Request(videofarm.url("/videos/" + video + "/movie")), dir / "movie.bin");
  ASSERT_TRUE(task) << task.error().describe();
  ASSERT_TRUE(task->resume());
  for (int kill = 1; kill <= 3; ++kill) {
    // Kill once the server has confirmed more than a quarter more of the body each time.
    auto control = ferryd.control();
    const auto threshold = static_cast<std::int64_t>(size) * kill / 4;
    ASSERT_TRUE(waitUntil([&] { return delegate->lastSent() > threshold; }, std::chrono::seconds(60)))
        << "kill " << kill << ": sent " << delegate->lastSent() << "\n" << ferryd.log();
    ferryd.kill9();
    ferryd.start();
  }
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier(), std::chrono::seconds(120))) << ferryd.log();
  auto c = *delegate->completion(task->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe() << "\n" << ferryd.log();
  EXPECT_TRUE(c.status_code == 201 || c.status_code == 204) << c.status_code;
  EXPECT_EQ(videofarm.movieSha256(video, dir), sha256File(dir / "movie.bin"));
  // The server saw the upload continue from where it was, not start over.
  auto offsets = videoFarmPatchOffsets(videofarm.log());
  ASSERT_GE(offsets.size(), 3u) << videofarm.log();
  for (auto offset : offsets) EXPECT_GT(offset, 0u);
}

TEST(Upload, FromBytesSurvivesTheApplicationsExitAndARestart) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  NginxServer nginx({dir / "www", "", kNginxDavLocation});
  Ferryd ferryd(dir.path());
  ferryd.start();
  const std::string data = randomBytes(6 * MiB, 43);
  std::uint64_t id = 0;
  {
    auto delegate = std::make_shared<RecordingDelegate>();
    auto session = Session::create(ferryd.config("bytes").maxBytesPerSecond(2 * MiB), delegate);
    ASSERT_TRUE(session);
    auto task = (*session)->uploadTaskWithData(Request(nginx.url("/dav/bytes.bin")), data);
    ASSERT_TRUE(task) << task.error().describe();
    id = task->identifier();
    ASSERT_TRUE(task->resume());
  }  // the application is gone; its bytes are ferryd's now
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ferryd.kill9();
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("bytes"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(id, std::chrono::seconds(60))) << ferryd.log();
  ASSERT_TRUE(delegate->completion(id)->ok()) << delegate->completion(id)->error->describe();
  EXPECT_EQ(sha256File(dir / "www/dav/bytes.bin"), sha256Bytes(data));
  // The spool copy goes when the task ends.
  ASSERT_TRUE(waitUntil([&] { return !std::filesystem::exists(ferryd.stateDir() / "spool" / (std::to_string(id) + ".body")); }));
}

TEST(Upload, AnHttpErrorAnswerIsDeliveredWithItsBody) {
  TempDir dir;
  VideoFarm videofarm(dir);
  writeRandomFile(dir / "movie.bin", 1 * MiB, 44);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("errors"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->uploadTask(Request(videofarm.url("/videos/0000000000000000/movie")), dir / "movie.bin");
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  auto c = *delegate->completion(task->identifier());
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->code, "http-error");
  EXPECT_EQ(c.status_code, 404);
  EXPECT_NE(delegate->responseBody(task->identifier()).find("\"error\""), std::string::npos)
      << delegate->responseBody(task->identifier());
}

TEST(Upload, BadSourcesAndRequestsAreRefusedAtCreation) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("refusals"), delegate);
  ASSERT_TRUE(session);
  writeRandomFile(dir / "f.bin", 1000, 45);
  auto missing = (*session)->uploadTask(Request("http://127.0.0.1:9/x"), dir / "nope.bin");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "not-found");
  EXPECT_NE(missing.error().message.find("nope.bin"), std::string::npos) << missing.error().message;
  auto directory = (*session)->uploadTask(Request("http://127.0.0.1:9/x"), dir.path());
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code, "invalid-argument");
  Request head("http://127.0.0.1:9/x");
  head.method = "HEAD";
  auto no_body = (*session)->uploadTask(head, dir / "f.bin");
  ASSERT_FALSE(no_body);
  EXPECT_EQ(no_body.error().code, "invalid-argument");
  auto bad_url = (*session)->uploadTask(Request("ftp://127.0.0.1/x"), dir / "f.bin");
  ASSERT_FALSE(bad_url);
  EXPECT_EQ(bad_url.error().code, "unsupported-scheme");
  UploadOptions odd;
  odd.resumable = "sometimes";
  auto bad_mode = (*session)->uploadTask(Request("http://127.0.0.1:9/x"), dir / "f.bin", odd);
  ASSERT_FALSE(bad_mode);
  EXPECT_EQ(bad_mode.error().code, "invalid-argument");
  EXPECT_TRUE(ferryd.running());
}

TEST(Upload, FerryctlUploadWaitsAndPrintsTheAnswer) {
  TempDir dir;
  VideoFarm videofarm(dir);
  const std::string video = videofarm.createVideo("ferryctl");
  writeRandomFile(dir / "movie.bin", 5 * MiB, 46);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto run = ferryd.ferryctl({"upload", (dir / "movie.bin").string(), videofarm.url("/videos/" + video + "/movie"), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << ferryd.log();
  auto answer = nlohmann::json::parse(run.out.substr(0, run.out.find('\n')), nullptr, false);
  ASSERT_TRUE(answer.is_object()) << run.out;
  EXPECT_TRUE(answer.value("ok", false));
  EXPECT_EQ(answer.value("status_code", 0), 201);
  EXPECT_EQ(videofarm.movieSha256(video, dir), sha256File(dir / "movie.bin"));
  // Without --json: one line saying it is done with the status (the answer to a PUT has no body).
  auto plain = ferryd.ferryctl({"upload", (dir / "movie.bin").string(), videofarm.url("/videos/" + video + "/movie")});
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  EXPECT_NE(plain.out.find(": done (HTTP 20"), std::string::npos) << plain.out;
  EXPECT_EQ(plain.out.find("failed"), std::string::npos) << plain.out;
  auto failed = ferryd.ferryctl({"upload", (dir / "missing.bin").string(), videofarm.url("/videos/" + video + "/movie")});
  EXPECT_EQ(failed.exit_code, 2) << failed.out;  // a usage error: the file is not there
}

// Against a tus server nobody here wrote (@tus/server with @tus/file-store, from npm) behind a
// proxy that cuts the first PATCH half-way: ferryd asks the server for its offset (HEAD) and
// appends the rest; the stored file is byte-exact.
TEST(Upload, TusUploadToTusServerFromNpmContinuesAfterACut) {
  const std::filesystem::path node_dir = FERRY_ENGINE_NODE_DIR;
  if (auto missing = TusServer::missing(node_dir); !missing.empty()) FAIL() << missing;
  TempDir dir;
  const std::uint64_t size = 12 * MiB;
  writeRandomFile(dir / "movie.bin", size, 47);
  TusServer tus(dir, node_dir);
  CutProxy proxy(dir, tus.port(), "PATCH", size / 2);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("tus"), delegate);
  ASSERT_TRUE(session);
  UploadOptions options;
  options.resumable = "tus";
  Request request(proxy.url("/files/"));
  request.method = "POST";
  auto task = (*session)->uploadTask(request, dir / "movie.bin", options);
  ASSERT_TRUE(task) << task.error().describe();
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier())) << ferryd.log() << proxy.log();
  auto c = *delegate->completion(task->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe() << "\n" << proxy.log() << tus.output();
  EXPECT_EQ(c.status_code, 204);
  auto log = proxy.log();
  EXPECT_NE(log.find("cut PATCH"), std::string::npos) << log;
  // The one file in the store (the upload's id names it) holds the movie.
  auto stored = tus.uploads();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(sha256File(stored[0]), sha256File(dir / "movie.bin"));
  // Two PATCHes: from 0 (cut), then from the server's offset — continued, not started again.
  auto offsets = cutProxyPatchOffsets(log);
  ASSERT_EQ(offsets.size(), 2u) << log;
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_GT(offsets[1], 0u) << log;
}
