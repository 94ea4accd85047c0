// Bad input for the videofarm command: the server down, an unknown id, a movie that cannot be
// read, a server answering garbage, a damaged state file. Each gets a clear message and its exit
// code, and what the state held before is still there afterwards.
#include <unistd.h>

#include "client_harness.hpp"
#include "videofarm/state_store.hpp"

using namespace videofarm;
using namespace videofarm::test;

namespace {

// A state that already holds something: a paused download with resume data and a library entry.
void seedState(const std::filesystem::path& data_dir) {
  auto state = StateStore::open(data_dir / "state.sqlite3");
  ASSERT_TRUE(state) << state.error().message;
  ASSERT_TRUE((*state)->sessionIdentifier());
  RemoteVideo v;
  v.id = "00000000000000aa";
  v.title = "Kept";
  v.created_at = "2026-11-30T00:00:00Z";
  v.movie_url = "/videos/00000000000000aa/movie";
  v.movie = MovieInfo{1234, "video/mp4", 1.5};
  v.upload_state = "ready";
  Transfer t;
  t.video_id = v.id;
  t.role = Role::movie;
  t.url = "http://127.0.0.1:1/videos/00000000000000aa/movie";
  t.state = TransferState::paused;
  t.resume_data = "ferry-resume-v1.kept.kept";
  t.bytes_done = 617;
  t.bytes_total = 1234;
  ASSERT_TRUE((*state)->putTransfers("http://127.0.0.1:1", v, {t}));
  ASSERT_TRUE((*state)->recordLibrary({"00000000000000bb", data_dir / "library/00000000000000bb/movie.mp4", std::nullopt}, {}));
}

// Everything the state holds, as text, to compare before and after.
std::string stateDump(const std::filesystem::path& data_dir) {
  auto state = StateStore::open(data_dir / "state.sqlite3");
  if (!state) return "unusable: " + state.error().message;
  std::string out = *(*state)->sessionIdentifier() + "\n";
  auto transfers = (*state)->allTransfers();
  auto library = (*state)->library();
  if (!transfers || !library) return "unreadable";
  for (const auto& t : *transfers)
    out += t.video_id + " " + std::string(roleName(t.role)) + " " + std::string(stateName(t.state)) + " " + t.resume_data +
           " " + std::to_string(t.bytes_done) + " task=" + (t.task ? std::to_string(*t.task) : "-") + "\n";
  for (const auto& e : *library) out += "library " + e.video_id + " " + e.movie.string() + "\n";
  return out;
}

void expectOutcome(const CommandResult& r, int code, const std::string& says) {
  EXPECT_EQ(r.exit_code, code) << r.out;
  EXPECT_NE(r.out.find(says), std::string::npos) << "expected \"" << says << "\" in:\n" << r.out;
}

}  // namespace

TEST(VideoFarmClientBadInput, ServerDown) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  const int port = freePort();  // nothing listens there
  Device device{"http://127.0.0.1:" + std::to_string(port), dir / "device", &ferryd};
  seedState(device.data_dir);
  const auto before = stateDump(device.data_dir);
  writeRandomFile(dir / "movie.bin", 1 * MiB, 3);
  expectOutcome(device.run({"list"}), 5, "cannot reach the VideoFarm server");
  expectOutcome(device.run({"add", (dir / "movie.bin").string(), "--title", "x"}), 5, "cannot reach the VideoFarm server");
  expectOutcome(device.run({"download", "0123456789abcdef"}), 5, "cannot reach the VideoFarm server");
  expectOutcome(device.run({"delete", "0123456789abcdef"}), 5, "cannot reach the VideoFarm server");
  expectOutcome(device.run({"handle-events"}, std::chrono::seconds(120), {{"FERRY_LAUNCH_REASON", "refresh"}}), 5,
                "cannot reach the VideoFarm server");
  EXPECT_EQ(stateDump(device.data_dir), before);
  auto tasks = ferryd.control()->list();
  ASSERT_TRUE(tasks);
  EXPECT_TRUE(tasks->empty()) << "nothing was handed to ferryd";
}

TEST(VideoFarmClientBadInput, UnknownIdsAndNothingToPause) {
  TempDir dir;
  VideoFarm server(dir);
  Ferryd ferryd(dir.path());
  ferryd.start();
  Device device{server.url(""), dir / "device", &ferryd};
  seedState(device.data_dir);
  const auto before = stateDump(device.data_dir);
  expectOutcome(device.run({"download", "0123456789abcdef"}), 1, "no video 0123456789abcdef on " + server.url(""));
  expectOutcome(device.run({"delete", "0123456789abcdef"}), 1, "no video 0123456789abcdef");
  expectOutcome(device.run({"download", "not-an-id"}), 2, "'not-an-id' is not a video id");
  expectOutcome(device.run({"pause", "0123456789abcdef"}), 2, "nothing of video 0123456789abcdef is running");
  expectOutcome(device.run({"resume", "0123456789abcdef"}), 2, "nothing of video 0123456789abcdef is paused");
  expectOutcome(device.run({"frobnicate"}), 2, "");
  expectOutcome(device.run({"--max-rate", "lots", "list"}), 2, "--max-rate 'lots' is not a number");
  EXPECT_EQ(stateDump(device.data_dir), before);
}

