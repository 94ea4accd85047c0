// The PostgreSQL back end: a real PostgreSQL (initdb in a temp dir, loopback), two server
// instances on one database and one shared files directory see each other's videos and uploads.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <glob.h>
#include <pwd.h>

#include "postgres_fixture.hpp"
#include "server_fixture.hpp"

namespace vf::test {
namespace {
using namespace std::chrono_literals;
using ferry::test::Process;
using ferry::test::runCommand;
using ferry::test::sha256Bytes;
using ferry::test::TempDir;

std::vector<std::string> listedIds(const ServerProcess& server) {
  auto answer = curl({server.url("/videos")});
  EXPECT_EQ(answer.status, 200) << answer.body;
  std::vector<std::string> ids;
  auto body = nlohmann::json::parse(answer.body);
  for (auto& v : body["videos"]) ids.push_back(v["id"]);
  return ids;
}

TEST(VideoFarmPostgres, TwoInstancesShareOneCatalogue) {
  if (postgresBinDir().empty()) GTEST_SKIP() << "PostgreSQL is not installed (scripts/install-deps.sh installs it)";
  PostgresServer pg;
  TempDir shared("vf-shared");
  TempDir tmp;
  ServerProcess a({"--database", pg.url()}, shared.path());
  ServerProcess b({"--database", pg.url()}, shared.path());

  std::string first = createVideo(a, "made on A");
  ferry::test::writeFile(tmp / "movie", ferry::test::readFile(mediaDir() / "sample-3s.mp4"));
  ASSERT_EQ(curl({"-T", (tmp / "movie").string(), a.url("/videos/" + first + "/movie")}).status, 201);

  EXPECT_EQ(listedIds(b), std::vector<std::string>{first});
  auto video = nlohmann::json::parse(curl({b.url("/videos/" + first)}).body);
  EXPECT_EQ(video["title"], "made on A");
  EXPECT_NEAR(video["movie"]["duration"].get<double>(), 3.0, 0.1);
  auto movie = curl({b.url("/videos/" + first + "/movie")});
  EXPECT_EQ(sha256Bytes(movie.body), ferry::test::sha256File(tmp / "movie"));
  EXPECT_EQ(curl({b.url("/videos/" + first + "/thumbnail")}).status, 200);

  std::string second = createVideo(b, "made on B", false);
  EXPECT_EQ(listedIds(a), (std::vector<std::string>{second, first}));
  auto page = nlohmann::json::parse(curl({a.url("/videos?limit=1")}).body);
  EXPECT_EQ(page["next"], second);
  auto next = nlohmann::json::parse(curl({a.url("/videos?limit=1&after=" + second)}).body);
  EXPECT_EQ(next["videos"][0]["id"], first);

  // A resumable upload started on A and finished on B.
  const std::string bytes = ferry::test::readFile(mediaDir() / "sample-2s.webm");
  ferry::test::writeFile(tmp / "part1", bytes.substr(0, 7000));
  ferry::test::writeFile(tmp / "part2", bytes.substr(7000));
  auto created = curl({"-X", "POST", "-H", "Upload-Draft-Interop-Version: 8", "-H", "Upload-Complete: ?0", "--data-binary",
                       "@" + (tmp / "part1").string(), a.url("/videos/" + second + "/movie")});
  ASSERT_EQ(created.status, 201);
  std::string location = created.header("location");
  EXPECT_EQ(nlohmann::json::parse(curl({b.url("/videos/" + second)}).body)["upload_state"], "uploading");
  auto offset = curl({"-I", "-H", "Upload-Draft-Interop-Version: 8", b.url(location)});
  EXPECT_EQ(offset.header("upload-offset"), "7000");
  auto done = curl({"-X", "PATCH", "-H", "Upload-Draft-Interop-Version: 8", "-H", "Upload-Offset: 7000", "-H",
                    "Upload-Complete: ?1", "-H", "Content-Type: application/partial-upload", "--data-binary",
                    "@" + (tmp / "part2").string(), b.url(location)});
  EXPECT_EQ(done.status, 201);
  EXPECT_EQ(sha256Bytes(curl({a.url("/videos/" + second + "/movie")}).body), sha256Bytes(bytes));

  EXPECT_EQ(curl({"-X", "DELETE", b.url("/videos/" + first)}).status, 204);
  EXPECT_EQ(curl({a.url("/videos/" + first)}).status, 404);
  EXPECT_EQ(listedIds(a), std::vector<std::string>{second});
}

}  // namespace
}  // namespace vf::test
