// VideoFarm across machines: two server instances with separate data directories on one
// PostgreSQL and one Ceph pool (a single-node cluster started here, shared by the tests of this
// program; a pool and a database per test). Movies cross instances byte for byte with the same
// validators, resumable uploads continue on another instance after a SIGKILL, concurrent appends
// are serialised, DELETE removes the objects, and a stopped OSD is a clear 503 that the upload
// survives.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <thread>

#include "ceph_fixture.hpp"
#include "postgres_fixture.hpp"
#include "server_fixture.hpp"
#include "support/servers.hpp"

namespace vf::test {
namespace {
using namespace std::chrono_literals;
using ferry::test::readFile;
using ferry::test::sha256Bytes;
using ferry::test::TempDir;

constexpr std::uint64_t kMiB = 1ull << 20;

// One cluster and one PostgreSQL for the whole program (started before the first test).
class SharedServices : public ::testing::Environment {
 public:
  void SetUp() override {
#ifndef VF_SERVER_HAS_RADOS
    skip_reason = "this videofarm-server was built without librados (librados-dev was missing at configure time)";
    return;
#endif
    skip_reason = cephMissing();
    if (skip_reason.empty() && postgresBinDir().empty()) skip_reason = "PostgreSQL is not installed";
    if (!skip_reason.empty()) return;
    ceph = std::make_unique<CephCluster>();
    pg = std::make_unique<PostgresServer>();
  }
  void TearDown() override {
    pg.reset();
    ceph.reset();
  }
  std::string skip_reason;
  std::unique_ptr<CephCluster> ceph;
  std::unique_ptr<PostgresServer> pg;
};

SharedServices* services = static_cast<SharedServices*>(::testing::AddGlobalTestEnvironment(new SharedServices));

// A pool, a database and two instances A and B on them, each with its own data directory.
class CephInstances : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!services->skip_reason.empty()) GTEST_SKIP() << "Ceph tests skipped: " << services->skip_reason;
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    pool_ = "vf-" + name;
    services->ceph->createPool(pool_);
    services->pg->query("CREATE DATABASE " + name);
    std::vector<std::string> args{"--database", services->pg->url(name), "--blob-store",
                                  services->ceph->blobStoreUrl(pool_, op_timeout_s_)};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    a_ = std::make_unique<ServerProcess>(args);
    b_ = std::make_unique<ServerProcess>(args);
  }

  CephCluster& ceph() { return *services->ceph; }
  std::vector<std::string> objects() { return ceph().objects(pool_); }

  std::vector<std::string> extra_args_;  // for both instances
  int op_timeout_s_ = 0;                  // RADOS operation timeout of both (0: the server's 30 s)
  std::string pool_;
  TempDir tmp_;
  std::unique_ptr<ServerProcess> a_;
  std::unique_ptr<ServerProcess> b_;
};

std::string randomMovie(const std::filesystem::path& path, std::uint64_t size, std::uint64_t seed) {
  ferry::test::writeRandomFile(path, size, seed);
  return readFile(path);
}

HttpAnswer ietf(const std::vector<std::string>& args) {
  std::vector<std::string> all{"-H", "Upload-Draft-Interop-Version: 8"};
  all.insert(all.end(), args.begin(), args.end());
  return curl(all);
}

// An empty IETF upload of the video (its length declared); returns its location.
std::string createIetfUpload(const ServerProcess& server, const std::string& id, std::uint64_t length) {
  auto created = ietf({"-X", "POST", "-H", "Upload-Complete: ?0", "-H", "Upload-Length: " + std::to_string(length),
                       "-H", "Content-Length: 0", server.url("/videos/" + id + "/movie")});
  EXPECT_EQ(created.status, 201) << created.body;
  return created.header("location");
}

std::uint64_t ietfOffset(const ServerProcess& server, const std::string& location) {
  auto head = ietf({"-I", server.url(location)});
  EXPECT_EQ(head.status, 204) << head.body;
  return head.header("upload-offset").empty() ? 0 : std::stoull(head.header("upload-offset"));
}

HttpAnswer ietfAppendRest(const ServerProcess& server, const std::string& location, const std::string& movie,
                          std::uint64_t from, const std::filesystem::path& scratch) {
  ferry::test::writeFile(scratch, movie.substr(from));
  return ietf({"-X", "PATCH", "-H", "Upload-Offset: " + std::to_string(from), "-H", "Upload-Complete: ?1", "-H",
               "Content-Type: application/partial-upload", "--data-binary", "@" + scratch.string(),
               server.url(location)});
}

