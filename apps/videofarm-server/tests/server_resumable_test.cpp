// Resumable uploads with real cuts: the IETF draft (interop 6 and 8) and tus 1.0.0. Each test
// cuts a request in the middle, asks for the offset, finishes, and compares sha256.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "server_fixture.hpp"

namespace vf::test {
namespace {
using namespace std::chrono_literals;
using ferry::test::readFile;
using ferry::test::sha256Bytes;
using ferry::test::TempDir;

std::string movieBytes() { return readFile(mediaDir() / "sample-3s.mp4"); }

// Sends a request header and the first `sent` bytes of `body`, waits until the server has
// taken them, then resets the connection. Returns what the server answered before the cut.
std::string cutRequest(int port, const std::string& head, const std::string& body, std::size_t sent,
                       const std::string& wait_for = "") {
  RawConnection c(port);
  c.send(head + body.substr(0, sent));
  std::string seen = wait_for.empty() ? std::string() : c.readUntil(wait_for, 5s);
  std::this_thread::sleep_for(300ms);
  c.reset();
  return seen;
}

std::string locationIn(const std::string& raw) {
  auto at = raw.find("Location: ");
  if (at == std::string::npos) return {};
  auto end = raw.find("\r\n", at);
  return raw.substr(at + 10, end - at - 10);
}

std::vector<std::string> ietfHeaders(int version) {
  return {"-H", "Upload-Draft-Interop-Version: " + std::to_string(version)};
}

HttpAnswer ietfHead(const ServerProcess& server, const std::string& location, int version) {
  auto args = ietfHeaders(version);
  args.insert(args.end(), {"-I", server.url(location)});
  return curl(args);
}

HttpAnswer ietfPatch(const ServerProcess& server, const std::string& location, int version, std::uint64_t offset,
                     bool complete, const std::filesystem::path& body) {
  auto args = ietfHeaders(version);
  args.insert(args.end(), {"-X", "PATCH", "-H", "Upload-Offset: " + std::to_string(offset), "-H",
                           std::string("Upload-Complete: ") + (complete ? "?1" : "?0"), "-H",
                           "Content-Type: application/partial-upload", "--data-binary", "@" + body.string(),
                           server.url(location)});
  return curl(args);
}

std::string movieSha(const ServerProcess& server, const std::string& id) {
  auto answer = curl({server.url("/videos/" + id + "/movie")});
  EXPECT_EQ(answer.status, 200);
  return sha256Bytes(answer.body);
}

TEST(VideoFarmResumable, IetfV8CreationCutThenResumed) {
  ServerProcess server;
  TempDir tmp;
  std::string id = createVideo(server, "ietf8", false);
  const std::string movie = movieBytes();
  const std::size_t cut = 17000;
  std::string head = "POST /videos/" + id + "/movie HTTP/1.1\r\nHost: x\r\nUpload-Draft-Interop-Version: 8\r\n"
                     "Upload-Complete: ?1\r\nContent-Length: " + std::to_string(movie.size()) + "\r\n\r\n";
  std::string interim = cutRequest(server.port(), head, movie, cut, "\r\n\r\n");
  ASSERT_NE(interim.find("HTTP/1.1 104 Upload Resumption Supported"), std::string::npos) << interim;
  EXPECT_NE(interim.find("Upload-Draft-Interop-Version: 8"), std::string::npos);
  EXPECT_NE(interim.find("max-age="), std::string::npos);
  std::string location = locationIn(interim);
  ASSERT_EQ(location.rfind("/uploads/", 0), 0u) << interim;

  auto state = nlohmann::json::parse(curl({server.url("/videos/" + id)}).body);
  EXPECT_EQ(state["upload_state"], "uploading");
  EXPECT_EQ(curl({server.url("/videos/" + id + "/movie")}).status, 404);  // nothing half-written

  auto offset = ietfHead(server, location, 8);
  ASSERT_EQ(offset.status, 204);
  EXPECT_EQ(offset.header("upload-offset"), std::to_string(cut));
  EXPECT_EQ(offset.header("upload-complete"), "?0");
  EXPECT_EQ(offset.header("upload-length"), std::to_string(movie.size()));
  EXPECT_EQ(offset.header("cache-control"), "no-store");

  ferry::test::writeFile(tmp / "rest", movie.substr(cut));
  auto done = ietfPatch(server, location, 8, cut, true, tmp / "rest");
  EXPECT_EQ(done.status, 201);
  EXPECT_EQ(done.header("upload-complete"), "?1");
  EXPECT_EQ(movieSha(server, id), sha256Bytes(movie));
  auto after = ietfHead(server, location, 8);
  EXPECT_EQ(after.header("upload-complete"), "?1");
  EXPECT_EQ(nlohmann::json::parse(curl({server.url("/videos/" + id)}).body)["upload_state"], "ready");
}

TEST(VideoFarmResumable, IetfV6AppendCutThenResumed) {
  ServerProcess server;
  TempDir tmp;
  std::string id = createVideo(server, "ietf6", false);
  const std::string movie = movieBytes();
  // Careful creation: no data, Upload-Complete: ?0, learn the upload's URL from the 201.
  auto created = curl({"-X", "POST", "-H", "Upload-Draft-Interop-Version: 6", "-H", "Upload-Complete: ?0", "-H",
                       "Upload-Length: " + std::to_string(movie.size()), "-H", "Content-Length: 0",
                       server.url("/videos/" + id + "/movie")});
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(created.interim, std::vector<int>{104});
  EXPECT_NE(created.header("upload-limit").find("expires="), std::string::npos);
  std::string location = created.header("location");

  // A PATCH cut after 10000 of its bytes.
  std::string head = "PATCH " + location + " HTTP/1.1\r\nHost: x\r\nUpload-Draft-Interop-Version: 6\r\n"
                     "Upload-Offset: 0\r\nUpload-Complete: ?1\r\nContent-Type: application/partial-upload\r\n"
                     "Content-Length: " + std::to_string(movie.size()) + "\r\n\r\n";
  cutRequest(server.port(), head, movie, 10000);
  auto offset = ietfHead(server, location, 6);
  ASSERT_EQ(offset.status, 204);
  EXPECT_EQ(offset.header("upload-offset"), "10000");

  // A stale offset is refused with the right one.
  ferry::test::writeFile(tmp / "rest", movie.substr(10000));
  auto conflict = ietfPatch(server, location, 6, 5000, true, tmp / "rest");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.header("upload-offset"), "10000");
  EXPECT_EQ(nlohmann::json::parse(conflict.body)["expected-offset"], 10000);