TEST(VideoFarmClientBadInput, AMovieThatCannotBeReadCreatesNothing) {
  TempDir dir;
  VideoFarm server(dir);
  Ferryd ferryd(dir.path());
  ferryd.start();
  Device device{server.url(""), dir / "device", &ferryd};
  seedState(device.data_dir);
  const auto before = stateDump(device.data_dir);
  expectOutcome(device.run({"add", (dir / "missing.mp4").string(), "--title", "x"}), 2,
                "cannot read the movie " + (dir / "missing.mp4").string());
  std::filesystem::create_directories(dir / "a-directory");
  expectOutcome(device.run({"add", (dir / "a-directory").string(), "--title", "x"}), 2, "a-directory");
  writeRandomFile(dir / "movie.bin", 1000, 4);
  expectOutcome(device.run({"add", (dir / "movie.bin").string(), "--title", "x", "--thumbnail", (dir / "nope.png").string()}),
                2, "the thumbnail: cannot read");
  expectOutcome(device.run({"add", (dir / "movie.bin").string(), "--title", ""}), 2, "a title must be 1 to 300 bytes");
  if (::geteuid() != 0) {  // root reads whatever the mode says
    writeRandomFile(dir / "secret.bin", 1000, 5);
    std::filesystem::permissions(dir / "secret.bin", std::filesystem::perms::none);
    expectOutcome(device.run({"add", (dir / "secret.bin").string(), "--title", "x"}), 2, "Permission denied");
  }
  auto [status, body] = httpGet(server.url("/videos"));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(nlohmann::json::parse(body)["videos"].size(), 0u) << "a video was created on the server: " << body;
  EXPECT_EQ(stateDump(device.data_dir), before);
}

TEST(VideoFarmClientBadInput, AServerAnsweringGarbage) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  const auto script = (sourceDir() / "apps/videofarm/tests/garbage_server.py").string();
  PortProcess not_json(dir, "not-json", [&](int port) {
    return std::vector<std::string>{python(), script, "--port", std::to_string(port), "--mode", "not-json"};
  });
  PortProcess wrong_shape(dir, "wrong-shape", [&](int port) {
    return std::vector<std::string>{python(), script, "--port", std::to_string(port), "--mode", "wrong-shape"};
  });
  Device device{not_json.url(""), dir / "device", &ferryd};
  seedState(device.data_dir);
  const auto before = stateDump(device.data_dir);
  writeRandomFile(dir / "movie.bin", 1000, 6);
  expectOutcome(device.run({"list"}), 5, "is not JSON (it starts \"<html>garbage");
  expectOutcome(device.run({"download", "00112233445566aa"}), 5, "is not JSON");
  expectOutcome(device.run({"add", (dir / "movie.bin").string(), "--title", "x"}), 5, "is not JSON");
  Device shaped{wrong_shape.url(""), device.data_dir, &ferryd};
  expectOutcome(shaped.run({"list"}), 5, "'id'");
  expectOutcome(shaped.run({"download", "00112233445566aa"}), 5, "'created_at'");
  EXPECT_EQ(stateDump(device.data_dir), before);
  auto tasks = ferryd.control()->list();
  ASSERT_TRUE(tasks);
  EXPECT_TRUE(tasks->empty()) << "nothing was handed to ferryd";
}

TEST(VideoFarmClientBadInput, ADamagedStateFileIsReportedAndKept) {
  TempDir dir;
  Device device{"http://127.0.0.1:1", dir / "device", nullptr};
  std::filesystem::create_directories(device.data_dir);
  const std::string garbage(10000, '\x5a');
  writeFile(device.data_dir / "state.sqlite3", garbage);
  for (auto args : std::vector<std::vector<std::string>>{{"status"}, {"list"}, {"handle-events"}}) {
    auto r = device.run(args);
    expectOutcome(r, 6, (device.data_dir / "state.sqlite3").string());
    EXPECT_NE(r.out.find("move it away"), std::string::npos) << r.out;
  }
  EXPECT_EQ(readFile(device.data_dir / "state.sqlite3"), garbage);
}

TEST(VideoFarmClientBadInput, NoDaemonIsAClearError) {
  TempDir dir;
  VideoFarm server(dir);
  Device device{server.url(""), dir / "device", nullptr};
  std::map<std::string, std::string> env{{"FERRY_SOCKET", (dir / "nobody-here.sock").string()},
                                         {"FERRYD", "/nonexistent/ferryd"},
                                         {"FERRY_STATE_DIR", (dir / "state").string()}};
  auto r = runCommand({(binDir() / "videofarm").string(), "--server", server.url(""), "--data-dir", device.data_dir.string(),
                       "status"},
                      env);
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("ferryd"), std::string::npos) << r.out;
}
