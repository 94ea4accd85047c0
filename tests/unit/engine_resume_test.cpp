// Resuming partial files: Range + If-Range, servers that answer 200 or 416, drops mid-body.

#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

class EngineResume : public ::testing::Test {
 protected:
  ft::TempDir dir_{"ferry-engine"};
  EventRecorder events_;
};

TEST_F(EngineResume, ResumesFromNginxWithRangeAndIfRange) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 2 * 1000 * 1000, 7);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  const auto validators = validatorsOf(nginx.url("/file.bin"), dir_ / "head.part");
  ASSERT_FALSE(validators.etag.empty());
  // 700000 trusted bytes, then bytes the owner never made durable: the engine cuts them.
  ft::writeFile(dir_ / "file.part", prefixOf(dir_ / "www/file.bin", 700000) + std::string(1000, 'z'));

  Engine engine(events_.sink());
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.resume_offset = 700000;
  job.validators = validators;
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 206);
  EXPECT_EQ(finished->total_written, 2u * 1000 * 1000);
  EXPECT_EQ(finished->expected_total, 2u * 1000 * 1000);
  EXPECT_EQ(finished->validators, validators);
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));

  EXPECT_EQ(eventLetters(events_.eventsOf(1)), "W R P F");
  auto responded = events_.all<Responded>(1).at(0);
  EXPECT_EQ(responded.status, 206);
  EXPECT_EQ(responded.offset, 700000u);
  EXPECT_GT(events_.all<Progress>(1).at(0).total_written, 700000u);
  EXPECT_NE(nginx.accessLogOnceItHas("206 bytes=700000- /file.bin").find("206 bytes=700000- /file.bin"), std::string::npos) << nginx.accessLog();
}

TEST_F(EngineResume, ChangedEntityRestartsFromZero) {
  ft::writeRandomFile(dir_ / "source.bin", 500000, 3);
  FixtureServer server(dir_, dir_ / "source.bin", {"--etag-changes-every", "1"});
  ft::writeFile(dir_ / "file.part", std::string(100000, 'z'));  // bytes of an older entity
  Engine engine(events_.sink());
  auto job = makeJob(1, server.url(), dir_ / "file.part");
  job.resume_offset = 100000;
  job.validators.etag = "\"an-older-version\"";
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 200);
  auto responded = events_.all<Responded>(1).at(0);
  EXPECT_EQ(responded.status, 200);
  EXPECT_EQ(responded.offset, 0u);
  EXPECT_NE(responded.validators.etag, "\"an-older-version\"");
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  auto log = server.logLines();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], "GET /file.bin range=bytes=100000- if-range=\"an-older-version\" status=200");
}

TEST_F(EngineResume, CompleteFileAnswered416IsSuccess) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 300000, 5);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  const auto validators = validatorsOf(nginx.url("/file.bin"), dir_ / "head.part");
  std::filesystem::copy_file(dir_ / "www/file.bin", dir_ / "file.part");
  Engine engine(events_.sink());
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.resume_offset = 300000;
  job.validators = validators;
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->total_written, 300000u);
  EXPECT_EQ(finished->expected_total, 300000u);
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
  EXPECT_NE(nginx.accessLogOnceItHas("416 bytes=300000-").find("416 bytes=300000-"), std::string::npos) << nginx.accessLog();
}

TEST_F(EngineResume, DroppedConnectionsRetryAndResume) {
  ft::writeRandomFile(dir_ / "source.bin", 1000000, 9);
  FixtureServer server(dir_, dir_ / "source.bin", {"--drop-after", "300000"});
  Engine engine(events_.sink());
  engine.start(makeJob(1, server.url(), dir_ / "file.part"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));

  auto retrying = events_.all<Retrying>(1);
  ASSERT_EQ(retrying.size(), 3u);
  EXPECT_EQ(retrying[0].error.code, errc::network);
  EXPECT_EQ(retrying[0].attempt, 1);
  EXPECT_EQ(retrying[2].attempt, 3);
  std::vector<std::uint64_t> offsets;
  for (const auto& r : events_.all<Responded>(1)) offsets.push_back(r.offset);
  EXPECT_EQ(offsets, (std::vector<std::uint64_t>{0, 300000, 600000, 900000}));
  EXPECT_EQ(eventLetters(events_.eventsOf(1)), "W R P X W R P X W R P X W R P F");
  for (const auto& w : events_.all<Waiting>(1)) {
    if (w.reason != "queued") {
      EXPECT_EQ(w.reason, "retry-backoff 1s");
    }
  }
  auto log = server.logLines();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_NE(log[1].find("range=bytes=300000- if-range=\""), std::string::npos) << log[1];
  EXPECT_NE(log[3].find("range=bytes=900000- "), std::string::npos) << log[3];
  EXPECT_NE(log[3].find("status=206"), std::string::npos) << log[3];
}