  // Two more appends: an intermediate one, then the last.
  ferry::test::writeFile(tmp / "middle", movie.substr(10000, 20000));
  auto middle = ietfPatch(server, location, 6, 10000, false, tmp / "middle");
  EXPECT_EQ(middle.status, 204);
  EXPECT_EQ(middle.header("upload-complete"), "?0");
  EXPECT_EQ(middle.header("upload-offset"), "30000");
  ferry::test::writeFile(tmp / "last", movie.substr(30000));
  auto done = ietfPatch(server, location, 6, 30000, true, tmp / "last");
  EXPECT_EQ(done.status, 201);
  EXPECT_EQ(movieSha(server, id), sha256Bytes(movie));
}

// A client that lost its connection asks for the offset on a new one while the server still holds
// the old request open: the new request supersedes it, on whichever I/O thread it runs, and the
// offset is exactly what arrived. Four uploads, so connections land on different threads.
TEST(VideoFarmResumable, ANewRequestSupersedesAStillOpenOneOnAnyThread) {
  ServerProcess server;
  TempDir tmp;
  const std::string movie = movieBytes();
  for (int round = 0; round < 4; ++round) {
    std::string id = createVideo(server, "superseded " + std::to_string(round), false);
    auto created = curl({"-X", "POST", "-H", "Upload-Draft-Interop-Version: 8", "-H", "Upload-Complete: ?0", "-H",
                         "Content-Length: 0", server.url("/videos/" + id + "/movie")});
    ASSERT_EQ(created.status, 201);
    const std::string location = created.header("location");
    RawConnection hanging(server.port());
    hanging.send("PATCH " + location + " HTTP/1.1\r\nHost: x\r\nUpload-Draft-Interop-Version: 8\r\n"
                 "Upload-Offset: 0\r\nUpload-Complete: ?1\r\nContent-Type: application/partial-upload\r\n"
                 "Content-Length: " + std::to_string(movie.size()) + "\r\n\r\n" + movie.substr(0, 12345));
    std::this_thread::sleep_for(300ms);  // the server has the bytes; the request stays open
    auto offset = ietfHead(server, location, 8);
    ASSERT_EQ(offset.status, 204) << offset.body;
    EXPECT_EQ(offset.header("upload-offset"), "12345") << "round " << round;
    ferry::test::writeFile(tmp / "rest", movie.substr(12345));
    auto done = ietfPatch(server, location, 8, 12345, true, tmp / "rest");
    EXPECT_EQ(done.status, 201) << done.body;
    EXPECT_EQ(movieSha(server, id), sha256Bytes(movie));
  }
}

TEST(VideoFarmResumable, IetfSurvivesServerCrash) {
  TempDir data;
  TempDir tmp;
  const std::string movie = movieBytes();
  std::string id;
  std::string location;
  {
    ServerProcess server({}, data.path());
    id = createVideo(server, "crash", false);
    std::string head = "PUT /videos/" + id + "/movie HTTP/1.1\r\nHost: x\r\nUpload-Draft-Interop-Version: 8\r\n"
                       "Upload-Complete: ?1\r\nContent-Length: " + std::to_string(movie.size()) + "\r\n\r\n";
    RawConnection c(server.port());
    c.send(head + movie.substr(0, 25000));
    location = locationIn(c.readUntil("\r\n\r\n", 5s));
    std::this_thread::sleep_for(300ms);
    server.kill9();  // the bytes reached the file but were never synced and recorded
  }
  ServerProcess server({}, data.path());
  auto offset = ietfHead(server, location, 8);
  ASSERT_EQ(offset.status, 204);
  std::uint64_t at = std::stoull(offset.header("upload-offset"));
  EXPECT_LE(at, 25000u);  // never more than was durable
  ferry::test::writeFile(tmp / "rest", movie.substr(at));
  EXPECT_EQ(ietfPatch(server, location, 8, at, true, tmp / "rest").status, 201);
  EXPECT_EQ(movieSha(server, id), sha256Bytes(movie));
}

TEST(VideoFarmResumable, IetfRefusalsOptionsAndCancel) {
  ServerProcess server({"--max-movie-bytes", "100000"});
  TempDir tmp;
  std::string id = createVideo(server, "refusals", false);
  auto options = curl({"-X", "OPTIONS", server.url("/videos/" + id + "/movie")});
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.header("accept-patch"), "application/partial-upload");
  EXPECT_NE(options.header("upload-limit").find("max-size=100000"), std::string::npos);

