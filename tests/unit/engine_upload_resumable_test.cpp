// Resumable uploads: the IETF draft (interop 8 and 6) and tus 1.0.0 against the VideoFarm server,
// and tus against @tus/server (npm, a server nobody here wrote), each cut in the middle by
// tests/servers/cut_proxy.py and continued with HEAD + PATCH from the server's offset.

#include <gtest/gtest.h>

#include "engine_upload_harness.hpp"

namespace ferry::engine::test {
namespace {

constexpr std::uint64_t kSize = 3'000'000;

class EngineResumableUpload : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!VideoFarm::available()) GTEST_SKIP() << "videofarm-server is not built (FERRY_BUILD_VIDEOFARM=OFF)";
    ft::writeRandomFile(dir_ / "movie.bin", kSize, 51);
  }

  // An IETF or tus upload of movie.bin to a new video through a proxy cutting `cut_method` half-way.
  void uploadWithOneCut(ResumableMode mode, int interop_version, const std::string& cut_method) {
    VideoFarm server(dir_);
    CutProxy proxy(dir_, server.port(), cut_method, kSize / 2, mode == ResumableMode::ietf);
    const std::string id = server.createVideo("resumable");
    const std::string url = mode == ResumableMode::tus ? proxy.url("/tus/videos/" + id) : proxy.url("/videos/" + id + "/movie");
    Engine engine(events_.sink());
    auto job = makeUpload(1, url, dir_ / "movie.bin", dir_ / "answer");
    job.resumable.mode = mode;
    job.resumable.ietf_interop_version = interop_version;
    engine.start(std::move(job));
    auto finished = events_.waitFinished(1);
    ASSERT_TRUE(finished && !finished->error) << (finished ? finished->error->describe() : "timeout") << "\n"
                                              << proxy.log() << server.log();
    EXPECT_EQ(server.movieSha256(id, dir_), ft::sha256File(dir_ / "movie.bin"));
    auto log = proxy.log();
    EXPECT_NE(log.find("cut " + cut_method), std::string::npos) << log;
    EXPECT_NE(log.find("request HEAD /"), std::string::npos) << log;
    auto offsets = ft::cutProxyPatchOffsets(log);
    ASSERT_FALSE(offsets.empty()) << log;
    EXPECT_GT(offsets.back(), 0u) << log;  // continued, not started again
    EXPECT_LT(offsets.back(), kSize) << log;

    auto events = events_.eventsOf(1);
    auto letters = uploadLetters(events);
    EXPECT_EQ(letters.find('Z'), std::string::npos) << letters;
    EXPECT_LT(letters.find('K'), letters.find('X')) << letters;  // the URL was known before the cut
    auto known = events_.all<UploadResourceKnown>(1);
    ASSERT_EQ(known.size(), 1u);
    EXPECT_EQ(known[0].upload_url.rfind(proxy.url(mode == ResumableMode::tus ? "/tus/uploads/" : "/uploads/"), 0), 0u)
        << known[0].upload_url;
    EXPECT_EQ(finished->upload->upload_url, known[0].upload_url);
    EXPECT_EQ(finished->upload->total_sent, kSize);
    EXPECT_EQ(events_.all<SendProgress>(1).back().total_sent, kSize);
    EXPECT_EQ(events_.all<Responded>(1).size(), 1u);
    // The PATCH's bytes, after the offset the server confirmed, add up.
    std::uint64_t after_last_retry = 0;
    for (const auto& e : events) {
      if (std::holds_alternative<Retrying>(e)) after_last_retry = 0;
      if (auto* p = std::get_if<SendProgress>(&e)) after_last_retry += p->bytes_sent;
    }
    EXPECT_EQ(after_last_retry, kSize - offsets.back());
    if (mode == ResumableMode::tus) {
      EXPECT_EQ(finished->http_status, 204);
    } else {
      EXPECT_EQ(finished->http_status, 201);
    }
  }

  ft::TempDir dir_{"ferry-resumable"};
  UploadRecorder events_;
};

