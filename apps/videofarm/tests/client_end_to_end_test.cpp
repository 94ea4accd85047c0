// The videofarm command end to end, with real processes: ferryd (killed with -9 on the way), the
// VideoFarm server, and the videofarm binary. The upload's events reach the application through
// ferryd's relaunch of `videofarm handle-events`; elsewhere the tests run it (or `status`) themselves.
#include <regex>

#include "client_harness.hpp"

using namespace videofarm::test;

namespace {
const std::filesystem::path kMedia = VF_MEDIA_DIR;

nlohmann::json serverVideo(const VideoFarm& server, const std::string& id) {
  auto [status, body] = httpGet(server.url("/videos/" + id));
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (status != 200 || !j.is_object()) return nlohmann::json::object();
  return j;
}
}  // namespace

TEST(VideoFarmClient, BigUploadSurvivesKill9ThenASecondDeviceDownloadsPausesResumesAndSurvivesKill9) {
  TempDir dir;
  VideoFarm server(dir);
  Ferryd ferryd(dir.path());
  ferryd.start();
  const std::uint64_t size = 200 * MiB;
  writeRandomFile(dir / "big-movie.bin", size, 2026);
  const auto thumbnail = kMedia / "sample-thumb.png";
  Device first{server.url(""), dir / "first-device", &ferryd};

  // add: prepare + hand the upload to ferryd, and return at once (20 MiB/s: ~10 s of upload).
  auto added = first.run({"--max-rate", "20M", "add", (dir / "big-movie.bin").string(), "--title", "Big one",
                          "--description", "200 MiB of noise", "--thumbnail", thumbnail.string()});
  ASSERT_EQ(added.exit_code, 0) << added.out;
  const std::string id = videoIdIn(added.out);
  ASSERT_FALSE(id.empty()) << added.out;
  EXPECT_NE(added.out.find("uploading 200.0 MiB in the background"), std::string::npos) << added.out;
  EXPECT_NE(serverVideo(server, id).value("upload_state", ""), "ready") << "add waited for the upload";
  // The state says which ferryd task carries this video's upload.
  auto in_flight = first.status();
  ASSERT_EQ(in_flight["transfers"].size(), 1u) << in_flight.dump();
  EXPECT_EQ(in_flight["transfers"][0]["video"], id);
  EXPECT_EQ(in_flight["transfers"][0]["role"], "upload");
  auto upload_task = taskDescribed(ferryd, "videofarm upload " + id);
  ASSERT_TRUE(upload_task);
  EXPECT_EQ(in_flight["transfers"][0]["task"], upload_task->id);

  // kill -9 ferryd mid-upload; a new ferryd continues from the server's durable offset.
  ASSERT_TRUE(waitUntil([&] {
    auto t = taskDescribed(ferryd, "videofarm upload " + id);
    return t && t->bytes_written > 60 * MiB;
  }, std::chrono::seconds(120))) << ferryd.log();
  ferryd.kill9();
  ferryd.start();
  ASSERT_TRUE(waitUntil([&] { return serverVideo(server, id).value("upload_state", "") == "ready"; },
                        std::chrono::seconds(240)))
      << ferryd.log();
  // Nobody runs videofarm now: ferryd relaunches it (`videofarm handle-events`, the session's
  // launch command) to take the upload's events, and its output lands in ferryd's log.
  ASSERT_TRUE(waitUntil([&] { return ferryd.log().find("upload of " + id + " finished (201)") != std::string::npos; },
                        std::chrono::seconds(120)))
      << ferryd.log();
  EXPECT_NE(ferryd.log().find("launched for events"), std::string::npos) << ferryd.log();
  EXPECT_EQ(server.movieSha256(id, dir), sha256File(dir / "big-movie.bin"));
  auto offsets = videoFarmPatchOffsets(server.log());
  ASSERT_FALSE(offsets.empty()) << "the upload was not resumed after kill -9\n" << server.log();
  for (auto offset : offsets) EXPECT_GT(offset, 0u);
  auto after_upload = first.status();
  EXPECT_TRUE(after_upload["transfers"].empty()) << after_upload.dump();

  // A second device downloads it at 10 MiB/s, pauses mid-way, resumes, survives kill -9, finishes.
  Device second{server.url(""), dir / "second-device", &ferryd};
  auto download = second.run({"--max-rate", "10M", "download", id});
  ASSERT_EQ(download.exit_code, 0) << download.out;
  const std::string movie_task = "videofarm movie " + id;
  ASSERT_TRUE(waitUntil([&] {
    auto t = taskDescribed(ferryd, movie_task);
    return t && t->bytes_written > 40 * MiB;
  }, std::chrono::seconds(120))) << ferryd.log();
  auto paused = second.run({"pause", id});
  ASSERT_EQ(paused.exit_code, 0) << paused.out;
  EXPECT_NE(paused.out.find("paused " + id + " movie"), std::string::npos) << paused.out;
  auto while_paused = second.status();
  std::uint64_t paused_at = 0;
  bool found = false;
  for (const auto& t : while_paused["transfers"]) {
    if (t["role"] != "movie") continue;
    found = true;
    EXPECT_EQ(t["state"], "paused") << while_paused.dump();
    EXPECT_TRUE(t["resumable"].get<bool>()) << while_paused.dump();
    paused_at = t["bytes_done"].get<std::uint64_t>();
  }
  ASSERT_TRUE(found) << while_paused.dump();
  EXPECT_GT(paused_at, 40 * MiB);
  EXPECT_LT(paused_at, size);
  EXPECT_FALSE(taskDescribed(ferryd, movie_task)) << "a paused download keeps no task in ferryd";

  auto resumed = second.run({"resume", id});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  auto first_look = taskDescribed(ferryd, movie_task);
  ASSERT_TRUE(first_look);
  EXPECT_GE(first_look->bytes_written, paused_at) << "resume started over instead of continuing";
  ASSERT_TRUE(waitUntil([&] {
    auto t = taskDescribed(ferryd, movie_task);
    return t && t->bytes_written > paused_at + 30 * MiB;
  }, std::chrono::seconds(120))) << ferryd.log();
  ferryd.kill9();
  ferryd.start();
  // status --watch attaches, takes the events as they come, and returns when nothing runs.
  auto watched = second.run({"status", "--watch"}, std::chrono::seconds(400));
  ASSERT_EQ(watched.exit_code, 0) << watched.out << ferryd.log();
  EXPECT_NE(watched.out.find("download of " + id + " finished"), std::string::npos) << watched.out;
  const auto library = second.data_dir / "library" / id;
  EXPECT_EQ(sha256File(library / "movie.bin"), sha256File(dir / "big-movie.bin"));
  EXPECT_EQ(readFile(library / "thumbnail"), readFile(thumbnail));
  auto done = second.status();
  ASSERT_EQ(done["library"].size(), 1u) << done.dump();
  EXPECT_EQ(done["library"][0]["movie"], (library / "movie.bin").string());
  EXPECT_TRUE(done["transfers"].empty()) << done.dump();
  // No partial file was left behind in the library folder.
  for (const auto& entry : std::filesystem::directory_iterator(library))
    EXPECT_EQ(entry.path().filename().string().rfind(".incoming", 0), std::string::npos) << entry.path();
}

