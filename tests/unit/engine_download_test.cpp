// Whole downloads: bytes, event order, errors that end a job at once, progress coalescing.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "common/unique_fd.hpp"

#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

class EngineDownload : public ::testing::Test {
 protected:
  ft::TempDir dir_{"ferry-engine"};
  EventRecorder events_;
};

TEST_F(EngineDownload, DownloadsWholeFileFromNginx) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 3 * 1024 * 1024 + 17);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());

  engine.start(makeJob(1, nginx.url("/file.bin"), dir_ / "file.part"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished);
  ASSERT_FALSE(finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 200);
  EXPECT_EQ(finished->total_written, 3u * 1024 * 1024 + 17);
  EXPECT_EQ(finished->expected_total, 3u * 1024 * 1024 + 17);
  EXPECT_FALSE(finished->validators.etag.empty());
  EXPECT_FALSE(finished->validators.last_modified.empty());
  EXPECT_EQ(finished->content_type, "application/octet-stream");
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));

  auto all = events_.eventsOf(1);
  EXPECT_EQ(eventLetters(all), "W R P F");
  EXPECT_EQ(std::get<Waiting>(all.front()).reason, "queued");
  auto responded = events_.all<Responded>(1).at(0);
  EXPECT_EQ(responded.status, 200);
  EXPECT_EQ(responded.offset, 0u);
  EXPECT_EQ(responded.validators, finished->validators);
  auto progress = events_.all<Progress>(1);
  std::uint64_t sum = 0;
  for (const auto& p : progress) sum += p.bytes_written;
  EXPECT_EQ(sum, finished->total_written);
  EXPECT_EQ(progress.back().total_written, finished->total_written);
}

TEST_F(EngineDownload, CreatesThePartialFilePrivate) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeFile(dir_ / "www/small.txt", "hello\n");
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.start(makeJob(1, nginx.url("/small.txt"), dir_ / "small.part"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error);
  EXPECT_EQ(ft::readFile(dir_ / "small.part"), "hello\n");
  auto perms = std::filesystem::status(dir_ / "small.part").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(EngineDownload, HeadRequestWritesNothing) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 10000);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "head.part");
  job.request.method = "HEAD";
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error);
  EXPECT_EQ(finished->http_status, 200);
  EXPECT_EQ(finished->total_written, 0u);
  EXPECT_EQ(finished->expected_total, 10000u);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "head.part"), 0u);
}

TEST_F(EngineDownload, NotFoundIsAnHttpErrorWithTheBodyInTheFile) {
  ft::writeRandomFile(dir_ / "source.bin", 1000);
  ft::writeFile(dir_ / "stale.part", std::string(5000, 'x'));  // replaced by the error body
  FixtureServer server(dir_, dir_ / "source.bin", {"--status", "404"});
  Engine engine(events_.sink());
  auto job = makeJob(1, server.url("/missing"), dir_ / "stale.part");
  job.resume_offset = 5000;
  job.validators.etag = "\"old\"";
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::http_error);
  EXPECT_NE(finished->error->message.find("404 Not Found"), std::string::npos) << finished->error->message;
  EXPECT_NE(finished->error->message.find(server.url("/missing")), std::string::npos);
  EXPECT_EQ(finished->http_status, 404);
  EXPECT_FALSE(finished->resumable);
  EXPECT_EQ(ft::readFile(dir_ / "stale.part"), "404 Not Found\n");
  EXPECT_EQ(finished->total_written, 14u);
  EXPECT_EQ(events_.all<Retrying>(1).size(), 0u);
  EXPECT_EQ(events_.all<Responded>(1).at(0).offset, 0u);
}

TEST_F(EngineDownload, MalformedUrlFailsAtOnce) {
  Engine engine(events_.sink());
  engine.start(makeJob(1, "http://exa mple.com/file", dir_ / "a.part"));
  auto finished = events_.waitFinished(1, 5s);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::bad_url);
  EXPECT_NE(finished->error->message.find("http://exa mple.com/file"), std::string::npos);
  EXPECT_EQ(events_.eventsOf(1).size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "a.part"));
}

