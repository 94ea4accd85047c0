// The seed's flow with curl against a real server: create, fetch, upload the movie, list, stream.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

namespace vf::test {
namespace {
using ferry::test::sha256Bytes;
using ferry::test::sha256File;
using ferry::test::TempDir;

TEST(VideoFarmServer, CreateUploadListAndStream) {
  ServerProcess server;
  auto created = curl({"-F", "title=Sunset", "-F", "description=By the sea", "-F",
                       "thumbnail=@" + (mediaDir() / "sample-thumb.png").string(), server.url("/videos")});
  ASSERT_EQ(created.status, 303) << created.body;
  std::string location = created.header("location");
  ASSERT_EQ(location.rfind("/videos/", 0), 0u);
  std::string id = location.substr(8);

  auto video = curl({server.url(location)});
  ASSERT_EQ(video.status, 200);
  auto json = nlohmann::json::parse(video.body);
  EXPECT_EQ(json["id"], id);
  EXPECT_EQ(json["title"], "Sunset");
  EXPECT_EQ(json["description"], "By the sea");
  EXPECT_EQ(json["thumbnail_url"], "/videos/" + id + "/thumbnail");
  EXPECT_TRUE(json["movie"].is_null());
  EXPECT_EQ(json["upload_state"], "none");

  auto movie = mediaDir() / "sample-3s.mp4";
  auto put = curl({"-T", movie.string(), server.url("/videos/" + id + "/movie")});
  EXPECT_EQ(put.status, 201);
  auto again = curl({"-T", movie.string(), server.url("/videos/" + id + "/movie")});
  EXPECT_EQ(again.status, 204);

  auto list = curl({server.url("/videos")});
  ASSERT_EQ(list.status, 200);
  auto listed = nlohmann::json::parse(list.body)["videos"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], id);
  EXPECT_EQ(listed[0]["movie"]["size"], std::filesystem::file_size(movie));
  EXPECT_EQ(listed[0]["movie"]["content_type"], "video/mp4");
  EXPECT_EQ(listed[0]["upload_state"], "ready");

  auto bytes = curl({server.url("/videos/" + id + "/movie")});
  ASSERT_EQ(bytes.status, 200);
  EXPECT_EQ(bytes.header("content-type"), "video/mp4");
  EXPECT_EQ(bytes.header("accept-ranges"), "bytes");
  EXPECT_FALSE(bytes.header("etag").empty());
  EXPECT_FALSE(bytes.header("last-modified").empty());
  EXPECT_EQ(sha256Bytes(bytes.body), sha256File(movie));

  auto thumb = curl({server.url("/videos/" + id + "/thumbnail")});
  ASSERT_EQ(thumb.status, 200);
  EXPECT_EQ(thumb.header("content-type"), "image/png");
  EXPECT_NE(thumb.header("cache-control").find("max-age"), std::string::npos);
  EXPECT_EQ(sha256Bytes(thumb.body), sha256File(mediaDir() / "sample-thumb.png"));

  auto head = curl({"-I", server.url("/videos/" + id + "/movie")});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(std::filesystem::file_size(movie)));
  EXPECT_TRUE(head.body.empty());

  auto cached = curl({"-H", "If-None-Match: " + bytes.header("etag"), server.url("/videos/" + id + "/movie")});
  EXPECT_EQ(cached.status, 304);

  auto del = curl({"-X", "DELETE", server.url("/videos/" + id)});
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(curl({server.url("/videos/" + id)}).status, 404);
  EXPECT_EQ(curl({server.url("/videos/" + id + "/movie")}).status, 404);
  EXPECT_FALSE(std::filesystem::exists(server.dataDir() / "videos" / id));
}

TEST(VideoFarmServer, WebmMovieAndDuration) {
  ServerProcess server;
  std::string id = createVideo(server, "webm", false);
  auto put = curl({"-T", (mediaDir() / "sample-2s.webm").string(), server.url("/videos/" + id + "/movie")});
  ASSERT_EQ(put.status, 201);
  auto json = nlohmann::json::parse(curl({server.url("/videos/" + id)}).body);
  EXPECT_EQ(json["movie"]["content_type"], "video/webm");
  ASSERT_TRUE(json["movie"]["duration"].is_number());
  EXPECT_NEAR(json["movie"]["duration"].get<double>(), 2.0, 0.1);
  auto mp4 = createVideo(server, "mp4", false);
  ASSERT_EQ(curl({"-T", (mediaDir() / "sample-3s.mp4").string(), server.url("/videos/" + mp4 + "/movie")}).status, 201);
  EXPECT_NEAR(nlohmann::json::parse(curl({server.url("/videos/" + mp4)}).body)["movie"]["duration"].get<double>(), 3.0,
              0.1);
}

TEST(VideoFarmServer, ListIsNewestFirstWithPages) {
  ServerProcess server;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(createVideo(server, "video " + std::to_string(i), false));
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 5; ++page) {
    auto answer = curl({server.url("/videos?limit=2" + (after.empty() ? "" : "&after=" + after))});
    ASSERT_EQ(answer.status, 200);
    auto json = nlohmann::json::parse(answer.body);
    for (auto& v : json["videos"]) seen.push_back(v["id"]);
    if (json["next"].is_null()) break;
    after = json["next"];
  }
  std::vector<std::string> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);
}

TEST(VideoFarmServer, LargeMovieWithRangesUsesSendfile) {
  ServerProcess server;
  TempDir tmp;
  auto movie = tmp / "big.bin";
  ferry::test::writeRandomFile(movie, 24u << 20, 3);
  std::string id = createVideo(server, "big", false);
  ASSERT_EQ(curl({"-T", movie.string(), server.url("/videos/" + id + "/movie")}).status, 201);
  auto out = tmp / "out.bin";
  auto r = ferry::test::runCommand({"curl", "-s", "-S", "-o", out.string(), server.url("/videos/" + id + "/movie")});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(sha256File(out), sha256File(movie));
  // A slow reader (rate-limited curl) makes sendfile meet EAGAIN and wait for writability.
  auto slow = ferry::test::runCommand({"curl", "-s", "-S", "--limit-rate", "20M", "-r", "1000000-", "-o",
                                       out.string(), server.url("/videos/" + id + "/movie")});
  ASSERT_EQ(slow.exit_code, 0);
  auto all = ferry::test::readFile(movie);
  EXPECT_EQ(sha256File(out), sha256Bytes(all.substr(1000000)));
}

}  // namespace
}  // namespace vf::test
