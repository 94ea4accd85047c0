// cancelByProducingResumeData for uploads: a resumable upload (IETF to the VideoFarm server, tus
// to @tus/server from npm) cancelled part-way is continued from its resume data by a new Session,
// after the first detached and ferryd restarted; the server appends from its offset and the
// stored file is byte-exact. Bad resume data gets clear errors; a plain upload has none.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "support/servers.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

std::vector<std::filesystem::path> filesIn(const std::filesystem::path& dir, const std::string& extension) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == extension) out.push_back(e.path());
  return out;
}

std::uint64_t bytesSent(Session& session, std::uint64_t task) {
  auto tasks = session.getAllTasks();
  if (tasks)
    for (const auto& t : *tasks)
      if (t.id == task) return t.bytes_written;
  return 0;
}

// Starts `task` and cancels it with resume data once more than `bytes` of its body were sent.
std::string cancelPartWay(Session& session, RecordingDelegate& delegate, UploadTask& task, std::uint64_t bytes) {
  EXPECT_TRUE(task.resume());
  EXPECT_TRUE(waitUntil([&] { return bytesSent(session, task.identifier()) > bytes; }));
  auto blob = task.cancelByProducingResumeData();
  EXPECT_TRUE(blob) << blob.error().describe();
  EXPECT_TRUE(delegate.waitForCompletion(task.identifier()));
  return blob ? *blob : std::string();
}

// A new task from `blob`, started; its completion (none if it did not complete).
std::optional<Completion> continueFrom(Session& session, RecordingDelegate& delegate, const std::string& blob) {
  auto resumed = session.uploadTaskWithResumeData(blob);
  EXPECT_TRUE(resumed) << resumed.error().describe();
  if (!resumed || !resumed->resume() || !delegate.waitForCompletion(resumed->identifier())) return std::nullopt;
  return delegate.completion(resumed->identifier());
}


}  // namespace

TEST(UploadResumeData, IetfUploadOfBytesContinuesInANewSessionAfterARestart) {
  TempDir dir;
  VideoFarm videofarm(dir);
  const std::string video = videofarm.createVideo("resume data");
  const std::string data = randomBytes(16 * MiB, 61);
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::string blob;
  std::uint64_t first_id = 0;
  {
    auto delegate = std::make_shared<RecordingDelegate>();
    auto session = Session::create(ferryd.config("resumed").maxBytesPerSecond(4 * MiB), delegate);
    ASSERT_TRUE(session);
    auto task = (*session)->uploadTaskWithData(Request(videofarm.url("/videos/" + video + "/movie")), data);
    ASSERT_TRUE(task) << task.error().describe();
    first_id = task->identifier();
    blob = cancelPartWay(**session, *delegate, *task, 3 * MiB);
    ASSERT_FALSE(blob.empty()) << ferryd.log();
    auto c = *delegate->completion(first_id);
    ASSERT_TRUE(c.error);
    EXPECT_EQ(c.error->code, "cancelled");
    EXPECT_EQ(c.resume_data, blob);  // didComplete carries the same resume data
  }  // detached
  // The spooled bytes stay for the token (in resume/), not in spool/.
  EXPECT_FALSE(std::filesystem::exists(ferryd.stateDir() / "spool" / (std::to_string(first_id) + ".body")));
  EXPECT_EQ(filesIn(ferryd.stateDir() / "resume", ".body").size(), 1u);
  ferryd.terminate();
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("resumed"), delegate);
  ASSERT_TRUE(session);
  auto c = continueFrom(**session, *delegate, blob);
  ASSERT_TRUE(c && c->ok()) << (c && c->error ? c->error->describe() : "no completion") << "\n" << ferryd.log();
  EXPECT_TRUE(c->status_code == 201 || c->status_code == 204) << c->status_code;
  EXPECT_EQ(videofarm.movieSha256(video, dir), sha256Bytes(data));
  // The new task appended to what the server had (the first one created the upload with PUT).
  auto offsets = videoFarmPatchOffsets(videofarm.log());
  ASSERT_EQ(offsets.size(), 1u) << videofarm.log();
  EXPECT_GT(offsets[0], 3 * MiB);
  // The kept bytes went with the task's end.
  ASSERT_TRUE(waitUntil([&] { return filesIn(ferryd.stateDir() / "resume", ".body").empty(); }));
  ASSERT_TRUE(waitUntil([&] { return filesIn(ferryd.stateDir() / "spool", ".body").empty(); }));
}

