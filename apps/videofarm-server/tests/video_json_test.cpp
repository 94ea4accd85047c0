// The hand-written JSON of videos and list pages (video_json.cpp) read back by a JSON parser.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "video_json.hpp"

namespace vf {
namespace {

TEST(VideoJson, EveryStringSurvivesAParserWhateverItHolds) {
  for (const std::string& text : {std::string(""), std::string("plain"), std::string("quote \" backslash \\ slash /"),
                                 std::string("tab\tnewline\ncr\rbell\x07nul") + std::string(1, '\0') + "end",
                                 std::string("\x1f\x01 control"), std::string("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8e\xac")}) {
    std::string out;
    appendJsonString(out, text);
    auto parsed = nlohmann::json::parse(out);
    ASSERT_TRUE(parsed.is_string()) << out;
    EXPECT_EQ(parsed.get<std::string>(), text) << out;
  }
}

TEST(VideoJson, AVideoWithAMovieHasEveryField) {
  Video v{"0123456789abcdef", "A \"title\"", "line 1\nline 2", 1700000000123, std::string("image/png"),
          MovieInfo{1234, "video/mp4", 3.5, MediaFacts{320, 240, std::string("h264"), std::nullopt}}, false,
          std::string("u1")};
  auto j = nlohmann::json::parse(videoJson(v));
  EXPECT_EQ(j["id"], v.id);
  EXPECT_EQ(j["title"], v.title);
  EXPECT_EQ(j["description"], v.description);
  EXPECT_EQ(j["created_at"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["thumbnail_url"], "/videos/0123456789abcdef/thumbnail");
  EXPECT_EQ(j["movie_url"], "/videos/0123456789abcdef/movie");
  EXPECT_EQ(j["movie"], (nlohmann::json{{"size", 1234}, {"content_type", "video/mp4"}, {"duration", 3.5}, {"width", 320},
                                        {"height", 240}, {"video_codec", "h264"}, {"audio_codec", nullptr}}));
  EXPECT_EQ(j["owner_id"], "u1");
  EXPECT_EQ(j["upload_state"], "ready");
  EXPECT_EQ(j.size(), 9u) << j.dump();
}

TEST(VideoJson, AVideoWithoutMovieSaysWhetherOneIsUploading) {
  Video v{"fedcba9876543210", "t", "", 0, std::nullopt, std::nullopt, true, std::nullopt};
  auto j = nlohmann::json::parse(videoJson(v));
  EXPECT_TRUE(j["thumbnail_url"].is_null());
  EXPECT_TRUE(j["movie_url"].is_null());
  EXPECT_TRUE(j["movie"].is_null());
  EXPECT_TRUE(j["owner_id"].is_null());
  EXPECT_EQ(j["upload_state"], "uploading");
  v.upload_in_progress = false;
  EXPECT_EQ(nlohmann::json::parse(videoJson(v))["upload_state"], "none");
}

TEST(VideoJson, APageNamesItsLastVideoAsNextOnlyWhenThereIsMore) {
  std::vector<Video> two{Video{"1111111111111111", "a", "", 0, {}, {}, false, {}},
                         Video{"2222222222222222", "b", "", 0, {}, {}, false, {}}};
  auto more = nlohmann::json::parse(videoPageJson(two, true));
  EXPECT_EQ(more["videos"].size(), 2u);
  EXPECT_EQ(more["next"], "2222222222222222");
  EXPECT_TRUE(nlohmann::json::parse(videoPageJson(two, false))["next"].is_null());
  auto empty = nlohmann::json::parse(videoPageJson({}, false));
  EXPECT_TRUE(empty["videos"].is_array() && empty["videos"].empty());
  EXPECT_TRUE(empty["next"].is_null());
}

}  // namespace
}  // namespace vf