TEST_F(EngineDownload, FtpSchemeIsUnsupported) {
  Engine engine(events_.sink());
  engine.start(makeJob(1, "ftp://127.0.0.1/file", dir_ / "b.part"));
  auto finished = events_.waitFinished(1, 5s);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::unsupported_scheme);
  EXPECT_NE(finished->error->message.find("ftp"), std::string::npos);
  EXPECT_FALSE(finished->resumable);
}

TEST_F(EngineDownload, CallersOwnRangeIsHonoured) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 5000, 3);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "part.part");
  job.request.headers = {{"Range", "bytes=100-199"}};
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 206);
  EXPECT_EQ(ft::readFile(dir_ / "part.part"), ft::readFile(dir_ / "www/file.bin").substr(100, 100));
}

TEST_F(EngineDownload, HeaderWithLineBreakIsRefused) {
  Engine engine(events_.sink());
  auto job = makeJob(1, "http://127.0.0.1:1/x", dir_ / "c.part");
  job.request.headers = {{"X-Trace", "1\r\nX-Injected: yes"}};
  engine.start(job);
  auto finished = events_.waitFinished(1, 5s);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::invalid_argument);
  EXPECT_NE(finished->error->message.find("X-Trace"), std::string::npos);
}

TEST_F(EngineDownload, ServerWithoutRangeSupport) {
  ft::writeRandomFile(dir_ / "source.bin", 300000);
  FixtureServer server(dir_, dir_ / "source.bin", {"--no-range"});
  // A partial file from an earlier run, with validators: the server ignores the Range.
  ft::writeFile(dir_ / "file.part", ft::readFile(dir_ / "source.bin").substr(0, 100000));
  Engine engine(events_.sink());
  auto job = makeJob(1, server.url(), dir_ / "file.part");
  job.resume_offset = 100000;
  job.validators.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 200);
  EXPECT_EQ(events_.all<Responded>(1).at(0).offset, 0u);
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
}

TEST_F(EngineDownload, ProgressNeverCountsBytesThatAreNotInTheFileYet) {
  // Big chunks are written on the write-behind thread; a Progress (what ferryd checkpoints) must
  // only ever count bytes that are already in the partial file.
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 64 * 1024 * 1024 + 5);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  const auto partial = dir_ / "file.part";
  std::atomic<int> checked{0};
  std::atomic<int> ahead{0};
  auto record = events_.sink();
  EngineOptions options;
  options.progress_interval = 1ms;  // a Progress for nearly every chunk
  Engine engine([&](Event event) {
    if (const auto* p = std::get_if<Progress>(&event)) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(partial, ec);
      if (ec || size < p->total_written) ++ahead;
      ++checked;
    }
    record(std::move(event));
  }, options);
  engine.start(makeJob(1, nginx.url("/file.bin"), partial));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished);
  ASSERT_FALSE(finished->error) << finished->error->describe();
  EXPECT_GT(checked.load(), 3);
  EXPECT_EQ(ahead.load(), 0) << "a Progress counted bytes beyond the file's end";
  EXPECT_EQ(finished->total_written, 64u * 1024 * 1024 + 5);
  std::uint64_t sum = 0;
  for (const auto& p : events_.all<Progress>(1)) sum += p.bytes_written;
  EXPECT_EQ(sum, finished->total_written);
  EXPECT_EQ(ft::sha256File(partial), ft::sha256File(dir_ / "www/file.bin"));
}

TEST_F(EngineDownload, ProgressIsCoalesced) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 2 * 1000 * 1000);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.max_bytes_per_second = 1000 * 1000;  // ~2 s in reads of ~10 kB: hundreds of writes
  auto started = Clock::now();
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error);
  EXPECT_GE(Clock::now() - started, 1000ms);
  auto progress = events_.all<Progress>(1);
  EXPECT_GE(progress.size(), 5u);
  EXPECT_LE(progress.size(), 25u);
  EXPECT_EQ(progress.back().total_written, 2u * 1000 * 1000);
  EXPECT_EQ(progress.back().expected_total, 2u * 1000 * 1000);
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
}