TEST(UploadResumeData, TusUploadOfAFileContinuesFromTheServersOffset) {
  const std::filesystem::path node_dir = FERRY_ENGINE_NODE_DIR;
  if (auto missing = TusServer::missing(node_dir); !missing.empty()) FAIL() << missing;
  TempDir dir;
  writeRandomFile(dir / "movie.bin", 8 * MiB, 62);
  TusServer tus(dir, node_dir);
  CutProxy logger(dir, tus.port(), "NONE", 1ull << 40);  // cuts nothing; logs every request's Upload-Offset
  Ferryd ferryd(dir.path());
  ferryd.start();
  UploadOptions options;
  options.resumable = "tus";
  Request request(logger.url("/files/"));
  request.method = "POST";
  std::string blob;
  {
    auto delegate = std::make_shared<RecordingDelegate>();
    auto session = Session::create(ferryd.config("tus-resumed").maxBytesPerSecond(2 * MiB), delegate);
    ASSERT_TRUE(session);
    auto task = (*session)->uploadTask(request, dir / "movie.bin", options);
    ASSERT_TRUE(task) << task.error().describe();
    blob = cancelPartWay(**session, *delegate, *task, 2 * MiB);
    ASSERT_FALSE(blob.empty()) << ferryd.log();
  }
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("tus-resumed"), delegate);
  ASSERT_TRUE(session);
  auto c = continueFrom(**session, *delegate, blob);
  ASSERT_TRUE(c && c->ok()) << (c && c->error ? c->error->describe() : "no completion") << "\n" << ferryd.log() << tus.output();
  EXPECT_EQ(c->status_code, 204);
  auto stored = tus.uploads();
  ASSERT_EQ(stored.size(), 1u);  // one upload, continued: not a second one
  EXPECT_EQ(sha256File(stored[0]), sha256File(dir / "movie.bin"));
  auto log = logger.log();
  auto offsets = cutProxyPatchOffsets(log);
  ASSERT_EQ(offsets.size(), 2u) << log;
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_GT(offsets[1], 2 * MiB) << log;
  EXPECT_EQ(log.find("request POST", log.find("request PATCH")), std::string::npos) << log;  // no new creation
}

TEST(UploadResumeData, BadResumeDataGetsClearErrorsAndOtherSessionsAreUntouched) {
  TempDir dir;
  VideoFarm videofarm(dir);
  writeRandomFile(dir / "a.bin", 8 * MiB, 63);
  writeRandomFile(dir / "b.bin", 8 * MiB, 64);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto other_delegate = std::make_shared<RecordingDelegate>();
  auto other = Session::create(ferryd.config("other"), other_delegate);
  ASSERT_TRUE(other);
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("owner").maxBytesPerSecond(2 * MiB), delegate);
  ASSERT_TRUE(session);
  auto a = (*session)->uploadTask(Request(videofarm.url("/videos/" + videofarm.createVideo("a") + "/movie")), dir / "a.bin");
  ASSERT_TRUE(a);
  const std::string blob_a = cancelPartWay(**session, *delegate, *a, MiB);
  auto b = (*session)->uploadTask(Request(videofarm.url("/videos/" + videofarm.createVideo("b") + "/movie")), dir / "b.bin");
  ASSERT_TRUE(b);
  const std::string blob_b = cancelPartWay(**session, *delegate, *b, MiB);
  ASSERT_FALSE(blob_a.empty());
  ASSERT_FALSE(blob_b.empty());

  auto garbage = (*session)->uploadTaskWithResumeData("hello");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, "resume-data-invalid");
  std::string tampered = blob_a;
  tampered[tampered.find('.') + 5] ^= 1;
  auto altered = (*session)->uploadTaskWithResumeData(tampered);
  ASSERT_FALSE(altered);
  EXPECT_EQ(altered.error().code, "resume-data-invalid");
  auto foreign = (*other)->uploadTaskWithResumeData(blob_a);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, "resume-data-foreign");
  EXPECT_NE(foreign.error().message.find("session owner"), std::string::npos) << foreign.error().message;
  auto as_download = (*session)->downloadTaskWithResumeData(blob_a);
  ASSERT_FALSE(as_download);
  EXPECT_EQ(as_download.error().code, "invalid-argument");
  EXPECT_NE(as_download.error().message.find("uploadTaskWithResumeData"), std::string::npos) << as_download.error().message;

  // None of those spent it; the first real use does, the second is refused.
  auto first = (*session)->uploadTaskWithResumeData(blob_a);
  ASSERT_TRUE(first) << first.error().describe();
  auto twice = (*session)->uploadTaskWithResumeData(blob_a);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "resume-data-stale");
  EXPECT_NE(twice.error().message.find("already used"), std::string::npos) << twice.error().message;

  // b.bin changed after the cancel: continuing would splice two versions.
  writeRandomFile(dir / "b.bin", 8 * MiB, 65);
  auto changed = (*session)->uploadTaskWithResumeData(blob_b);
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, "source-changed");
  EXPECT_NE(changed.error().message.find("b.bin"), std::string::npos) << changed.error().message;
  std::filesystem::remove(dir / "b.bin");
  auto gone = (*session)->uploadTaskWithResumeData(blob_b);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "not-found");
  EXPECT_NE(gone.error().message.find("b.bin is gone"), std::string::npos) << gone.error().message;

  // The other session and the daemon are unharmed.
  EXPECT_TRUE(ferryd.running());
  auto others = (*other)->getAllTasks();
  ASSERT_TRUE(others);
  EXPECT_TRUE(others->empty());
  auto mine = (*session)->getAllTasks();
  ASSERT_TRUE(mine);
  bool listed = false;
  for (const auto& t : *mine) listed = listed || (t.id == first->identifier() && t.state == "suspended");
  EXPECT_TRUE(listed);
}

