// The videofarm command on a server with accounts (and --private, so reads need the token too):
// without login it is refused with a hint; `videofarm login` keeps the token 0600; the upload
// through ferryd carries it as a header and survives a kill -9 of ferryd; a download does too.
#include <sys/stat.h>

#include "client_harness.hpp"

using namespace videofarm::test;

namespace {

CommandResult loginDevice(const Device& device, const std::string& name, const std::string& password) {
  std::vector<std::string> argv{(binDir() / "videofarm").string(), "--server", device.server, "--data-dir",
                                device.data_dir.string(), "login", "--name", name};
  return runCommand(argv, device.ferryd->env(), std::chrono::seconds(60), password + "\n");
}

std::string listedUploadState(const Device& device, const std::string& id) {
  auto listed = device.run({"list", "--json"});
  auto j = nlohmann::json::parse(listed.out, nullptr, false);
  if (!j.is_array()) return "";
  for (const auto& v : j)
    if (v.value("id", "") == id) return v.value("upload_state", "");
  return "";
}
}  // namespace

TEST(VideoFarmClientAccounts, LoginThenUploadSurvivesKill9WithTheToken) {
  TempDir dir;
  auto created = runCommand({(binDir() / "videofarm-server").string(), "--data-dir", (dir / "videofarm-data").string(),
                             "--create-user", "alice"},
                            {}, std::chrono::seconds(60), std::string("alice's passphrase\n"));
  ASSERT_EQ(created.exit_code, 0) << created.out;
  VideoFarm server(dir, {"--private"});
  Ferryd ferryd(dir.path());
  ferryd.start();
  Device first{server.url(""), dir / "first", &ferryd};

  auto refused = first.run({"list"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("videofarm login"), std::string::npos) << refused.out;
  EXPECT_NE(loginDevice(first, "alice", "wrong passphrase").exit_code, 0);

  auto in = loginDevice(first, "alice", "alice's passphrase");
  ASSERT_EQ(in.exit_code, 0) << in.out;
  struct stat st{};
  ASSERT_EQ(::stat((first.data_dir / "token.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(readFile(first.data_dir / "token.json").find("alice's passphrase"), std::string::npos);

  const std::uint64_t size = 48 * MiB;
  writeRandomFile(dir / "movie.bin", size, 19);
  auto added = first.run({"--max-rate", "8M", "add", (dir / "movie.bin").string(), "--title", "Mine"});
  ASSERT_EQ(added.exit_code, 0) << added.out;
  const std::string id = videoIdIn(added.out);
  ASSERT_FALSE(id.empty()) << added.out;
  ASSERT_TRUE(waitUntil([&] {
    auto t = taskDescribed(ferryd, "videofarm upload " + id);
    return t && t->bytes_written > 16 * MiB;
  }, std::chrono::seconds(120))) << ferryd.log();
  ferryd.kill9();
  ferryd.start();
  ASSERT_TRUE(waitUntil([&] { return listedUploadState(first, id) == "ready"; }, std::chrono::seconds(180))) << ferryd.log()
                                                                                                     << server.log();
  EXPECT_EQ(sha256File(dir / "videofarm-data/videos" / id / "movie"), sha256File(dir / "movie.bin"));
  auto offsets = videoFarmPatchOffsets(server.log());
  ASSERT_FALSE(offsets.empty()) << "the upload was not resumed after kill -9\n" << server.log();
  for (auto offset : offsets) EXPECT_GT(offset, 0u);
  // Ferry's own log never shows the token.
  auto token = nlohmann::json::parse(readFile(first.data_dir / "token.json"))["token"].get<std::string>();
  EXPECT_EQ(ferryd.log().find(token), std::string::npos);

  // A second device logs in and downloads the movie from the private library through ferryd.
  Device second{server.url(""), dir / "second", &ferryd};
  ASSERT_EQ(loginDevice(second, "alice", "alice's passphrase").exit_code, 0);
  auto download = second.run({"download", id});
  ASSERT_EQ(download.exit_code, 0) << download.out;
  auto finished = second.run({"status", "--watch"});
  ASSERT_EQ(finished.exit_code, 0) << finished.out;
  EXPECT_EQ(sha256File(second.data_dir / "library" / id / "movie.bin"), sha256File(dir / "movie.bin"))
      << finished.out;

  // Log out: the token is revoked on the server and forgotten here.
  auto out = first.run({"logout"});
  EXPECT_EQ(out.exit_code, 0) << out.out;
  EXPECT_FALSE(std::filesystem::exists(first.data_dir / "token.json"));
  EXPECT_EQ(first.run({"list"}).exit_code, 1);
}