std::string headerIn(const std::string& raw, const std::string& name) {
  auto at = raw.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  at += name.size() + 4;
  return raw.substr(at, raw.find("\r\n", at) - at);
}

TEST_F(CephInstances, MovieCrossesInstancesWithTheSameValidators) {
  std::string id = createVideo(*a_, "made on A", false);
  // A real movie first: B's probe and A's (or B's) media worker read it from RADOS.
  ferry::test::writeFile(tmp_ / "sample.mp4", readFile(mediaDir() / "sample-3s.mp4"));
  ASSERT_EQ(curl({"-T", (tmp_ / "sample.mp4").string(), b_->url("/videos/" + id + "/movie")}).status, 201);
  auto video = nlohmann::json::parse(curl({a_->url("/videos/" + id)}).body);
  EXPECT_NEAR(video["movie"]["duration"].get<double>(), 3.0, 0.1);
  ASSERT_TRUE(ferry::test::waitUntil(
      [&] { return !nlohmann::json::parse(curl({a_->url("/videos/" + id)}).body)["thumbnail_url"].is_null(); }, 30s));
  auto thumbnail = curl({a_->url("/videos/" + id + "/thumbnail")});
  EXPECT_EQ(thumbnail.status, 200);
  EXPECT_EQ(thumbnail.body.substr(1, 3), "PNG");

  // Then 10 MiB over three chunk objects, replacing it: ranges across a chunk's end, byte-exact.
  const std::string movie = randomMovie(tmp_ / "movie", 10 * kMiB + 12345, 7);
  ASSERT_EQ(curl({"-T", (tmp_ / "movie").string(), b_->url("/videos/" + id + "/movie")}).status, 204);
  auto range = curl({"-H", "Range: bytes=4194000-4195000", a_->url("/videos/" + id + "/movie")});
  ASSERT_EQ(range.status, 206);
  EXPECT_EQ(range.header("content-range"), "bytes 4194000-4195000/" + std::to_string(movie.size()));
  EXPECT_EQ(range.body, movie.substr(4194000, 1001));
  auto tail = curl({"-H", "Range: bytes=-5000", a_->url("/videos/" + id + "/movie")});
  EXPECT_EQ(tail.body, movie.substr(movie.size() - 5000));
  EXPECT_EQ(sha256Bytes(curl({a_->url("/videos/" + id + "/movie")}).body), sha256Bytes(movie));

  auto head_a = curl({"-I", a_->url("/videos/" + id + "/movie")});
  auto head_b = curl({"-I", b_->url("/videos/" + id + "/movie")});
  ASSERT_FALSE(head_a.header("etag").empty());
  EXPECT_EQ(head_a.header("etag"), head_b.header("etag"));
  EXPECT_EQ(head_a.header("last-modified"), head_b.header("last-modified"));
  EXPECT_EQ(head_a.header("content-length"), std::to_string(movie.size()));
  // A validator from one instance holds on the other.
  EXPECT_EQ(curl({"-H", "If-None-Match: " + head_a.header("etag"), b_->url("/videos/" + id + "/movie")}).status, 304);
  auto if_range = curl({"-H", "Range: bytes=0-99", "-H", "If-Range: " + head_b.header("etag"),
                        a_->url("/videos/" + id + "/movie")});
  EXPECT_EQ(if_range.status, 206);
  EXPECT_EQ(if_range.body, movie.substr(0, 100));
  auto stale = curl({"-H", "Range: bytes=0-99", "-H", "If-Range: \"0-0-000000000000\"", a_->url("/videos/" + id + "/movie")});
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body.size(), movie.size());

  // The replaced movie's chunks are gone: its head, three chunks, the thumbnail's head and chunk.
  auto names = objects();
  EXPECT_EQ(names.size(), 6u) << ::testing::PrintToString(names);
  EXPECT_EQ(std::count(names.begin(), names.end(), "movie." + id), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "thumbnail." + id), 1);
}

