// Uploads: file and stream bodies, progress, answers (2xx, 4xx, capped bodies), retries, source
// files that change, and redirects (follow / refuse / ask), against nginx (WebDAV PUT) and
// tests/servers/upload_server.py on 127.0.0.1.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "common/unique_fd.hpp"
#include "engine_harness.hpp"
#include "engine_upload_harness.hpp"

namespace ferry::engine::test {
namespace {

class EngineUpload : public ::testing::Test {
 protected:
  std::string storedSha(const UploadServer& server, const std::string& name) {
    return ft::sha256File(server.stored(name));
  }
  ft::TempDir dir_{"ferry-upload"};
  UploadRecorder events_;
};

TEST_F(EngineUpload, BigFileToNginxWebDavPut) {
  std::filesystem::create_directories(dir_ / "root");
  auto options = nginxOptions(dir_ / "root");
  options.extra_server_config =
      "    client_max_body_size 0;\n"
      "    location /up/ { dav_methods PUT; create_full_put_path on; }\n";
  ft::NginxServer nginx(options);
  const std::uint64_t size = 256ull * 1024 * 1024;
  ft::writeRandomFile(dir_ / "big.bin", size, 31);
  EngineOptions engine_options;
  engine_options.progress_interval = 100ms;
  Engine engine(events_.sink(), engine_options);
  auto job = makeUpload(1, nginx.url("/up/big.bin"), dir_ / "big.bin", dir_ / "answer");
  auto started = Clock::now();
  engine.start(std::move(job));
  auto finished = events_.waitFinished(1, 300s);
  auto elapsed = Clock::now() - started;
  ASSERT_TRUE(finished && !finished->error) << (finished ? finished->error->describe() : "timeout");
  EXPECT_EQ(finished->http_status, 201);
  ASSERT_TRUE(finished->upload);
  EXPECT_EQ(finished->upload->total_sent, size);
  EXPECT_EQ(finished->upload->body_length, size);
  EXPECT_EQ(ft::sha256File(dir_ / "root/up/big.bin"), ft::sha256File(dir_ / "big.bin"));

  auto events = events_.eventsOf(1);
  EXPECT_EQ(uploadLetters(events), "W S R F");
  auto progress = events_.all<SendProgress>(1);
  EXPECT_EQ(sentSinceRestart(events), size);
  EXPECT_EQ(progress.back().total_sent, size);
  EXPECT_EQ(progress.back().total_expected, size);
  // Coalesced: at most one per 100 ms (plus the final flush), yet more than one.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  EXPECT_LE(progress.size(), static_cast<std::size_t>(ms / 100 + 2));
  EXPECT_GE(progress.size(), 2u);
  for (std::size_t i = 1; i < progress.size(); ++i) EXPECT_GT(progress[i].total_sent, progress[i - 1].total_sent);
}

TEST_F(EngineUpload, PutDeliversAnswerHeadersAndBody) {
  UploadServer server(dir_);
  ft::writeRandomFile(dir_ / "src.bin", 3'000'000, 32);
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/files/a.bin"), dir_ / "src.bin", dir_ / "answer");
  job.request.headers.push_back({"Content-Type", "application/x-test"});
  engine.start(std::move(job));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 201);
  EXPECT_EQ(storedSha(server, "a.bin"), ft::sha256File(dir_ / "src.bin"));
  auto responded = events_.all<Responded>(1);
  ASSERT_EQ(responded.size(), 1u);
  EXPECT_EQ(responded[0].status, 201);
  EXPECT_EQ(responded[0].content_type, "application/json");
  bool saw_method = false;
  for (const auto& h : responded[0].headers) saw_method = saw_method || (h.name == "X-Method" && h.value == "PUT");
  EXPECT_TRUE(saw_method);
  auto answer = ft::readFile(dir_ / "answer");
  EXPECT_NE(answer.find("\"sha256\": \"" + ft::sha256File(dir_ / "src.bin") + "\""), std::string::npos) << answer;
  EXPECT_EQ(finished->upload->response_body_bytes, answer.size());
  EXPECT_EQ(finished->upload->response_body_path, dir_ / "answer");
  EXPECT_NE(server.log().find("PUT /files/a.bin status=201 length=3000000"), std::string::npos);
  EXPECT_NE(server.log().find("content-type=application/x-test"), std::string::npos);
}

TEST_F(EngineUpload, ClientErrorDeliversBodyWithHttpError) {
  UploadServer server(dir_, {"--status", "403"});
  ft::writeRandomFile(dir_ / "src.bin", 1000, 33);
  Engine engine(events_.sink());
  engine.start(makeUpload(1, server.url("/x"), dir_ / "src.bin", dir_ / "answer"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::http_error);
  EXPECT_NE(finished->error->message.find("403 Forbidden"), std::string::npos) << finished->error->message;
  EXPECT_EQ(finished->http_status, 403);
  EXPECT_EQ(ft::readFile(dir_ / "answer"), "403 Forbidden\n");
  EXPECT_FALSE(finished->resumable);
  EXPECT_EQ(uploadLetters(events_.eventsOf(1)), "W S R F");
}

TEST_F(EngineUpload, LongAnswerIsCappedAndSaysSo) {
  UploadServer server(dir_, {"--status", "200", "--body-bytes", "300000"});
  ft::writeRandomFile(dir_ / "src.bin", 1000, 34);
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/x"), dir_ / "src.bin", dir_ / "answer");
  job.max_response_body_bytes = 100000;
  engine.start(std::move(job));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->upload->response_body_bytes, 100000u);
  EXPECT_TRUE(finished->upload->response_body_truncated);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "answer"), 100000u);
  EXPECT_EQ(finished->expected_total, 300000u);
}