// As URLSession: the task is cancelled all the same; there is just no resume data.
TEST(UploadResumeData, APlainUploadIsCancelledWithoutResumeData) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  NginxServer nginx({dir / "www", "", kNginxDavLocation});
  writeRandomFile(dir / "plain.bin", 16 * MiB, 66);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("plain").maxBytesPerSecond(2 * MiB), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->uploadTask(Request(nginx.url("/dav/plain.bin")), dir / "plain.bin");
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastSent() > static_cast<std::int64_t>(MiB); }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_FALSE(blob);
  EXPECT_EQ(blob.error().code, "invalid-state");
  EXPECT_NE(blob.error().message.find("cancelled without resume data"), std::string::npos) << blob.error().message;
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  auto c = *delegate->completion(task->identifier());
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->code, "cancelled");
  EXPECT_TRUE(c.resume_data.empty());
  EXPECT_TRUE(filesIn(ferryd.stateDir() / "resume", ".body").empty());
}

TEST(UploadResumeData, FerryctlCancelsAnUploadWithResumeDataAndContinuesIt) {
  TempDir dir;
  VideoFarm videofarm(dir);
  const std::string video = videofarm.createVideo("ferryctl resume data");
  writeRandomFile(dir / "movie.bin", 8 * MiB, 67);
  Ferryd ferryd(dir.path());
  ferryd.start();
  ASSERT_EQ(ferryd.ferryctl({"limit", "--global", "2M"}).exit_code, 0);
  auto started = ferryd.ferryctl({"upload", (dir / "movie.bin").string(), videofarm.url("/videos/" + video + "/movie"), "--detach"});
  ASSERT_EQ(started.exit_code, 0) << started.out;
  const std::uint64_t id = std::stoull(started.out);
  auto control = ferryd.control();
  ASSERT_TRUE(waitUntil([&] {
    auto tasks = control->list();
    return tasks && !tasks->empty() && tasks->front().id == id && tasks->front().bytes_written > MiB;
  }));
  auto blob = ferryd.ferryctl({"resume-data", std::to_string(id)});
  ASSERT_EQ(blob.exit_code, 0) << blob.out;
  writeFile(dir / "blob", blob.out);
  ASSERT_EQ(ferryd.ferryctl({"limit", "--global", "none"}).exit_code, 0);
  auto resumed = ferryd.ferryctl({"upload", "--resume-data", (dir / "blob").string()});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << ferryd.log();
  EXPECT_NE(resumed.out.find(": done (HTTP 20"), std::string::npos) << resumed.out;
  EXPECT_EQ(videofarm.movieSha256(video, dir), sha256File(dir / "movie.bin"));
  auto offsets = videoFarmPatchOffsets(videofarm.log());
  ASSERT_EQ(offsets.size(), 1u) << videofarm.log();
  EXPECT_GT(offsets[0], MiB);
  // Used once; FILE and URL together with it are a usage error.
  auto again = ferryd.ferryctl({"upload", "--resume-data", (dir / "blob").string()});
  EXPECT_EQ(again.exit_code, 2) << again.out;
  auto both = ferryd.ferryctl({"upload", (dir / "movie.bin").string(), videofarm.url("/x"), "--resume-data", (dir / "blob").string()});
  EXPECT_EQ(both.exit_code, 2) << both.out;
}