TEST_F(CephInstances, UploadCutOnKilledInstanceContinuesOnTheOther) {
  std::string id = createVideo(*a_, "64 MiB", false);
  const std::string movie = randomMovie(tmp_ / "movie", 64 * kMiB, 11);
  const std::string location = createIetfUpload(*a_, id, movie.size());
  ASSERT_EQ(location.rfind("/uploads/", 0), 0u);

  // The PATCH goes to A through the cutting proxy, which cuts it at ~40%.
  const std::uint64_t cut = movie.size() * 4 / 10;
  ferry::test::CutProxy proxy(tmp_, a_->port(), "PATCH", cut);
  auto cut_patch = ferry::test::runCommand(
      {"curl", "-s", "-o", "/dev/null", "-X", "PATCH", "-H", "Upload-Draft-Interop-Version: 8", "-H",
       "Upload-Offset: 0", "-H", "Upload-Complete: ?1", "-H", "Content-Type: application/partial-upload",
       "--data-binary", "@" + (tmp_ / "movie").string(), proxy.url(location)});
  EXPECT_NE(cut_patch.exit_code, 0) << "the proxy should have cut the PATCH";
  ASSERT_NE(proxy.log().find("cut PATCH"), std::string::npos) << proxy.log();
  // A records what it received before it goes (at the cut, or every 16 MiB): wait for that in
  // the shared catalogue, then kill it without a chance to do anything more.
  ASSERT_TRUE(ferry::test::waitUntil([&] { return ietfOffset(*b_, location) >= 16 * kMiB; }, 30s));
  a_->kill9();

  const std::uint64_t offset = ietfOffset(*b_, location);
  EXPECT_GE(offset, 16 * kMiB);
  EXPECT_LE(offset, cut);
  auto done = ietfAppendRest(*b_, location, movie, offset, tmp_ / "rest");
  EXPECT_EQ(done.status, 201) << done.body;
  EXPECT_EQ(sha256Bytes(curl({b_->url("/videos/" + id + "/movie")}).body), sha256Bytes(movie));
  auto list = nlohmann::json::parse(curl({b_->url("/videos")}).body)["videos"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_EQ(list[0]["movie"]["size"], movie.size());
  EXPECT_EQ(list[0]["upload_state"], "ready");
  // 64 MiB is 16 chunk objects under the movie's head; the cut left nothing else behind.
  EXPECT_EQ(objects().size(), 17u);
}

TEST_F(CephInstances, ConcurrentAppendsThroughTwoInstancesOneWins) {
  std::string id = createVideo(*a_, "raced", false);
  const std::string movie = randomMovie(tmp_ / "movie", 6 * kMiB, 13);
  const std::string location = createIetfUpload(*a_, id, movie.size());
  // The first 2 MiB through B, then both race for the rest.
  const std::uint64_t first = 2 * kMiB;
  ferry::test::writeFile(tmp_ / "first", movie.substr(0, first));
  ASSERT_EQ(ietf({"-X", "PATCH", "-H", "Upload-Offset: 0", "-H", "Upload-Complete: ?0", "-H",
                  "Content-Type: application/partial-upload", "--data-binary", "@" + (tmp_ / "first").string(),
                  b_->url(location)}).status,
            204);
  const std::string head = "PATCH " + location + " HTTP/1.1\r\nHost: x\r\nUpload-Draft-Interop-Version: 8\r\n"
                           "Upload-Offset: " + std::to_string(first) + "\r\nUpload-Complete: ?1\r\n"
                           "Content-Type: application/partial-upload\r\nExpect: 100-continue\r\nContent-Length: " +
                           std::to_string(movie.size() - first) + "\r\n\r\n";
  // Both headers at once; each server answers 100 Continue only once it holds the upload.
  RawConnection to_a(a_->port());
  RawConnection to_b(b_->port());
  to_a.send(head);
  to_b.send(head);
  std::string from_a = to_a.readUntil("\r\n\r\n", 15s);
  std::string from_b = to_b.readUntil("\r\n\r\n", 15s);
  const bool a_won = from_a.find(" 100 ") != std::string::npos;
  const bool b_won = from_b.find(" 100 ") != std::string::npos;
  ASSERT_NE(a_won, b_won) << "A: " << from_a << "\nB: " << from_b;
  RawConnection& winner = a_won ? to_a : to_b;
  RawConnection& loser = a_won ? to_b : to_a;
  const std::string lost = (a_won ? from_b : from_a) + loser.readUntil("}", 5s);
  EXPECT_NE(lost.find("HTTP/1.1 409"), std::string::npos) << lost;
  EXPECT_EQ(headerIn(lost, "Upload-Offset"), std::to_string(first)) << lost;
  EXPECT_NE(lost.find("another request is appending"), std::string::npos) << lost;

  winner.send(movie.substr(first));
  const std::string won = winner.readUntil("\r\n\r\n", 60s);
  EXPECT_NE(won.find("HTTP/1.1 201"), std::string::npos) << won;
  // The loser asks again: the upload is complete, and the bytes are the winner's.
  auto after = ietf({"-I", (a_won ? b_ : a_)->url(location)});
  EXPECT_EQ(after.header("upload-complete"), "?1");
  EXPECT_EQ(after.header("upload-offset"), std::to_string(movie.size()));
  EXPECT_EQ(sha256Bytes(curl({a_->url("/videos/" + id + "/movie")}).body), sha256Bytes(movie));
}

TEST_F(CephInstances, TusUploadContinuesOnTheOtherInstance) {
  std::string id = createVideo(*a_, "tus", false);
  const std::string movie = randomMovie(tmp_ / "movie", 5 * kMiB + 777, 29);
  auto created = curl({"-X", "POST", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: " + std::to_string(movie.size()),
                       a_->url("/tus/videos/" + id)});
  ASSERT_EQ(created.status, 201);
  const std::string location = created.header("location");
  auto patch = [&](const ServerProcess& server, std::uint64_t from, std::uint64_t to) {
    ferry::test::writeFile(tmp_ / "piece", movie.substr(from, to - from));
    return curl({"-X", "PATCH", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: " + std::to_string(from), "-H",
                 "Content-Type: application/offset+octet-stream", "--data-binary", "@" + (tmp_ / "piece").string(),
                 server.url(location)});
  };
  EXPECT_EQ(patch(*a_, 0, 3 * kMiB).status, 204);
  auto offset = curl({"-I", "-H", "Tus-Resumable: 1.0.0", b_->url(location)});
  EXPECT_EQ(offset.header("upload-offset"), std::to_string(3 * kMiB));
  EXPECT_EQ(patch(*b_, 0, 1000).status, 409);  // a stale offset, refused with the right one
  auto done = patch(*b_, 3 * kMiB, movie.size());
  EXPECT_EQ(done.status, 204);
  EXPECT_EQ(done.header("upload-offset"), std::to_string(movie.size()));
  EXPECT_EQ(sha256Bytes(curl({a_->url("/videos/" + id + "/movie")}).body), sha256Bytes(movie));
}

TEST_F(CephInstances, DeleteOnOtherInstanceRemovesTheObjects) {
  std::string id = createVideo(*a_, "to delete", true);  // with a thumbnail from the form
  randomMovie(tmp_ / "movie", 9 * kMiB, 17);
  ASSERT_EQ(curl({"-T", (tmp_ / "movie").string(), a_->url("/videos/" + id + "/movie")}).status, 201);
  // An unfinished upload of the same video with 5 MiB in it.
  const std::string location = createIetfUpload(*a_, id, 9 * kMiB);
  ferry::test::writeFile(tmp_ / "part", readFile(tmp_ / "movie").substr(0, 5 * kMiB));
  ASSERT_EQ(ietf({"-X", "PATCH", "-H", "Upload-Offset: 0", "-H", "Upload-Complete: ?0", "-H",
                  "Content-Type: application/partial-upload", "--data-binary", "@" + (tmp_ / "part").string(),
                  a_->url(location)}).status,
            204);
  // Movie: head + 3 chunks; thumbnail: head + 1 chunk; the upload: 2 chunks.
  auto before = objects();
  EXPECT_EQ(before.size(), 8u) << ::testing::PrintToString(before);

  EXPECT_EQ(curl({"-X", "DELETE", b_->url("/videos/" + id)}).status, 204);
  EXPECT_EQ(objects(), std::vector<std::string>{});
  EXPECT_EQ(curl({a_->url("/videos/" + id + "/movie")}).status, 404);
  EXPECT_EQ(ietf({"-I", a_->url(location)}).status, 404);
}

// Instances that give up on an OSD after 5 s rather than 30.
class CephShortTimeout : public CephInstances {
 protected:
  CephShortTimeout() { op_timeout_s_ = 5; }
};

TEST_F(CephShortTimeout, StoppedOsdMidPutIsA503AndTheUploadResumes) {
  std::string id = createVideo(*a_, "osd stops", false);
  const std::string movie = randomMovie(tmp_ / "movie", 40 * kMiB, 19);
  // An IETF upload in one PUT (Upload-Complete: ?1): the 104 names it before the body goes.
  RawConnection c(a_->port());
  c.send("PUT /videos/" + id + "/movie HTTP/1.1\r\nHost: x\r\nUpload-Draft-Interop-Version: 8\r\n"
         "Upload-Complete: ?1\r\nContent-Length: " + std::to_string(movie.size()) + "\r\n\r\n" +
         movie.substr(0, 20 * kMiB));
  std::string interim = c.readUntil("\r\n\r\n", 10s);
  const std::string location = headerIn(interim, "Location");
  ASSERT_EQ(location.rfind("/uploads/", 0), 0u) << interim;
  // 16 MiB are recorded once they are durable.
  ASSERT_TRUE(ferry::test::waitUntil([&] { return ietfOffset(*b_, location) >= 16 * kMiB; }, 30s));

  ceph().stopOsd();
  std::thread rest([&] { c.send(movie.substr(20 * kMiB)); });
  std::string answer = c.readUntil("}", 60s);
  rest.join();
  EXPECT_NE(answer.find("HTTP/1.1 503"), std::string::npos) << answer;
  EXPECT_NE(answer.find("the object store is not answering"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Retry-After: 5"), std::string::npos) << answer;
  // Never a partial movie, on either instance.
  EXPECT_EQ(curl({a_->url("/videos/" + id + "/movie")}).status, 404);
  EXPECT_EQ(curl({b_->url("/videos/" + id + "/movie")}).status, 404);
  EXPECT_TRUE(nlohmann::json::parse(curl({b_->url("/videos/" + id)}).body)["movie"].is_null());

  ceph().startOsd();
  const std::uint64_t offset = ietfOffset(*b_, location);
  EXPECT_GE(offset, 16 * kMiB);
  EXPECT_LE(offset, 20 * kMiB);
  // As a client does after a 503: again after Retry-After, while the OSD's placement groups
  // become active again (it is "up" a little before they are).
  HttpAnswer done;
  for (int attempt = 0; attempt < 10; ++attempt) {
    done = ietfAppendRest(*b_, location, movie, ietfOffset(*b_, location), tmp_ / "rest");
    if (done.status != 503) break;
    EXPECT_EQ(done.header("retry-after"), "5");
    std::this_thread::sleep_for(2s);
  }
  EXPECT_EQ(done.status, 201) << done.body;
  EXPECT_EQ(sha256Bytes(curl({a_->url("/videos/" + id + "/movie")}).body), sha256Bytes(movie));
  EXPECT_EQ(objects().size(), 11u);  // the movie's head and 10 chunks; nothing from the failed attempt
}

// Instances whose uploads expire after 2 s and which sweep every second.
class CephExpiry : public CephInstances {
 protected:
  CephExpiry() { extra_args_ = {"--upload-expiry-s", "2", "--upload-sweep-s", "1"}; }
};

std::size_t removedInLog(const std::string& log) {
  std::size_t total = 0;
  for (auto at = log.find("removed "); at != std::string::npos; at = log.find("removed ", at + 1)) {
    auto end = log.find(" expired uploads", at);
    if (end != std::string::npos && end - at < 20) total += std::stoul(log.substr(at + 8, end - at - 8));
  }
  return total;
}

TEST_F(CephExpiry, AbandonedUploadsAreRemovedOnceWithTheirObjects) {
  std::string id = createVideo(*a_, "abandoned", false);
  ferry::test::writeRandomFile(tmp_ / "part", 5 * kMiB, 23);
  for (int i = 0; i < 3; ++i) {
    auto created = ietf({"-X", "POST", "-H", "Upload-Complete: ?0", "--data-binary", "@" + (tmp_ / "part").string(),
                         (i % 2 ? b_ : a_)->url("/videos/" + id + "/movie")});
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.header("upload-offset"), std::to_string(5 * kMiB));
  }
  EXPECT_EQ(objects().size(), 6u);  // two chunks each
  // Nobody asks for them again: only the sweeps remove them, both instances sweeping every second.
  ASSERT_TRUE(ferry::test::waitUntil([&] { return objects().empty(); }, 30s)) << ::testing::PrintToString(objects());
  std::this_thread::sleep_for(1500ms);  // a sweep that raced would have logged by now
  // Each upload was removed by one sweep of one instance, never twice.
  EXPECT_EQ(removedInLog(a_->log()) + removedInLog(b_->log()), 3u) << a_->log() << b_->log();
  EXPECT_EQ(nlohmann::json::parse(curl({b_->url("/videos/" + id)}).body)["upload_state"], "none");
}

}  // namespace
}  // namespace vf::test