  // Missing Upload-Complete, inconsistent lengths, too large.
  auto base = ietfHeaders(8);
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return curl(args);
  };
  EXPECT_EQ(with({"-X", "POST", "--data-binary", "abc", server.url("/videos/" + id + "/movie")}).status, 400);
  EXPECT_EQ(with({"-X", "POST", "-H", "Upload-Complete: ?1", "-H", "Upload-Length: 10", "--data-binary", "abc",
                  server.url("/videos/" + id + "/movie")}).status, 400);
  auto big = with({"-X", "POST", "-H", "Upload-Complete: ?0", "-H", "Upload-Length: 200000", "-H", "Content-Length: 0",
                   server.url("/videos/" + id + "/movie")});
  EXPECT_EQ(big.status, 413);
  EXPECT_FALSE(big.header("upload-limit").empty());
  // POST without the draft header is not a plain upload.
  EXPECT_EQ(curl({"-X", "POST", "--data-binary", "abc", server.url("/videos/" + id + "/movie")}).status, 400);
  // An interop version we do not speak: a PUT falls back to a plain upload.
  ferry::test::writeFile(tmp / "movie", movieBytes());
  EXPECT_EQ(curl({"-H", "Upload-Draft-Interop-Version: 3", "-H", "Upload-Complete: ?1", "-T", (tmp / "movie").string(),
                  server.url("/videos/" + id + "/movie")}).status, 201);

  auto created = with({"-X", "POST", "-H", "Upload-Complete: ?0", "-H", "Content-Length: 0",
                       server.url("/videos/" + id + "/movie")});
  ASSERT_EQ(created.status, 201);
  std::string location = created.header("location");
  ferry::test::writeFile(tmp / "piece", "0123456789");
  // Wrong media type, missing offset.
  EXPECT_EQ(with({"-X", "PATCH", "-H", "Upload-Offset: 0", "-H", "Upload-Complete: ?0", "-H",
                  "Content-Type: application/octet-stream", "--data-binary", "@" + (tmp / "piece").string(),
                  server.url(location)}).status, 415);
  EXPECT_EQ(with({"-X", "PATCH", "-H", "Upload-Complete: ?0", "-H", "Content-Type: application/partial-upload",
                  "--data-binary", "@" + (tmp / "piece").string(), server.url(location)}).status, 400);
  // Past max-size while appending (no length known): 413, what arrived is kept.
  ferry::test::writeRandomFile(tmp / "huge", 150000, 9);
  EXPECT_EQ(ietfPatch(server, location, 8, 0, false, tmp / "huge").status, 413);
  auto uoptions = with({"-X", "OPTIONS", server.url(location)});
  EXPECT_EQ(uoptions.status, 204);
  // Cancel: the resource is gone.
  EXPECT_EQ(with({"-X", "DELETE", server.url(location)}).status, 204);
  EXPECT_EQ(ietfHead(server, location, 8).status, 404);
  EXPECT_EQ(curl({"-I", server.url("/uploads/0123456789abcdef0123456789abcdef")}).status, 404);
  EXPECT_EQ(curl({"--path-as-is", "-I", server.url("/uploads/../catalog.sqlite3")}).status, 404);
  EXPECT_EQ(curl({"-I", server.url("/uploads/..%2fcatalog.sqlite3")}).status, 404);
}