TEST_F(EngineDownload, MaxBytesPerSecondThrottles) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/file.bin", 6 * 1000 * 1000);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.max_bytes_per_second = 3 * 1000 * 1000;
  auto started = Clock::now();
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error);
  // curl reads what is already in the socket buffer at once, then paces: allow for that burst.
  EXPECT_GE(Clock::now() - started, 1200ms);
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
}

TEST_F(EngineDownload, SendsRequestHeadersAndMethod) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeFile(dir_ / "www/x.txt", "x");
  auto options = nginxOptions(dir_ / "www");
  options.extra_server_config =
      "    location = /needs-header { if ($http_x_ferry_test = \"yes\") { return 200 \"header seen\\n\"; } return 403; }\n";
  ft::NginxServer nginx(options);
  Engine engine(events_.sink());
  auto with_header = makeJob(1, nginx.url("/needs-header"), dir_ / "h.part");
  with_header.request.headers = {{"X-Ferry-Test", "yes"}};
  engine.start(with_header);
  auto job = makeJob(2, nginx.url("/x.txt"), dir_ / "x.part");
  job.request.method = "DELETE";  // nginx refuses it for static files: 405, a permanent error
  engine.start(job);

  auto seen = events_.waitFinished(1);
  ASSERT_TRUE(seen && !seen->error) << seen->error->describe();
  EXPECT_EQ(ft::readFile(dir_ / "h.part"), "header seen\n");
  auto finished = events_.waitFinished(2);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->http_status, 405);
  EXPECT_EQ(finished->error->code, errc::http_error);
  EXPECT_NE(nginx.accessLogOnceItHas("405").find("405"), std::string::npos);
}

TEST_F(EngineDownload, ProgressOfATrickleIsNotHeldBack) {
  // A hand-made server: two small pieces 30 ms apart, then silence for a while.
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  std::atomic<bool> done{false};
  std::thread server([&] {
    UniqueFd client(::accept(listener.get(), nullptr, nullptr));
    char request[4096];
    (void)::recv(client.get(), request, sizeof request, 0);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
    std::string piece(1000, 'p');
    (void)::send(client.get(), (head + piece).data(), head.size() + piece.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(30ms);
    (void)::send(client.get(), piece.data(), piece.size(), MSG_NOSIGNAL);
    for (int i = 0; i < 150 && !done; ++i) std::this_thread::sleep_for(10ms);
  });
  EngineOptions options;
  options.progress_interval = 200ms;
  Engine engine(events_.sink(), options);
  engine.start(makeJob(1, "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/t", dir_ / "t.part"));
  const bool seen = events_.waitFor(
      1,
      [](const std::vector<Event>& events) {
        auto progress = eventsOfType<Progress>(events);
        return !progress.empty() && progress.back().total_written == 2000;
      },
      1s);
  done = true;
  server.join();
  EXPECT_TRUE(seen);
  engine.stop(1);
  ASSERT_TRUE(events_.waitFinished(1));
}

// A measurement, not a check: run with --gtest_also_run_disabled_tests to compare with curl.
TEST_F(EngineDownload, DISABLED_Throughput) {
  std::filesystem::create_directories(dir_ / "www");
  ft::writeRandomFile(dir_ / "www/big.bin", 512ull * 1024 * 1024);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  auto started = Clock::now();
  engine.start(makeJob(1, nginx.url("/big.bin"), dir_ / "big.part"));
  auto finished = events_.waitFinished(1, 120s);
  ASSERT_TRUE(finished && !finished->error);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("engine: 512 MiB in %.2f s = %.0f MiB/s\n", seconds, 512 / seconds);
  started = Clock::now();
  auto curl = ft::runCommand({"curl", "-s", "-o", (dir_ / "curl.out").string(), nginx.url("/big.bin")});
  const double curl_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("curl:   512 MiB in %.2f s = %.0f MiB/s\n", curl_seconds, 512 / curl_seconds);
}

}  // namespace
}  // namespace ferry::engine::test