TEST(VideoFarmClient, ARealMovieRoundTripsAndListDeleteWork) {
  TempDir dir;
  VideoFarm server(dir);
  Ferryd ferryd(dir.path());
  ferryd.start();
  Device first{server.url(""), dir / "first", &ferryd};
  auto added = first.run({"add", (kMedia / "sample-3s.mp4").string(), "--title", "Sample", "--description",
                          "three seconds", "--thumbnail", (kMedia / "sample-thumb.png").string()});
  ASSERT_EQ(added.exit_code, 0) << added.out;
  const std::string id = videoIdIn(added.out);
  auto watched = first.run({"status", "--watch"});
  ASSERT_EQ(watched.exit_code, 0) << watched.out;
  ASSERT_TRUE(waitUntil([&] { return serverVideo(server, id).value("upload_state", "") == "ready"; }));
  auto video = serverVideo(server, id);
  EXPECT_EQ(video["movie"]["content_type"], "video/mp4") << video.dump();
  EXPECT_EQ(server.movieSha256(id, dir), sha256File(kMedia / "sample-3s.mp4"));

  auto listed = first.run({"list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out;
  EXPECT_NE(listed.out.find(id), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("Sample"), std::string::npos) << listed.out;

  // The second device uses $XDG_DATA_HOME/videofarm when no --data-dir is given.
  std::map<std::string, std::string> env = ferryd.env();
  env["XDG_DATA_HOME"] = (dir / "xdg").string();
  auto videofarm = (binDir() / "videofarm").string();
  auto download = runCommand({videofarm, "--server", server.url(""), "download", id}, env);
  ASSERT_EQ(download.exit_code, 0) << download.out;
  auto finished = runCommand({videofarm, "--server", server.url(""), "status", "--watch"}, env);
  ASSERT_EQ(finished.exit_code, 0) << finished.out;
  const auto library = dir / "xdg/videofarm/library" / id;
  EXPECT_EQ(sha256File(library / "movie.mp4"), sha256File(kMedia / "sample-3s.mp4"));
  EXPECT_EQ(readFile(library / "thumbnail"), readFile(kMedia / "sample-thumb.png"));
  auto again = runCommand({videofarm, "--server", server.url(""), "download", id}, env);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("already in the library"), std::string::npos) << again.out;

  // A background refresh launch (what ferryd's refreshInterval runs) also fetches the list.
  auto refreshed = first.run({"handle-events"}, std::chrono::seconds(120), {{"FERRY_LAUNCH_REASON", "refresh"}});
  EXPECT_EQ(refreshed.exit_code, 0) << refreshed.out;
  EXPECT_NE(refreshed.out.find("list refreshed: 1 videos"), std::string::npos) << refreshed.out;
  // handle-events with nothing queued: exits at once, having handled nothing.
  auto idle = runCommand({videofarm, "--server", server.url(""), "handle-events"}, env);
  EXPECT_EQ(idle.exit_code, 0) << idle.out;
  EXPECT_NE(idle.out.find("handled 0 queued events"), std::string::npos) << idle.out;

  auto deleted = first.run({"delete", id});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.out;
  EXPECT_EQ(httpGet(server.url("/videos/" + id)).first, 404);
  // From the second device: the server has it no more (exit 1), the library copy and entry stay.
  auto gone = runCommand({videofarm, "--server", server.url(""), "delete", id}, env);
  EXPECT_EQ(gone.exit_code, 1) << gone.out;
  EXPECT_NE(gone.out.find("its copy in the library stays: " + (library / "movie.mp4").string()), std::string::npos)
      << gone.out;
  EXPECT_TRUE(std::filesystem::exists(library / "movie.mp4"));
}

// When the state cannot record an event, the process exits inside the callback, so ferryd keeps
// the event; the next handle-events gets it again and finishes the job.
TEST(VideoFarmClient, AnEventThatCannotBeRecordedIsDeliveredAgain) {
  TempDir dir;
  VideoFarm server(dir);
  Ferryd ferryd(dir.path());
  ferryd.start();
  Device first{server.url(""), dir / "first", &ferryd};
  auto added = first.run({"add", (kMedia / "sample-3s.mp4").string(), "--title", "Sample", "--thumbnail",
                          (kMedia / "sample-thumb.png").string()});
  ASSERT_EQ(added.exit_code, 0) << added.out;
  const std::string id = videoIdIn(added.out);
  ASSERT_TRUE(waitUntil([&] { return serverVideo(server, id).value("upload_state", "") == "ready"; }));

  Device second{server.url(""), dir / "second", &ferryd};
  // Something in the way of naming the movie: a non-empty directory where movie.mp4 goes.
  ASSERT_EQ(second.run({"list"}).exit_code, 0);  // the second device's data directory, set up
  const auto library = second.data_dir / "library" / id;
  std::filesystem::create_directories(library / "movie.mp4/in-the-way");
  auto download = second.run({"download", id});
  // The small download may end while `download` is still attached (then it takes the events
  // itself); otherwise ferryd relaunches `videofarm handle-events` for them. Either way the movie
  // cannot be named, and the process exits inside the callback, leaving the event in ferryd.
  const std::string refused = "exiting without acknowledging it";
  if (download.exit_code != 0) {
    EXPECT_EQ(download.exit_code, 6) << download.out;
    EXPECT_NE(download.out.find(refused), std::string::npos) << download.out;
  } else {
    ASSERT_TRUE(waitUntil([&] { return ferryd.log().find(refused) != std::string::npos; }, std::chrono::seconds(60)))
        << ferryd.log();
  }
  EXPECT_TRUE(std::filesystem::exists(library / ".incoming-movie"));
  auto movie = taskDescribed(ferryd, "videofarm movie " + id);
  ASSERT_TRUE(movie) << "the movie's events were acknowledged although they could not be recorded";
  EXPECT_EQ(movie->state, "completed");
  // Run by hand it fails the same way while the directory is in the way.
  auto blocked = second.run({"handle-events"});
  EXPECT_EQ(blocked.exit_code, 6) << blocked.out;
  EXPECT_NE(blocked.out.find("exiting without acknowledging it"), std::string::npos) << blocked.out;
  std::filesystem::remove_all(library / "movie.mp4");
  auto handled = second.run({"handle-events"});
  ASSERT_EQ(handled.exit_code, 0) << handled.out;
  EXPECT_NE(handled.out.find("download of " + id + " finished"), std::string::npos) << handled.out;
  EXPECT_EQ(sha256File(library / "movie.mp4"), sha256File(kMedia / "sample-3s.mp4"));
  EXPECT_EQ(readFile(library / "thumbnail"), readFile(kMedia / "sample-thumb.png"));
  auto status = second.status();
  EXPECT_TRUE(status["transfers"].empty()) << status.dump();
  EXPECT_EQ(status["library"].size(), 1u) << status.dump();
}

// pause/resume of an upload: suspended in ferryd (it keeps the upload URL), then continued.
TEST(VideoFarmClient, PausingAnUploadSuspendsItAndResumeFinishesIt) {
  TempDir dir;
  VideoFarm server(dir);
  Ferryd ferryd(dir.path());
  ferryd.start();
  writeRandomFile(dir / "movie.bin", 16 * MiB, 77);
  Device device{server.url(""), dir / "device", &ferryd};
  auto added = device.run({"--max-rate", "2M", "add", (dir / "movie.bin").string(), "--title", "Paused upload"});
  ASSERT_EQ(added.exit_code, 0) << added.out;
  const std::string id = videoIdIn(added.out);
  ASSERT_TRUE(waitUntil([&] {
    auto t = taskDescribed(ferryd, "videofarm upload " + id);
    return t && t->bytes_written > 2 * MiB;
  }, std::chrono::seconds(60)));
  auto paused = device.run({"pause", id});
  ASSERT_EQ(paused.exit_code, 0) << paused.out;
  EXPECT_NE(paused.out.find("paused " + id + " upload"), std::string::npos) << paused.out;
  auto task = taskDescribed(ferryd, "videofarm upload " + id);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->waiting_for, "suspended");
  auto status = device.status();
  ASSERT_EQ(status["transfers"].size(), 1u) << status.dump();
  EXPECT_EQ(status["transfers"][0]["state"], "paused");
  EXPECT_NE(serverVideo(server, id).value("upload_state", ""), "ready");
  auto resumed = device.run({"--max-rate", "0", "resume", id});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  auto watched = device.run({"status", "--watch"});
  ASSERT_EQ(watched.exit_code, 0) << watched.out;
  // The upload's end goes to whichever videofarm is attached when it arrives: this watch, the
  // resume itself, or (when it finished between the two) the `handle-events` that ferryd launches
  // for it, whose output is in ferryd's log. One of them says so, and nothing is left in flight.
  // A launched handle-events may still be running when the watch returns: wait for it.
  const auto finished = "upload of " + id + " finished";
  EXPECT_TRUE(waitUntil([&] {
    return watched.out.find(finished) != std::string::npos || resumed.out.find(finished) != std::string::npos ||
           ferryd.log().find(finished) != std::string::npos;
  }, std::chrono::seconds(30))) << watched.out << resumed.out << ferryd.log();
  EXPECT_TRUE(waitUntil([&] { return device.status()["transfers"].empty(); }, std::chrono::seconds(30)))
      << device.status().dump();
  EXPECT_EQ(server.movieSha256(id, dir), sha256File(dir / "movie.bin"));
}
