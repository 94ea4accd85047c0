// Thumbnails made from the movie and its media facts: a real MP4 and WebM get a PNG of at most
// 320 px wide from a decoded frame; bytes that are no movie keep the placeholder, with a reason
// in the log, and the server carries on.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

namespace vf::test {
namespace {
using ferry::test::TempDir;
using ferry::test::waitUntil;

nlohmann::json video(const ServerProcess& server, const std::string& id) {
  return nlohmann::json::parse(curl({server.url("/videos/" + id)}).body);
}

// The width and height in a PNG's IHDR chunk.
std::pair<int, int> pngSize(const std::string& png) {
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(png[at]) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
           (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
  };
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || png.compare(12, 4, "IHDR") != 0) return {0, 0};
  return {be32(16), be32(20)};
}

// PUT the file as a new video's movie and wait until the server has looked at it.
std::string uploadAndWait(const ServerProcess& server, const std::filesystem::path& file, const std::string& marker) {
  std::string id = createVideo(server, file.filename().string(), false);
  EXPECT_EQ(curl({"-T", file.string(), server.url("/videos/" + id + "/movie")}).status, 201);
  EXPECT_TRUE(waitUntil([&] { return server.log().find(marker + id) != std::string::npos; }, std::chrono::seconds(30)))
      << server.log();
  return id;
}

TEST(VideoFarmThumbnails, MadeFromTheMovieWithItsFacts) {
  ServerProcess server;
  std::string id = uploadAndWait(server, mediaDir() / "sample-3s.mp4", "thumbnail of ");
  auto json = video(server, id);
  ASSERT_EQ(json["thumbnail_url"], "/videos/" + id + "/thumbnail") << json.dump();
  EXPECT_NEAR(json["movie"]["duration"].get<double>(), 3.0, 0.05);
  EXPECT_EQ(json["movie"]["width"], 320);
  EXPECT_EQ(json["movie"]["height"], 240);
  EXPECT_EQ(json["movie"]["video_codec"], "h264");
  EXPECT_EQ(json["movie"]["audio_codec"], "aac");
  auto thumb = curl({server.url("/videos/" + id + "/thumbnail")});
  ASSERT_EQ(thumb.status, 200);
  EXPECT_EQ(thumb.header("content-type"), "image/png");
  EXPECT_EQ(pngSize(thumb.body), std::make_pair(320, 240));
  // The list carries the same fields.
  auto list = nlohmann::json::parse(curl({server.url("/videos")}).body);
  EXPECT_EQ(list["videos"][0]["movie"]["width"], 320);

  // A smaller WebM (VP9 160x120) keeps its size: never scaled up.
  std::string webm = uploadAndWait(server, mediaDir() / "sample-2s.webm", "thumbnail of ");
  EXPECT_EQ(video(server, webm)["movie"]["video_codec"], "vp9");
  EXPECT_EQ(pngSize(curl({server.url("/videos/" + webm + "/thumbnail")}).body), std::make_pair(160, 120));
}

TEST(VideoFarmThumbnails, AThumbnailFromTheFormIsKept) {
  ServerProcess server;
  std::string id = createVideo(server, "with its own", true);
  auto before = curl({server.url("/videos/" + id + "/thumbnail")}).body;
  ASSERT_EQ(curl({"-T", (mediaDir() / "sample-3s.mp4").string(), server.url("/videos/" + id + "/movie")}).status, 201);
  ASSERT_TRUE(waitUntil([&] { return video(server, id)["movie"]["width"] == 320; }, std::chrono::seconds(30)));
  EXPECT_EQ(curl({server.url("/videos/" + id + "/thumbnail")}).body, before);
}

TEST(VideoFarmThumbnails, UndecodableBytesKeepThePlaceholder) {
  ServerProcess server;
  TempDir tmp;
  ferry::test::writeRandomFile(tmp / "noise.bin", 200000, 5);
  std::string id = uploadAndWait(server, tmp / "noise.bin", "no thumbnail for ");
  auto json = video(server, id);
  EXPECT_TRUE(json["thumbnail_url"].is_null()) << json.dump();
  EXPECT_TRUE(json["movie"]["width"].is_null());
  EXPECT_EQ(curl({server.url("/videos/" + id + "/thumbnail")}).status, 404);
  // An MP4 whose middle is noise: the container opens, decoding fails somewhere; no crash.
  std::string mp4 = ferry::test::readFile(mediaDir() / "sample-3s.mp4");
  for (std::size_t i = 4000; i < mp4.size(); i += 7) mp4[i] = static_cast<char>(mp4[i] ^ 0x5a);
  ferry::test::writeFile(tmp / "broken.mp4", mp4);
  std::string broken = createVideo(server, "broken", false);
  ASSERT_EQ(curl({"-T", (tmp / "broken.mp4").string(), server.url("/videos/" + broken + "/movie")}).status, 201);
  ASSERT_TRUE(waitUntil([&] { return server.log().find(broken + " made from") != std::string::npos ||
                                     server.log().find("no thumbnail for " + broken) != std::string::npos; },
                        std::chrono::seconds(30)));
  EXPECT_EQ(curl({server.url("/videos")}).status, 200);  // still serving
}

}  // namespace
}  // namespace vf::test