TEST(VideoFarmResumable, TusCutThenResumedAndTerminated) {
  ServerProcess server;
  TempDir tmp;
  std::string id = createVideo(server, "tus", false);
  const std::string movie = movieBytes();
  auto options = curl({"-X", "OPTIONS", server.url("/tus/videos/" + id)});
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.header("tus-version"), "1.0.0");
  EXPECT_EQ(options.header("tus-extension"), "creation,termination,expiration");
  EXPECT_FALSE(options.header("tus-max-size").empty());

  EXPECT_EQ(curl({"-X", "POST", "-H", "Upload-Length: 10", server.url("/tus/videos/" + id)}).status, 412);
  EXPECT_EQ(curl({"-X", "POST", "-H", "Tus-Resumable: 1.0.0", server.url("/tus/videos/" + id)}).status, 400);
  auto created = curl({"-X", "POST", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: " + std::to_string(movie.size()),
                       "-H", "Upload-Metadata: filename c2FtcGxlLm1wNA==", server.url("/tus/videos/" + id)});
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(created.header("tus-resumable"), "1.0.0");
  EXPECT_FALSE(created.header("upload-expires").empty());
  std::string location = created.header("location");

  std::string head = "PATCH " + location + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                     "Content-Type: application/offset+octet-stream\r\nContent-Length: " +
                     std::to_string(movie.size()) + "\r\n\r\n";
  cutRequest(server.port(), head, movie, 12345);
  auto offset = curl({"-I", "-H", "Tus-Resumable: 1.0.0", server.url(location)});
  ASSERT_EQ(offset.status, 200);
  EXPECT_EQ(offset.header("upload-offset"), "12345");
  EXPECT_EQ(offset.header("upload-length"), std::to_string(movie.size()));
  EXPECT_EQ(offset.header("upload-metadata"), "filename c2FtcGxlLm1wNA==");

  ferry::test::writeFile(tmp / "rest", movie.substr(12345));
  auto patch = [&](std::uint64_t at) {
    return curl({"-X", "PATCH", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: " + std::to_string(at), "-H",
                 "Content-Type: application/offset+octet-stream", "--data-binary", "@" + (tmp / "rest").string(),
                 server.url(location)});
  };
  auto conflict = patch(0);
  EXPECT_EQ(conflict.status, 409);
  auto done = patch(12345);
  EXPECT_EQ(done.status, 204);
  EXPECT_EQ(done.header("upload-offset"), std::to_string(movie.size()));
  EXPECT_EQ(movieSha(server, id), sha256Bytes(movie));

  // Termination of another upload.
  auto other = curl({"-X", "POST", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: 100", server.url("/tus/videos/" + id)});
  ASSERT_EQ(other.status, 201);
  EXPECT_EQ(curl({"-X", "DELETE", "-H", "Tus-Resumable: 1.0.0", server.url(other.header("location"))}).status, 204);
  EXPECT_EQ(curl({"-I", "-H", "Tus-Resumable: 1.0.0", server.url(other.header("location"))}).status, 404);
}

TEST(VideoFarmResumable, DeletingTheVideoRemovesItsUnfinishedUploads) {
  ServerProcess server;
  TempDir tmp;
  std::string id = createVideo(server, "deleted mid-upload", false);
  const std::string movie = movieBytes();
  ferry::test::writeFile(tmp / "part", movie.substr(0, 20000));
  auto created = curl({"-X", "POST", "-H", "Upload-Draft-Interop-Version: 8", "-H", "Upload-Complete: ?0",
                       "--data-binary", "@" + (tmp / "part").string(), server.url("/videos/" + id + "/movie")});
  ASSERT_EQ(created.status, 201);
  EXPECT_FALSE(std::filesystem::is_empty(server.dataDir() / "uploads"));
  EXPECT_EQ(curl({"-X", "DELETE", server.url("/videos/" + id)}).status, 204);
  EXPECT_TRUE(std::filesystem::is_empty(server.dataDir() / "uploads"));  // its bytes went with it
  EXPECT_EQ(ietfHead(server, created.header("location"), 8).status, 404);
}

TEST(VideoFarmResumable, TusUploadsExpire) {
  ServerProcess server({"--upload-expiry-s", "1"});
  std::string id = createVideo(server, "expiring", false);
  auto created = curl({"-X", "POST", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: 100", server.url("/tus/videos/" + id)});
  ASSERT_EQ(created.status, 201);
  std::string location = created.header("location");
  EXPECT_EQ(curl({"-I", "-H", "Tus-Resumable: 1.0.0", server.url(location)}).status, 200);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(curl({"-I", "-H", "Tus-Resumable: 1.0.0", server.url(location)}).status, 404);
  EXPECT_TRUE(std::filesystem::is_empty(server.dataDir() / "uploads"));
}

}  // namespace
}  // namespace vf::test