TEST_F(EngineUpload, ServiceUnavailableIsRetriedFromZero) {
  UploadServer server(dir_, {"--fail-first", "2"});
  ft::writeRandomFile(dir_ / "src.bin", 500'000, 35);
  Engine engine(events_.sink());
  engine.start(makeUpload(1, server.url("/r.bin"), dir_ / "src.bin", dir_ / "answer"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(storedSha(server, "r.bin"), ft::sha256File(dir_ / "src.bin"));
  // Each failed attempt had sent the whole body: the next one says it starts again.
  EXPECT_EQ(uploadLetters(events_.eventsOf(1)), "W S X W Z S X W Z S R F");
  auto restarted = events_.all<UploadRestarted>(1);
  ASSERT_EQ(restarted.size(), 2u);
  EXPECT_NE(restarted[0].reason.find("not resumable"), std::string::npos) << restarted[0].reason;
  auto retrying = events_.all<Retrying>(1);
  EXPECT_NE(retrying[0].error.message.find("503 Service Unavailable"), std::string::npos);
  EXPECT_EQ(retrying[1].attempt, 2);
  EXPECT_EQ(events_.all<Responded>(1).size(), 1u);  // the 503s were never delivered
  EXPECT_EQ(sentSinceRestart(events_.eventsOf(1)), 500'000u);
}

TEST_F(EngineUpload, FileChangedMidUploadIsAPermanentError) {
  UploadServer server(dir_);
  ft::writeRandomFile(dir_ / "src.bin", 2'000'000, 36);
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/c.bin"), dir_ / "src.bin", dir_ / "answer");
  job.max_bytes_per_second = 400'000;
  engine.start(std::move(job));
  ASSERT_TRUE(events_.waitForA<SendProgress>(1));
  {
    // Rewritten in place: same inode, new size and mtime.
    std::FILE* f = std::fopen((dir_ / "src.bin").c_str(), "ab");
    std::fputs("more", f);
    std::fclose(f);
  }
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::source_changed);
  EXPECT_NE(finished->error->message.find((dir_ / "src.bin").string()), std::string::npos);
  EXPECT_EQ(events_.all<Retrying>(1).size(), 0u);
}

TEST_F(EngineUpload, FileRemovedMidUploadIsNotFound) {
  UploadServer server(dir_);
  ft::writeRandomFile(dir_ / "src.bin", 2'000'000, 37);
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/v.bin"), dir_ / "src.bin", dir_ / "answer");
  job.max_bytes_per_second = 400'000;
  engine.start(std::move(job));
  ASSERT_TRUE(events_.waitForA<SendProgress>(1));
  std::filesystem::remove(dir_ / "src.bin");
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::not_found);
  EXPECT_NE(finished->error->message.find("removed"), std::string::npos) << finished->error->message;
}

TEST_F(EngineUpload, ExpectedIdentityFromAnEarlierRunIsChecked) {
  UploadServer server(dir_);
  ft::writeRandomFile(dir_ / "src.bin", 1000, 38);
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/e.bin"), dir_ / "src.bin", dir_ / "answer");
  struct stat st{};
  ASSERT_EQ(::stat((dir_ / "src.bin").c_str(), &st), 0);
  FileIdentity recorded{static_cast<std::uint64_t>(st.st_size),
                        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec - 1,
                        static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
  job.body = FileBody{dir_ / "src.bin", recorded};
  engine.start(std::move(job));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::source_changed);
  EXPECT_EQ(server.log(), "");  // refused before any request
}

// A pipe fed by a thread in pieces with pauses, so the engine sees EAGAIN and must wait.
class PipeWriter {
 public:
  explicit PipeWriter(std::string data) : data_(std::move(data)) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    read_end_.reset(fds[0]);
    write_end_.reset(fds[1]);
  }
  UniqueFd takeReadEnd() { return std::move(read_end_); }
  void start() {
    thread_ = std::thread([this] {
      std::size_t off = 0;
      while (off < data_.size()) {
        std::size_t n = std::min<std::size_t>(100'000, data_.size() - off);
        std::size_t done = 0;
        while (done < n) {
          ssize_t w = ::write(write_end_.get(), data_.data() + off + done, n - done);
          if (w <= 0) return;
          done += static_cast<std::size_t>(w);
        }
        off += n;
        std::this_thread::sleep_for(20ms);
      }
      write_end_.reset();
    });
  }
  ~PipeWriter() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::string data_;
  UniqueFd read_end_, write_end_;
  std::thread thread_;
};

void streamUpload(UploadRecorder& events, const ft::TempDir& dir, bool known_length) {
  UploadServer server(dir);
  ft::writeRandomFile(dir / "src.bin", 1'500'000, 39);
  PipeWriter writer(ft::readFile(dir / "src.bin"));
  Engine engine(events.sink());
  auto job = makeUpload(1, server.url("/s.bin"), dir / "unused", dir / "answer");
  job.request.method = "POST";
  job.body = StreamBody{writer.takeReadEnd(), known_length ? std::optional<std::uint64_t>(1'500'000) : std::nullopt};
  engine.start(std::move(job));
  writer.start();
  auto finished = events.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(server.stored("s.bin")), ft::sha256File(dir / "src.bin"));
  EXPECT_NE(server.log().find(std::string("POST /s.bin status=201 length=1500000 sha256=") +
                              ft::sha256File(dir / "src.bin") + " chunked=" + (known_length ? "0" : "1")),
            std::string::npos)
      << server.log();
  EXPECT_EQ(finished->upload->total_sent, 1'500'000u);
  EXPECT_EQ(sentSinceRestart(events.eventsOf(1)), 1'500'000u);
}

TEST_F(EngineUpload, StreamWithKnownLength) { streamUpload(events_, dir_, true); }
TEST_F(EngineUpload, StreamWithoutLengthIsChunked) { streamUpload(events_, dir_, false); }

TEST_F(EngineUpload, StreamRedirectedWith307NeedsANewStream) {
  UploadServer server(dir_, {"--redirect", "307:/old:/new"});
  PipeWriter writer(std::string(200'000, 'a'));
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/old"), dir_ / "unused", dir_ / "answer");
  job.body = StreamBody{writer.takeReadEnd(), 200'000};
  engine.start(std::move(job));
  writer.start();
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::needs_new_body_stream);
  EXPECT_NE(finished->error->message.find("307"), std::string::npos) << finished->error->message;
}

TEST_F(EngineUpload, StreamRetryNeedsANewStream) {
  UploadServer server(dir_, {"--fail-first", "1"});
  PipeWriter writer(std::string(200'000, 'b'));
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/s"), dir_ / "unused", dir_ / "answer");
  job.body = StreamBody{writer.takeReadEnd(), std::nullopt};
  engine.start(std::move(job));
  writer.start();
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::needs_new_body_stream);
  EXPECT_NE(finished->error->message.find("503"), std::string::npos) << finished->error->message;
  EXPECT_EQ(events_.all<Retrying>(1).size(), 0u);
}

TEST_F(EngineUpload, SeeOtherAfterPostFetchesTheNewLocation) {
  UploadServer server(dir_, {"--redirect", "303:/form:/result"});
  ft::writeRandomFile(dir_ / "src.bin", 100'000, 40);
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/form"), dir_ / "src.bin", dir_ / "answer");
  job.request.method = "POST";
  job.request.headers.push_back({"Content-Type", "application/octet-stream"});
  engine.start(std::move(job));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 200);
  EXPECT_EQ(ft::readFile(dir_ / "answer"), "GET /result\n");
  EXPECT_EQ(finished->upload->final_url, server.url("/result"));
  auto log = server.log();
  EXPECT_NE(log.find("POST /form status=303 length=100000"), std::string::npos) << log;
  // The GET carries no body and none of the body's headers.
  EXPECT_NE(log.find("GET /result status=200 length=0 sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 chunked=0 content-type=-"),
            std::string::npos)
      << log;
  EXPECT_EQ(events_.all<Responded>(1).size(), 1u);
}

TEST_F(EngineUpload, MovedPermanentlyTurnsPostIntoGetButKeepsPut) {
  UploadServer server(dir_, {"--redirect", "301:/a:/b", "--redirect", "302:/c:/d.bin"});
  ft::writeRandomFile(dir_ / "src.bin", 100'000, 41);
  Engine engine(events_.sink());
  auto post = makeUpload(1, server.url("/a"), dir_ / "src.bin", dir_ / "answer1");
  post.request.method = "POST";
  engine.start(std::move(post));
  engine.start(makeUpload(2, server.url("/c"), dir_ / "src.bin", dir_ / "answer2"));  // PUT
  auto first = events_.waitFinished(1);
  auto second = events_.waitFinished(2);
  ASSERT_TRUE(first && !first->error && second && !second->error);
  EXPECT_EQ(ft::readFile(dir_ / "answer1"), "GET /b\n");
  EXPECT_EQ(second->http_status, 201);
  EXPECT_EQ(ft::sha256File(server.stored("d.bin")), ft::sha256File(dir_ / "src.bin"));
  EXPECT_NE(server.log().find("PUT /d.bin status=201 length=100000"), std::string::npos);
}

TEST_F(EngineUpload, TemporaryAndPermanentRedirectsResendTheBody) {
  UploadServer target(dir_);
  UploadServer server(dir_, {"--redirect", "307:/t:" + target.url("/t.bin"), "--redirect", "308:/p:/p.bin"});
  ft::writeRandomFile(dir_ / "src.bin", 2'000'000, 42);
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/t"), dir_ / "src.bin", dir_ / "answer1");
  job.request.method = "POST";
  job.request.headers.push_back({"Authorization", "Bearer secret"});
  engine.start(std::move(job));
  engine.start(makeUpload(2, server.url("/p"), dir_ / "src.bin", dir_ / "answer2"));
  auto first = events_.waitFinished(1);
  auto second = events_.waitFinished(2);
  ASSERT_TRUE(first && !first->error) << first->error->describe();
  ASSERT_TRUE(second && !second->error) << second->error->describe();
  EXPECT_EQ(ft::sha256File(target.stored("t.bin")), ft::sha256File(dir_ / "src.bin"));
  EXPECT_EQ(ft::sha256File(server.stored("p.bin")), ft::sha256File(dir_ / "src.bin"));
  EXPECT_NE(target.log().find("POST /t.bin status=201 length=2000000"), std::string::npos) << target.log();
  // Credentials went to the first origin only.
  EXPECT_NE(server.log().find("POST /t status=307 length=2000000"), std::string::npos) << server.log();
  EXPECT_NE(server.log().find("auth=1"), std::string::npos) << server.log();
  EXPECT_NE(target.log().find("auth=0"), std::string::npos) << target.log();
  EXPECT_EQ(first->upload->final_url, target.url("/t.bin"));
}

TEST_F(EngineUpload, RefusePolicyDeliversTheRedirect) {
  UploadServer server(dir_, {"--redirect", "307:/old:/new"});
  ft::writeRandomFile(dir_ / "src.bin", 1000, 43);
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/old"), dir_ / "src.bin", dir_ / "answer");
  job.redirects = RedirectPolicy::refuse;
  engine.start(std::move(job));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 307);
  EXPECT_EQ(ft::readFile(dir_ / "answer"), "moved\n");
  auto responded = events_.all<Responded>(1);
  ASSERT_EQ(responded.size(), 1u);
  bool location = false;
  for (const auto& h : responded[0].headers) location = location || (h.name == "Location" && h.value == "/new");
  EXPECT_TRUE(location);
  EXPECT_EQ(server.log().find("/new"), std::string::npos);
}

TEST_F(EngineUpload, AskPolicyWaitsForTheDecision) {
  UploadServer server(dir_, {"--redirect", "308:/old:/new.bin", "--redirect", "302:/x:/y"});
  ft::writeRandomFile(dir_ / "src.bin", 300'000, 44);
  Engine engine(events_.sink());
  auto yes = makeUpload(1, server.url("/old"), dir_ / "src.bin", dir_ / "answer1");
  yes.redirects = RedirectPolicy::ask;
  auto no = makeUpload(2, server.url("/x"), dir_ / "src.bin", dir_ / "answer2");
  no.redirects = RedirectPolicy::ask;
  no.request.method = "POST";
  engine.start(std::move(yes));
  engine.start(std::move(no));
  ASSERT_TRUE(events_.waitForA<RedirectProposed>(1));
  ASSERT_TRUE(events_.waitForA<RedirectProposed>(2));
  auto proposed = events_.all<RedirectProposed>(1).at(0);
  EXPECT_EQ(proposed.status, 308);
  EXPECT_EQ(proposed.location, server.url("/new.bin"));
  EXPECT_EQ(proposed.new_method, "PUT");
  EXPECT_TRUE(proposed.keeps_body);
  auto other = events_.all<RedirectProposed>(2).at(0);
  EXPECT_EQ(other.new_method, "GET");
  EXPECT_FALSE(other.keeps_body);
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(events_.waitFinished(1, 10ms));  // held
  EXPECT_EQ(events_.all<Waiting>(1).back().reason, "redirect-decision");
  engine.decideRedirect(1, true);
  engine.decideRedirect(2, false);
  auto first = events_.waitFinished(1);
  auto second = events_.waitFinished(2);
  ASSERT_TRUE(first && !first->error) << first->error->describe();
  EXPECT_EQ(first->http_status, 201);
  EXPECT_EQ(ft::sha256File(server.stored("new.bin")), ft::sha256File(dir_ / "src.bin"));
  ASSERT_TRUE(second && !second->error) << second->error->describe();
  EXPECT_EQ(second->http_status, 302);
  EXPECT_EQ(ft::readFile(dir_ / "answer2"), "moved\n");
  EXPECT_EQ(server.log().find("/y"), std::string::npos);
  EXPECT_EQ(uploadLetters(events_.eventsOf(2)), "W S D W R F");
}

TEST_F(EngineUpload, StopWhileHeldForADecision) {
  UploadServer server(dir_, {"--redirect", "307:/old:/new"});
  ft::writeRandomFile(dir_ / "src.bin", 1000, 45);
  Engine engine(events_.sink());
  auto job = makeUpload(1, server.url("/old"), dir_ / "src.bin", dir_ / "answer");
  job.redirects = RedirectPolicy::ask;
  engine.start(std::move(job));
  ASSERT_TRUE(events_.waitForA<RedirectProposed>(1));
  engine.stop(1);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::cancelled);
  EXPECT_FALSE(finished->resumable);
}

TEST_F(EngineUpload, BadJobsFailAtOnce) {
  Engine engine(events_.sink());
  auto missing = makeUpload(1, "http://127.0.0.1:1/x", dir_ / "nope.bin", dir_ / "answer");
  engine.start(std::move(missing));
  ft::writeFile(dir_ / "src.bin", "abc");
  auto tus_stream = makeUpload(2, "http://127.0.0.1:1/x", dir_ / "src.bin", dir_ / "answer");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[1]);
  tus_stream.body = StreamBody{UniqueFd(fds[0]), 3};
  tus_stream.resumable.mode = ResumableMode::tus;
  engine.start(std::move(tus_stream));
  auto bad_method = makeUpload(3, "http://127.0.0.1:1/x", dir_ / "src.bin", dir_ / "answer");
  bad_method.request.method = "PU T";
  engine.start(std::move(bad_method));
  auto first = events_.waitFinished(1);
  auto second = events_.waitFinished(2);
  auto third = events_.waitFinished(3);
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->error->code, errc::not_found);
  EXPECT_EQ(second->error->code, errc::invalid_argument);
  EXPECT_EQ(third->error->code, errc::invalid_argument);
  EXPECT_TRUE(first->upload.has_value());
}

}  // namespace
}  // namespace ferry::engine::test
