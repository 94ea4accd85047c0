// Failures that end a job at once (disk, paths) and answers that force a restart from zero.

#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

class EngineFailures : public ::testing::Test {
 protected:
  ft::TempDir dir_{"ferry-engine"};
  EventRecorder events_;
};

TEST_F(EngineFailures, FullDiskIsNoSpaceAndResumable) {
  ft::writeRandomFile(dir_ / "source.bin", 100000, 41);
  FixtureServer server(dir_, dir_ / "source.bin");
  Engine engine(events_.sink());
  engine.start(makeJob(1, server.url(), "/dev/full"));  // every write fails with ENOSPC
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::no_space) << finished->error->describe();
  EXPECT_TRUE(finished->resumable);
  EXPECT_TRUE(events_.all<Retrying>(1).empty());
}

TEST_F(EngineFailures, FullDiskDuringABigDownloadIsNoSpace) {
  // Big enough that chunks go to the write-behind thread: its ENOSPC must end the job the same way.
  ft::writeRandomFile(dir_ / "source.bin", 4 * 1024 * 1024, 43);
  FixtureServer server(dir_, dir_ / "source.bin");
  Engine engine(events_.sink());
  engine.start(makeJob(1, server.url(), "/dev/full"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::no_space) << finished->error->describe();
  EXPECT_NE(finished->error->message.find("/dev/full"), std::string::npos) << finished->error->message;
  EXPECT_EQ(finished->total_written, 0u) << "nothing was written, so nothing may be counted";
  EXPECT_TRUE(events_.all<Progress>(1).empty());
}

TEST_F(EngineFailures, UnwritablePartialPathFailsWithItsName) {
  ft::writeRandomFile(dir_ / "source.bin", 1000, 42);
  FixtureServer server(dir_, dir_ / "source.bin");
  Engine engine(events_.sink());
  engine.start(makeJob(1, server.url(), dir_ / "no-such-dir/file.part"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_NE(finished->error->message.find("no-such-dir/file.part"), std::string::npos) << finished->error->message;
  EXPECT_FALSE(finished->resumable);
  EXPECT_TRUE(server.logLines().empty());  // failed before any request
}

TEST_F(EngineFailures, MisplacedPartialContentRestartsWithoutRange) {
  ft::writeRandomFile(dir_ / "source.bin", 300000, 43);
  FixtureServer server(dir_, dir_ / "source.bin", {"--shift-range", "4096"});
  ft::writeFile(dir_ / "file.part", prefixOf(dir_ / "source.bin", 100000));
  Engine engine(events_.sink());
  auto job = makeJob(1, server.url(), dir_ / "file.part");
  job.resume_offset = 100000;
  job.validators = validatorsOf(server.url(), dir_ / "head.part");
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  auto log = server.logLines();
  ASSERT_EQ(log.size(), 3u);  // HEAD, the misplaced 206, the restart
  EXPECT_NE(log[1].find("range=bytes=100000- "), std::string::npos) << log[1];
  EXPECT_NE(log[1].find("status=206"), std::string::npos) << log[1];
  EXPECT_NE(log[2].find("range=- if-range=- status=200"), std::string::npos) << log[2];
  auto responded = events_.all<Responded>(1);
  ASSERT_EQ(responded.size(), 1u);  // the misplaced body was never written
  EXPECT_EQ(responded[0].offset, 0u);
  EXPECT_TRUE(events_.all<Retrying>(1).empty());
}

TEST_F(EngineFailures, RangeBeyondAShorterEntityRestarts) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 300000, 44);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  const auto validators = validatorsOf(nginx.url("/file.bin"), dir_ / "head.part");
  ft::writeFile(dir_ / "file.part", ft::readFile(dir_ / "www/file.bin") + std::string(1000, 'z'));
  Engine engine(events_.sink());
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.resume_offset = 301000;  // more than the entity has: 416 "bytes */300000"
  job.validators = validators;
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->total_written, 300000u);
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
  EXPECT_NE(nginx.accessLogOnceItHas("416 bytes=301000-").find("416 bytes=301000-"), std::string::npos) << nginx.accessLog();
}

TEST_F(EngineFailures, FollowsRedirectsButOnlyToHttp) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 50000, 45);
  auto options = nginxOptions(dir_ / "www");
  options.extra_server_config =
      "    location = /old { return 302 /file.bin; }\n"
      "    location = /to-ftp { return 302 ftp://127.0.0.1/file.bin; }\n";
  ft::NginxServer nginx(options);
  Engine engine(events_.sink());
  engine.start(makeJob(1, nginx.url("/old"), dir_ / "a.part"));
  engine.start(makeJob(2, nginx.url("/to-ftp"), dir_ / "b.part"));
  auto followed = events_.waitFinished(1);
  ASSERT_TRUE(followed && !followed->error) << followed->error->describe();
  EXPECT_EQ(followed->http_status, 200);
  EXPECT_EQ(ft::sha256File(dir_ / "a.part"), ft::sha256File(dir_ / "www/file.bin"));
  auto refused = events_.waitFinished(2);
  ASSERT_TRUE(refused && refused->error);
  EXPECT_EQ(refused->error->code, errc::unsupported_scheme) << refused->error->describe();
}

}  // namespace
}  // namespace ferry::engine::test
