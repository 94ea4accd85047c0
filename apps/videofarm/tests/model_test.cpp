// RemoteVideo / VideoPage parsing: what the server promises is accepted, anything else is refused
// with a sentence naming the field.
#include <gtest/gtest.h>

#include "videofarm/model.hpp"

using namespace videofarm;
using nlohmann::json;

namespace {
json goodVideo() {
  return json::parse(R"({"id": "3f2a9c0d4e5b6a71", "title": "Sunset", "description": "By the sea",
    "created_at": "2026-11-25T09:03:26.729Z", "thumbnail_url": "/videos/3f2a9c0d4e5b6a71/thumbnail",
    "movie_url": "/videos/3f2a9c0d4e5b6a71/movie",
    "movie": {"size": 45677, "content_type": "video/mp4", "duration": 3.0}, "upload_state": "ready"})");
}
}  // namespace

TEST(VideoFarmModel, ParsesTheServersVideo) {
  auto v = parseRemoteVideo(goodVideo());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->id, "3f2a9c0d4e5b6a71");
  EXPECT_EQ(v->title, "Sunset");
  EXPECT_EQ(*v->movie_url, "/videos/3f2a9c0d4e5b6a71/movie");
  EXPECT_EQ(v->movie->size, 45677u);
  EXPECT_EQ(v->movie->content_type, "video/mp4");
  EXPECT_DOUBLE_EQ(*v->movie->duration, 3.0);
  // And back: the state keeps it as JSON.
  auto again = parseRemoteVideo(toJson(*v));
  ASSERT_TRUE(again);
  EXPECT_EQ(toJson(*again), toJson(*v));
}

TEST(VideoFarmModel, NullsAreAbsentParts) {
  auto j = goodVideo();
  j["thumbnail_url"] = nullptr;
  j["movie_url"] = nullptr;
  j["movie"] = nullptr;
  j["upload_state"] = "none";
  auto v = parseRemoteVideo(j);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_FALSE(v->thumbnail_url);
  EXPECT_FALSE(v->movie);
}

TEST(VideoFarmModel, RefusesWhatTheServerDoesNotPromise) {
  struct Case {
    const char* field;
    json value;
    const char* says;
  };
  std::vector<Case> cases{{"id", "../../etc/passwd", "'id'"},
                          {"id", "3F2A9C0D4E5B6A71", "'id'"},
                          {"id", 42, "'id'"},
                          {"title", nullptr, "'title'"},
                          {"movie_url", "http://elsewhere.example/x", "'movie_url'"},
                          {"movie_url", "//elsewhere.example/x", "'movie_url'"},
                          {"thumbnail_url", "/videos/../../secret", "'thumbnail_url'"},
                          {"movie", json{{"size", -1}, {"content_type", "video/mp4"}}, "'movie.size'"},
                          {"movie", "big", "'movie'"},
                          {"upload_state", "done", "'upload_state'"}};
  for (const auto& c : cases) {
    auto j = goodVideo();
    j[c.field] = c.value;
    auto v = parseRemoteVideo(j);
    ASSERT_FALSE(v) << c.field << " = " << c.value.dump();
    EXPECT_EQ(v.error().code, "bad-answer");
    EXPECT_NE(v.error().message.find(c.says), std::string::npos) << v.error().message;
  }
  auto missing = goodVideo();
  missing.erase("created_at");
  EXPECT_FALSE(parseRemoteVideo(missing));
  EXPECT_FALSE(parseRemoteVideo(json::array()));
}

TEST(VideoFarmModel, PagesCarryTheirNextId) {
  json page{{"videos", json::array({goodVideo()})}, {"next", "3f2a9c0d4e5b6a71"}};
  auto p = parseVideoPage(page);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->videos.size(), 1u);
  EXPECT_EQ(*p->next, "3f2a9c0d4e5b6a71");
  page["next"] = "zzz";
  EXPECT_FALSE(parseVideoPage(page));
  EXPECT_FALSE(parseVideoPage(json{{"items", json::array()}}));
}

TEST(VideoFarmModel, TitlesAreOneTo300Bytes) {
  EXPECT_FALSE(validate(Video{"", "", "m", std::nullopt}));
  EXPECT_FALSE(validate(Video{std::string(301, 'x'), "", "m", std::nullopt}));
  EXPECT_TRUE(validate(Video{std::string(300, 'x'), "", "m", std::nullopt}));
}
