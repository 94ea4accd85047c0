// ApiClient against the real VideoFarm server: pagination, prepare (multipart + the 303), get,
// delete, and the OPTIONS probe for IETF resumable uploads.
#include "client_harness.hpp"
#include "videofarm/api_client.hpp"

using namespace videofarm;
using namespace videofarm::test;

TEST(VideoFarmApiClient, PagesPrepareGetDelete) {
  TempDir dir;
  VideoFarm server(dir);
  ApiClient api(server.url("/"));  // a trailing slash is fine
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Video v{"Video " + std::to_string(i), "number " + std::to_string(i), "unused", std::nullopt};
    if (i == 0) v.thumbnail = std::filesystem::path(std::string(VF_MEDIA_DIR) + "/sample-thumb.png");
    auto made = api.prepare(v);
    ASSERT_TRUE(made) << made.error().describe();
    EXPECT_EQ(made->title, v.title);
    EXPECT_EQ(made->description, v.description);
    EXPECT_EQ(made->upload_state, "none");
    EXPECT_EQ(made->thumbnail_url.has_value(), i == 0);
    ids.push_back(made->id);
  }
  auto first = api.listPage(2);
  ASSERT_TRUE(first) << first.error().describe();
  ASSERT_EQ(first->videos.size(), 2u);
  ASSERT_TRUE(first->next);
  EXPECT_EQ(first->videos[0].id, ids[4]);  // newest first
  auto all = api.listAll(2);
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*all)[static_cast<std::size_t>(i)].id, ids[static_cast<std::size_t>(4 - i)]);

  auto one = api.get(ids[0]);
  ASSERT_TRUE(one);
  runCommand({"curl", "-s", "-o", (dir / "thumb").string(), api.url(*one->thumbnail_url)});
  EXPECT_EQ(readFile(dir / "thumb"), readFile(std::string(VF_MEDIA_DIR) + "/sample-thumb.png"));
  EXPECT_TRUE(api.supportsResumableUpload(ids[0]));

  ASSERT_TRUE(api.remove(ids[0]));
  auto gone = api.get(ids[0]);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "not-found");
  auto again = api.remove(ids[0]);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "not-found");
  auto refused = api.prepare(Video{"x", "", "unused", std::filesystem::path(dir / "not-an-image.txt")});
  ASSERT_FALSE(refused);  // curl cannot read the part: nothing sent
  writeFile(dir / "not-an-image.txt", "hello");
  auto wrong_type = api.prepare(Video{"x", "", "unused", std::filesystem::path(dir / "not-an-image.txt")});
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().code, "server-refused");
  EXPECT_NE(wrong_type.error().message.find("415"), std::string::npos) << wrong_type.error().message;
}
