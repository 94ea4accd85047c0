// The rendered list pages and videos the server keeps (catalogue_cache.hpp) are never stale: a
// read right after a POST, PUT, an opened upload or a DELETE shows it, from one instance (every
// I/O thread's cache) and from another instance on the same PostgreSQL catalogue.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "postgres_fixture.hpp"
#include "server_fixture.hpp"

namespace vf::test {
namespace {
using ferry::test::TempDir;

// Several reads in a row, so that every I/O thread's cache is asked (each connection lands on
// one of them); all must agree.
nlohmann::json readAgreed(const ServerProcess& server, const std::string& path) {
  auto first = curl({server.url(path)});
  for (int i = 0; i < 6; ++i) {
    auto again = curl({server.url(path)});
    EXPECT_EQ(again.status, first.status) << path;
    EXPECT_EQ(again.body, first.body) << path;
  }
  return first.status == 200 ? nlohmann::json::parse(first.body) : nlohmann::json(first.status);
}

std::vector<std::string> ids(const nlohmann::json& page) {
  std::vector<std::string> out;
  for (const auto& v : page["videos"]) out.push_back(v["id"]);
  return out;
}

// Writes go to `writer`, reads to `reader` (the same server, or another instance); before each
// write the reader's caches hold the page and the video as they were.
void everyWriteIsSeenAtOnce(const ServerProcess& writer, const ServerProcess& reader) {
  TempDir tmp;
  const std::string first = createVideo(writer, "first");
  EXPECT_EQ(ids(readAgreed(reader, "/videos")), std::vector<std::string>{first});
  EXPECT_EQ(readAgreed(reader, "/videos/" + first)["upload_state"], "none");

  const std::string second = createVideo(writer, "second", false);  // POST
  EXPECT_EQ(ids(readAgreed(reader, "/videos")), (std::vector<std::string>{second, first}));
  EXPECT_EQ(ids(readAgreed(reader, "/videos?limit=1")), std::vector<std::string>{second});

  ferry::test::writeFile(tmp / "movie", ferry::test::readFile(mediaDir() / "sample-3s.mp4"));  // PUT
  ASSERT_EQ(curl({"-T", (tmp / "movie").string(), writer.url("/videos/" + first + "/movie")}).status, 201);
  for (int i = 0; i < 6; ++i)  // the movie at once, on every thread...
    EXPECT_EQ(nlohmann::json::parse(curl({reader.url("/videos/" + first)}).body)["upload_state"], "ready");
  // ... and what the decoder finds a moment later (its own change of the video), once there.
  EXPECT_TRUE(ferry::test::waitUntil([&] {
    auto video = nlohmann::json::parse(curl({reader.url("/videos/" + first)}).body);
    return video["movie"].is_object() && !video["movie"]["video_codec"].is_null();
  }, std::chrono::seconds(30)));
  EXPECT_EQ(readAgreed(reader, "/videos/" + first)["movie"]["video_codec"], "h264");
  EXPECT_EQ(readAgreed(reader, "/videos?limit=1&after=" + second)["videos"][0]["movie"]["size"],
            std::filesystem::file_size(tmp / "movie"));

  EXPECT_EQ(readAgreed(reader, "/videos/" + second)["upload_state"], "none");  // an upload opened
  auto opened = curl({"-X", "POST", "-H", "Upload-Draft-Interop-Version: 8", "-H", "Upload-Complete: ?0",
                      "--data-binary", "part", writer.url("/videos/" + second + "/movie")});
  ASSERT_EQ(opened.status, 201) << opened.body;
  EXPECT_EQ(readAgreed(reader, "/videos/" + second)["upload_state"], "uploading");
  EXPECT_EQ(readAgreed(reader, "/videos")["videos"][0]["upload_state"], "uploading");

  ASSERT_EQ(curl({"-X", "DELETE", writer.url("/videos/" + first)}).status, 204);  // DELETE
  EXPECT_EQ(readAgreed(reader, "/videos/" + first), nlohmann::json(404));
  EXPECT_EQ(ids(readAgreed(reader, "/videos")), std::vector<std::string>{second});
}

TEST(VideoFarmCatalogueCache, OneInstanceShowsEveryChangeAtOnce) {
  ServerProcess server;
  everyWriteIsSeenAtOnce(server, server);
}

TEST(VideoFarmCatalogueCache, AnotherInstanceOnPostgresShowsEveryChangeAtOnce) {
  if (postgresBinDir().empty()) GTEST_SKIP() << "PostgreSQL is not installed (scripts/install-deps.sh installs it)";
  PostgresServer pg;
  TempDir shared("vf-shared");
  ServerProcess a({"--database", pg.url()}, shared.path());
  ServerProcess b({"--database", pg.url()}, shared.path());
  everyWriteIsSeenAtOnce(a, b);
}

}  // namespace
}  // namespace vf::test