TEST_F(EngineResumableUpload, PlainPutToVideoFarm) {
  VideoFarm server(dir_);
  const std::string id = server.createVideo("plain");
  Engine engine(events_.sink());
  engine.start(makeUpload(1, server.url("/videos/" + id + "/movie"), dir_ / "movie.bin", dir_ / "answer"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 201);
  EXPECT_EQ(server.movieSha256(id, dir_), ft::sha256File(dir_ / "movie.bin"));
}

TEST_F(EngineResumableUpload, IetfInterop8ContinuesAfterACut) { uploadWithOneCut(ResumableMode::ietf, 8, "PUT"); }
TEST_F(EngineResumableUpload, IetfInterop6ContinuesAfterACut) { uploadWithOneCut(ResumableMode::ietf, 6, "PUT"); }
TEST_F(EngineResumableUpload, TusContinuesAfterACut) { uploadWithOneCut(ResumableMode::tus, 8, "PATCH"); }

TEST_F(EngineResumableUpload, StopThenStartAgainWithTheUploadUrl) {
  VideoFarm server(dir_);
  CutProxy proxy(dir_, server.port(), "NONE", 1);  // a request log only
  const std::string id = server.createVideo("restart");
  std::string upload_url;
  std::uint64_t offset = 0;
  {
    Engine engine(events_.sink());
    auto job = makeUpload(1, proxy.url("/videos/" + id + "/movie"), dir_ / "movie.bin", dir_ / "answer");
    job.resumable.mode = ResumableMode::ietf;
    job.max_bytes_per_second = 2'000'000;
    engine.start(std::move(job));
    ASSERT_TRUE(events_.waitFor(1, [](const std::vector<AnyEvent>& events) {
      for (const auto& e : events)
        if (auto* p = std::get_if<SendProgress>(&e); p && p->total_sent >= kSize / 3) return true;
      return false;
    }));
    engine.stop(1);
    auto finished = events_.waitFinished(1);
    ASSERT_TRUE(finished && finished->error);
    EXPECT_EQ(finished->error->code, errc::cancelled);
    EXPECT_TRUE(finished->resumable);
    ASSERT_TRUE(finished->upload);
    upload_url = finished->upload->upload_url;
    offset = finished->upload->confirmed_offset;
    EXPECT_EQ(upload_url, events_.all<UploadResourceKnown>(1).at(0).upload_url);
    EXPECT_NE(finished->error->message.find(upload_url), std::string::npos) << finished->error->message;
  }  // the engine is gone, as after a daemon restart

  Engine engine(events_.sink());
  auto job = makeUpload(2, proxy.url("/videos/" + id + "/movie"), dir_ / "movie.bin", dir_ / "answer");
  job.resumable.mode = ResumableMode::ietf;
  job.resumable.upload_url = upload_url;
  job.resumable.known_offset = offset;
  engine.start(std::move(job));
  auto finished = events_.waitFinished(2);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe() << proxy.log();
  EXPECT_EQ(server.movieSha256(id, dir_), ft::sha256File(dir_ / "movie.bin"));
  auto log = proxy.log();
  auto offsets = ft::cutProxyPatchOffsets(log);
  ASSERT_EQ(offsets.size(), 1u) << log;
  EXPECT_GT(offsets[0], 0u) << log;
  // The second job began with HEAD of the upload, not with a new creation.
  auto second = log.substr(log.find("request HEAD"));
  EXPECT_EQ(second.find("request PUT"), std::string::npos) << log;
  EXPECT_EQ(events_.all<UploadRestarted>(2).size(), 0u);
  EXPECT_EQ(events_.all<SendProgress>(2).back().total_sent, kSize);
}

TEST_F(EngineResumableUpload, ForgottenUploadStartsAgainFromZero) {
  VideoFarm server(dir_);
  const std::string id = server.createVideo("forgotten");
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/videos/" + id + "/movie"), dir_ / "movie.bin", dir_ / "answer");
  job.resumable.mode = ResumableMode::ietf;
  job.resumable.upload_url = server.url("/uploads/0123456789abcdef0123456789abcdef");
  job.resumable.known_offset = 1000;
  engine.start(std::move(job));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(server.movieSha256(id, dir_), ft::sha256File(dir_ / "movie.bin"));
  auto restarted = events_.all<UploadRestarted>(1);
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_NE(restarted[0].reason.find("404 Not Found"), std::string::npos) << restarted[0].reason;
  // (SendProgress may come before the 104's UploadResourceKnown: curl sends after 100 Continue.)
  std::string letters;
  for (char c : uploadLetters(events_.eventsOf(1)))
    if (c != ' ' && c != 'S') letters += c;
  EXPECT_EQ(letters, "WZKRF") << uploadLetters(events_.eventsOf(1));
  EXPECT_NE(finished->upload->upload_url, server.url("/uploads/0123456789abcdef0123456789abcdef"));
}

TEST_F(EngineResumableUpload, AlreadyCompleteUploadAnswersWithTheHead) {
  VideoFarm server(dir_);
  const std::string id = server.createVideo("complete");
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/videos/" + id + "/movie"), dir_ / "movie.bin", dir_ / "answer");
  job.resumable.mode = ResumableMode::ietf;
  engine.start(std::move(job));
  auto first = events_.waitFinished(1);
  ASSERT_TRUE(first && !first->error) << first->error->describe();
  ASSERT_FALSE(first->upload->upload_url.empty());
  // As if the first job's final answer had been lost in a crash: start it again with its URL.
  auto again = makeUpload(2, server.url("/videos/" + id + "/movie"), dir_ / "movie.bin", dir_ / "answer2");
  again.resumable.mode = ResumableMode::ietf;
  again.resumable.upload_url = first->upload->upload_url;
  again.resumable.known_offset = kSize;
  engine.start(std::move(again));
  auto second = events_.waitFinished(2);
  ASSERT_TRUE(second && !second->error) << second->error->describe();
  EXPECT_TRUE(second->upload->completed_before);
  EXPECT_EQ(second->http_status, 204);  // the HEAD's
  EXPECT_EQ(second->upload->confirmed_offset, kSize);
  EXPECT_EQ(events_.all<SendProgress>(2).size(), 0u);
  EXPECT_EQ(uploadLetters(events_.eventsOf(2)), "W R F");
}

TEST_F(EngineResumableUpload, TusServerFromNpmContinuesAfterACut) {
  const std::filesystem::path node_dir = FERRY_ENGINE_NODE_DIR;
  if (auto missing = ft::TusServer::missing(node_dir); !missing.empty()) FAIL() << missing;
  ft::TusServer tus(dir_, node_dir);
  CutProxy proxy(dir_, tus.port(), "PATCH", kSize / 2);
  Engine engine(events_.sink());
  auto job = makeUpload(1, proxy.url("/files/"), dir_ / "movie.bin", dir_ / "answer");
  job.resumable.mode = ResumableMode::tus;
  job.resumable.tus_metadata = "filename bW92aWUuYmlu";
  engine.start(std::move(job));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << (finished ? finished->error->describe() : "timeout") << "\n"
                                            << proxy.log() << tus.output();
  EXPECT_EQ(finished->http_status, 204);
  const std::string upload_url = finished->upload->upload_url;
  const std::string upload_id = upload_url.substr(upload_url.rfind('/') + 1);
  EXPECT_EQ(ft::sha256File(tus.store() / upload_id), ft::sha256File(dir_ / "movie.bin"));
  auto log = proxy.log();
  EXPECT_NE(log.find("cut PATCH"), std::string::npos) << log;
  auto offsets = ft::cutProxyPatchOffsets(log);
  ASSERT_EQ(offsets.size(), 2u) << log;
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_GT(offsets[1], 0u) << log;
  EXPECT_EQ(uploadLetters(events_.eventsOf(1)).find('Z'), std::string::npos);
}

}  // namespace
}  // namespace ferry::engine::test
