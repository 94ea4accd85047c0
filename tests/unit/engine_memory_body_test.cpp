// Downloads whose body is kept in memory (DownloadJob::in_memory, an in-process data task): the
// bytes come back in Finished, no file is made, the limit ends the job, and a drop or a new job
// continues the bytes by Range as a partial file would.

#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

class EngineMemoryBody : public ::testing::Test {
 protected:
  ft::TempDir dir_{"ferry-engine"};
  EventRecorder events_;

  DownloadJob inMemory(TaskId id, const std::string& url, std::uint64_t limit, std::string bytes = {}) {
    auto job = makeJob(id, url, dir_ / "never.part");
    job.in_memory = MemoryBody{limit, std::move(bytes)};
    return job;
  }
};

TEST_F(EngineMemoryBody, TheBodyComesBackInFinishedAndNoFileIsMade) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 300 * 1024 + 5, 4);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.start(inMemory(1, nginx.url("/file.bin"), 1024 * 1024));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  ASSERT_TRUE(finished->memory_body);
  EXPECT_EQ(*finished->memory_body, ft::readFile(dir_ / "www/file.bin"));
  EXPECT_EQ(finished->total_written, 300u * 1024 + 5);
  EXPECT_EQ(eventLetters(events_.eventsOf(1)), "W R P F");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "never.part"));
}

TEST_F(EngineMemoryBody, PastTheLimitTheJobEndsTooLarge) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/big.bin", 300 * 1024, 5);
  ft::writeFile(dir_ / "www/small.txt", "small\n");
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.start(inMemory(1, nginx.url("/big.bin"), 64 * 1024));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::too_large);
  EXPECT_NE(finished->error->message.find("larger than the 65536 bytes"), std::string::npos) << finished->error->message;
  EXPECT_TRUE(events_.all<Retrying>(1).empty());  // the same answer would come again
  ASSERT_TRUE(finished->memory_body);
  EXPECT_LE(finished->memory_body->size(), 64u * 1024);
  // The engine goes on.
  engine.start(inMemory(2, nginx.url("/small.txt"), 64 * 1024));
  auto small = events_.waitFinished(2);
  ASSERT_TRUE(small && !small->error);
  EXPECT_EQ(small->memory_body.value_or(""), "small\n");
}

TEST_F(EngineMemoryBody, ANewJobContinuesTheBytesItIsGivenByRange) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 500000, 6);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  const auto validators = validatorsOf(nginx.url("/file.bin"), dir_ / "head.part");
  const std::string whole = ft::readFile(dir_ / "www/file.bin");
  // 200000 trusted bytes, then bytes beyond resume_offset: they do not count.
  auto job = inMemory(1, nginx.url("/file.bin"), 1024 * 1024, whole.substr(0, 200000) + std::string(100, 'z'));
  job.resume_offset = 200000;
  job.validators = validators;
  Engine engine(events_.sink());
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 206);
  EXPECT_EQ(events_.all<Responded>(1).at(0).offset, 200000u);
  ASSERT_TRUE(finished->memory_body);
  EXPECT_TRUE(*finished->memory_body == whole) << "the continued body differs from the file";
}

TEST_F(EngineMemoryBody, DroppedConnectionsResumeInMemory) {
  ft::writeRandomFile(dir_ / "source.bin", 700000, 8);
  FixtureServer server(dir_, dir_ / "source.bin", {"--drop-after", "300000"});
  Engine engine(events_.sink());
  engine.start(inMemory(1, server.url(), 1024 * 1024));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  std::vector<std::uint64_t> offsets;
  for (const auto& r : events_.all<Responded>(1)) offsets.push_back(r.offset);
  EXPECT_EQ(offsets, (std::vector<std::uint64_t>{0, 300000, 600000}));
  ASSERT_TRUE(finished->memory_body);
  EXPECT_TRUE(*finished->memory_body == ft::readFile(dir_ / "source.bin")) << "the resumed body differs";
}

TEST_F(EngineMemoryBody, AStoppedJobHandsBackWhatItReceived) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/slow.bin", 2 * 1024 * 1024, 9);
  ft::NginxServer nginx(nginxOptions(dir_ / "www", "200k"));
  Engine engine(events_.sink());
  engine.start(inMemory(1, nginx.url("/slow.bin"), 4 * 1024 * 1024));
  ASSERT_TRUE(events_.waitFor(1, [](const std::vector<Event>& events) {
    for (const auto& e : events)
      if (std::holds_alternative<Progress>(e)) return true;
    return false;
  }));
  engine.stop(1);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::cancelled);
  EXPECT_NE(finished->error->message.find("bytes were received"), std::string::npos) << finished->error->message;
  EXPECT_TRUE(finished->resumable);
  ASSERT_TRUE(finished->memory_body);
  EXPECT_EQ(finished->memory_body->size(), finished->total_written);
  EXPECT_TRUE(*finished->memory_body == ft::readFile(dir_ / "www/slow.bin").substr(0, finished->total_written));
}

}  // namespace
}  // namespace ferry::engine::test