TEST_F(EngineResume, WeakEtagIsNotUsedForIfRange) {
  ft::writeRandomFile(dir_ / "source.bin", 400000, 11);
  FixtureServer server(dir_, dir_ / "source.bin", {"--drop-after", "250000", "--weak-etag"});
  Engine engine(events_.sink());
  engine.start(makeJob(1, server.url(), dir_ / "file.part"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  EXPECT_TRUE(finished->validators.etag.empty());
  EXPECT_FALSE(finished->validators.last_modified.empty());
  auto log = server.logLines();
  ASSERT_EQ(log.size(), 2u);
  // Resumed with Last-Modified, never with the weak ETag.
  EXPECT_NE(log[1].find("range=bytes=250000- if-range=" + finished->validators.last_modified + " status=206"),
            std::string::npos)
      << log[1];
}

TEST_F(EngineResume, OffsetWithoutValidatorsStartsFromZero) {
  ft::writeRandomFile(dir_ / "source.bin", 200000, 13);
  FixtureServer server(dir_, dir_ / "source.bin");
  ft::writeFile(dir_ / "file.part", std::string(5000, 'z'));
  Engine engine(events_.sink());
  auto job = makeJob(1, server.url(), dir_ / "file.part");
  job.resume_offset = 5000;  // no validators: these bytes cannot be trusted to belong to the entity
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(events_.all<Responded>(1).at(0).offset, 0u);
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  auto log = server.logLines();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], "GET /file.bin range=- if-range=- status=200");
}

TEST_F(EngineResume, RestartFromCutsTheFileAndContinues) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 1500 * 1000, 17);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.max_bytes_per_second = 1000 * 1000;
  engine.start(job);
  ASSERT_TRUE(events_.waitFor(1, [](const std::vector<Event>& events) {
    auto progress = eventsOfType<Progress>(events);
    return !progress.empty() && progress.back().total_written >= 300000;
  }));
  engine.restartFrom(1, 100000);  // e.g. fdatasync failed past 100000
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
  auto responded = events_.all<Responded>(1);
  ASSERT_EQ(responded.size(), 2u);
  EXPECT_EQ(responded[1].offset, 100000u);
  EXPECT_NE(nginx.accessLogOnceItHas("206 bytes=100000- /file.bin").find("206 bytes=100000- /file.bin"), std::string::npos) << nginx.accessLog();
}

TEST_F(EngineResume, RestartFromWithoutValidatorsStartsOver) {
  ft::writeRandomFile(dir_ / "source.bin", 600 * 1000, 19);
  FixtureServer server(dir_, dir_ / "source.bin", {"--no-validators", "--rate", "400000"});
  Engine engine(events_.sink());
  engine.start(makeJob(1, server.url(), dir_ / "file.part"));
  ASSERT_TRUE(events_.waitFor(1, [](const std::vector<Event>& events) {
    auto progress = eventsOfType<Progress>(events);
    return !progress.empty() && progress.back().total_written >= 100000;
  }));
  engine.restartFrom(1, 50000);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  auto responded = events_.all<Responded>(1);
  ASSERT_EQ(responded.size(), 2u);
  EXPECT_EQ(responded[1].offset, 0u);  // nothing could prove the 50000 bytes still fit
  auto log = server.logLines();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE(log[1].find("range=- if-range=- status=200"), std::string::npos) << log[1];
}

}  // namespace
}  // namespace ferry::engine::test
