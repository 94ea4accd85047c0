// Download groups (issue 16, "Groups") end to end: libferry's Session::downloadGroup and
// ferryctl download -i FILE --group against a real ferryd and nginx. All files in place and one
// didCompleteGroup; one missing file fails the group, no file is put in place and the failure
// names it; group resume data; ferryctl list, suspend, resume and cancel with a group's id; an
// in-process session refuses groups.

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// What the server holds for group file i: its bytes say which file they are.
std::string groupFileContents(int i) {
  std::string body = "group file " + std::to_string(i) + "\n";
  body.resize(8192 + 512 * static_cast<std::size_t>(i), static_cast<char>('A' + i % 26));
  return body;
}

// Records the group callbacks, and the order of every member's didComplete and of didCompleteGroup.
class GroupRecorder : public SessionDelegate {
 public:
  void didWriteGroupData(Session&, std::uint64_t group, const GroupProgress& progress) override {
    std::lock_guard lock(mutex_);
    progress_[group] = progress;
  }
  void didCompleteGroup(Session&, const GroupInfo& group, const std::optional<std::string>& resume_data) override {
    std::lock_guard lock(mutex_);
    ended_.push_back(group);
    resume_data_[group.id] = resume_data;
    order_.push_back("group:" + std::to_string(group.id));
    cv_.notify_all();
  }
  void didComplete(Session&, Task& task, const Completion&) override {
    std::lock_guard lock(mutex_);
    order_.push_back("task:" + std::to_string(task.identifier()));
  }

  std::optional<GroupInfo> waitForGroup(std::uint64_t id) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::seconds(120), [&] { return endOf(id) != nullptr; });
    const GroupInfo* g = endOf(id);
    return g ? std::optional<GroupInfo>(*g) : std::nullopt;
  }
  int endsOf(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& g : ended_) n += g.id == id ? 1 : 0;
    return n;
  }
  std::optional<std::string> resumeDataOf(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    return resume_data_[id];
  }
  std::vector<std::string> order() {
    std::lock_guard lock(mutex_);
    return order_;
  }

 private:
  const GroupInfo* endOf(std::uint64_t id) const {
    for (const auto& g : ended_)
      if (g.id == id) return &g;
    return nullptr;
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::uint64_t, GroupProgress> progress_;
  std::vector<GroupInfo> ended_;
  std::map<std::uint64_t, std::optional<std::string>> resume_data_;
  std::vector<std::string> order_;
};

// nginx serving `count` group files as /0 .. /count-1, a ferryd, and an out/ directory.
struct GroupBench {
  explicit GroupBench(int count) {
    std::filesystem::create_directories(dir / "www");
    std::filesystem::create_directories(dir / "out");
    for (int i = 0; i < count; ++i) writeFile(dir / ("www/" + std::to_string(i)), groupFileContents(i));
    nginx = std::make_unique<NginxServer>(NginxServer::Options{dir / "www", "", ""});
    ferryd = std::make_unique<Ferryd>(dir.path());
    ferryd->start();
  }
  std::filesystem::path out(int i) const { return dir / ("out/" + std::to_string(i)); }
  // Files 0..count-1 to out/0..; a path in `missing` is fetched from a URL nginx does not have.
  std::vector<GroupFile> files(int count, std::set<int> missing = {}) const {
    std::vector<GroupFile> out_files;
    for (int i = 0; i < count; ++i) {
      GroupFile f;
      f.request = Request(nginx->url(missing.count(i) ? "/missing-" + std::to_string(i) : "/" + std::to_string(i)));
      f.destination = out(i);
      out_files.push_back(std::move(f));
    }
    return out_files;
  }

  TempDir dir;
  std::unique_ptr<NginxServer> nginx;
  std::unique_ptr<Ferryd> ferryd;
};

GroupOptions started() {
  GroupOptions o;
  o.start = true;
  return o;
}

}  // namespace

TEST(Groups, EveryFileOfAGroupIsPutInPlaceAndDidCompleteGroupArrivesOnce) {
  constexpr int kFiles = 6;
  GroupBench bench(kFiles);
  auto delegate = std::make_shared<GroupRecorder>();
  auto session = Session::create(bench.ferryd->config("groups"), delegate);
  ASSERT_TRUE(session) << session.error().describe();
  auto created = (*session)->downloadGroup("photos", bench.files(kFiles), started());
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(created->name, "photos");
  EXPECT_EQ(created->tasks.size(), static_cast<std::size_t>(kFiles));
  EXPECT_EQ(created->progress.files_total, static_cast<std::uint64_t>(kFiles));

  auto ended = delegate->waitForGroup(created->id);
  ASSERT_TRUE(ended) << "no didCompleteGroup; ferryd's log:\n" << bench.ferryd->log();
  EXPECT_EQ(ended->state, "completed");
  EXPECT_FALSE(ended->error);
  EXPECT_TRUE(ended->failures.empty());
  EXPECT_EQ(ended->progress.files_done, static_cast<std::uint64_t>(kFiles));
  std::uint64_t bytes = 0;
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_EQ(readFile(bench.out(i)), groupFileContents(i)) << i;
    bytes += groupFileContents(i).size();
  }
  EXPECT_EQ(ended->progress.bytes_written, bytes);
  // Every member's own didComplete came before the group's.
  const auto order = delegate->order();
  const long group_at = indexOf(order, "group:" + std::to_string(created->id));
  for (auto member : created->tasks) {
    const long at = indexOf(order, "task:" + std::to_string(member));
    EXPECT_GE(at, 0) << member;
    EXPECT_LT(at, group_at) << member;
  }
  // Acknowledged once: a later attach of the session does not get it again.
  session->reset();
  auto again_delegate = std::make_shared<GroupRecorder>();
  auto again = Session::create(bench.ferryd->config("groups"), again_delegate);
  ASSERT_TRUE(again) << again.error().describe();
  ASSERT_TRUE((*again)->waitForEventsDrained(std::chrono::seconds(30)));
  EXPECT_EQ(again_delegate->endsOf(created->id), 0);
  EXPECT_EQ(delegate->endsOf(created->id), 1);
}

TEST(Groups, OneMissingFileFailsTheGroupNamesItAndPutsNoFileInPlace) {
  constexpr int kFiles = 5;
  GroupBench bench(kFiles);
  auto delegate = std::make_shared<GroupRecorder>();
  auto session = Session::create(bench.ferryd->config("groups"), delegate);
  ASSERT_TRUE(session) << session.error().describe();
  auto created = (*session)->downloadGroup("photos", bench.files(kFiles, {3}), started());
  ASSERT_TRUE(created) << created.error().describe();
  auto ended = delegate->waitForGroup(created->id);
  ASSERT_TRUE(ended) << "no didCompleteGroup; ferryd's log:\n" << bench.ferryd->log();
  EXPECT_EQ(ended->state, "failed");
  ASSERT_TRUE(ended->error);
  ASSERT_EQ(ended->failures.size(), 1u);
  const auto& failure = ended->failures.front();
  EXPECT_EQ(failure.task, created->tasks[3]);
  EXPECT_EQ(failure.url, bench.nginx->url("/missing-3"));
  EXPECT_EQ(failure.destination, bench.out(3).string());
  EXPECT_TRUE(failure.error.is(errc::http_error)) << failure.error.describe();
  for (int i = 0; i < kFiles; ++i) EXPECT_FALSE(std::filesystem::exists(bench.out(i))) << i;
  EXPECT_EQ(delegate->endsOf(created->id), 1);
}

TEST(Groups, ABadFileRefusesTheWholeGroupAndCreatesNothing) {
  GroupBench bench(3);
  auto session = Session::create(bench.ferryd->config("groups"), std::make_shared<GroupRecorder>());
  ASSERT_TRUE(session) << session.error().describe();
  // Refused by libferry (a malformed digest), naming the file.
  auto files = bench.files(3);
  files[2].expected_digest = "sha-256=nothex";
  auto digest = (*session)->downloadGroup("photos", files, started());
  ASSERT_FALSE(digest);
  EXPECT_TRUE(digest.error().is(errc::invalid_argument)) << digest.error().describe();
  EXPECT_NE(digest.error().message.find("tasks[2]"), std::string::npos) << digest.error().message;
  // Refused by ferryd (the same destination twice), naming the file.
  files = bench.files(3);
  files[1].destination = files[0].destination;
  auto twice = (*session)->downloadGroup("photos", files, started());
  ASSERT_FALSE(twice);
  EXPECT_TRUE(twice.error().is(errc::invalid_argument)) << twice.error().describe();
  EXPECT_NE(twice.error().message.find("tasks[1]"), std::string::npos) << twice.error().message;
  // No name; damaged resume data.
  auto unnamed = (*session)->downloadGroup("", bench.files(3), started());
  ASSERT_FALSE(unnamed);
  EXPECT_TRUE(unnamed.error().is(errc::invalid_argument)) << unnamed.error().describe();
  auto damaged = (*session)->downloadGroupWithResumeData("ferry-group-v1:!!!", started());
  ASSERT_FALSE(damaged);
  EXPECT_TRUE(damaged.error().is(errc::resume_data_invalid)) << damaged.error().describe();
  auto tasks = (*session)->getAllTasks();
  ASSERT_TRUE(tasks) << tasks.error().describe();
  EXPECT_TRUE(tasks->empty());
  auto groups = (*session)->getAllGroups();
  ASSERT_TRUE(groups) << groups.error().describe();
  EXPECT_TRUE(groups->empty());
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(std::filesystem::exists(bench.out(i))) << i;
}

TEST(Groups, AGroupCancelledWithResumeDataIsMadeAgainFromIt) {
  constexpr int kFiles = 3;
  GroupBench bench(kFiles);
  auto delegate = std::make_shared<GroupRecorder>();
  auto session = Session::create(bench.ferryd->config("groups"), delegate);
  ASSERT_TRUE(session) << session.error().describe();
  auto created = (*session)->downloadGroup("photos", bench.files(kFiles));  // suspended
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(created->state, "suspended");
  auto listed = (*session)->getAllGroups();
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, created->id);
  auto tasks = (*session)->getAllTasks();
  ASSERT_TRUE(tasks) << tasks.error().describe();
  ASSERT_EQ(tasks->size(), static_cast<std::size_t>(kFiles));
  for (const auto& t : *tasks) EXPECT_EQ(t.group, created->id) << t.id;
  // A task's id is not a group's.
  auto not_group = (*session)->suspendGroup(created->tasks[0]);
  ASSERT_FALSE(not_group);
  EXPECT_TRUE(not_group.error().is(errc::invalid_argument)) << not_group.error().describe();

  auto blob = (*session)->cancelGroupByProducingResumeData(created->id);
  ASSERT_TRUE(blob) << blob.error().describe();
  EXPECT_EQ(blob->rfind("ferry-group-v1:", 0), 0u) << *blob;
  auto cancelled = delegate->waitForGroup(created->id);
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->state, "cancelled");
  for (int i = 0; i < kFiles; ++i) EXPECT_FALSE(std::filesystem::exists(bench.out(i))) << i;

  auto again = (*session)->downloadGroupWithResumeData(*blob, started());
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_NE(again->id, created->id);
  EXPECT_EQ(again->name, "photos");
  auto ended = delegate->waitForGroup(again->id);
  ASSERT_TRUE(ended) << "no didCompleteGroup; ferryd's log:\n" << bench.ferryd->log();
  EXPECT_EQ(ended->state, "completed");
  for (int i = 0; i < kFiles; ++i) EXPECT_EQ(readFile(bench.out(i)), groupFileContents(i)) << i;
}

TEST(Groups, FerryctlDownloadsAListAsOneGroupAndReportsTheFileThatFailed) {
  constexpr int kFiles = 4;
  GroupBench bench(kFiles);
  const auto list = bench.dir / "list.txt";
  std::string text = "# the group\n";
  for (int i = 0; i < kFiles; ++i) text += bench.nginx->url("/" + std::to_string(i)) + " -o " + bench.out(i).string() + "\n";
  writeFile(list, text);
  auto good = bench.ferryd->ferryctl({"download", "-i", list.string(), "--group", "pics"});
  EXPECT_EQ(good.exit_code, 0) << good.out;
  EXPECT_NE(good.out.find("(pics): 4 files in place"), std::string::npos) << good.out;
  for (int i = 0; i < kFiles; ++i) EXPECT_EQ(readFile(bench.out(i)), groupFileContents(i)) << i;

  // Line 3 is missing on the server: exit 1, the line and URL named, no file in place.
  for (int i = 0; i < kFiles; ++i) std::filesystem::remove(bench.out(i));
  std::string failing = "";
  for (int i = 0; i < kFiles; ++i)
    failing += bench.nginx->url(i == 2 ? "/missing" : "/" + std::to_string(i)) + " -o " + bench.out(i).string() + "\n";
  writeFile(list, failing);
  auto failed = bench.ferryd->ferryctl({"download", "-i", list.string(), "--group", "pics"});
  EXPECT_EQ(failed.exit_code, 1) << failed.out;
  EXPECT_NE(failed.out.find(list.string() + ":3: " + bench.nginx->url("/missing")), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("no file of it was put in place"), std::string::npos) << failed.out;
  for (int i = 0; i < kFiles; ++i) EXPECT_FALSE(std::filesystem::exists(bench.out(i))) << i;

  // A line that is not a download refuses the whole group (exit 2); --group needs -i.
  writeFile(list, bench.nginx->url("/0") + " -o " + bench.out(0).string() + "\n-o\n");
  auto refused = bench.ferryd->ferryctl({"download", "-i", list.string(), "--group", "pics"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_NE(refused.out.find(list.string() + ":2: "), std::string::npos) << refused.out;
  EXPECT_FALSE(std::filesystem::exists(bench.out(0)));
  auto alone = bench.ferryd->ferryctl({"download", bench.nginx->url("/0"), "--group", "pics"});
  EXPECT_EQ(alone.exit_code, 2) << alone.out;
}

TEST(Groups, FerryctlListsAGroupAndActsOnItsId) {
  constexpr int kFiles = 3;
  GroupBench bench(kFiles);
  auto delegate = std::make_shared<GroupRecorder>();
  auto session = Session::create(bench.ferryd->config("app"), delegate);
  ASSERT_TRUE(session) << session.error().describe();
  auto created = (*session)->downloadGroup("nightly", bench.files(kFiles));  // suspended: it stays listed
  ASSERT_TRUE(created) << created.error().describe();
  const std::string id = std::to_string(created->id);

  auto listed = bench.ferryd->ferryctl({"list"});
  EXPECT_EQ(listed.exit_code, 0) << listed.out;
  EXPECT_NE(listed.out.find("group " + id + "  app  nightly  suspended  0/3 files"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("(group " + id + ")"), std::string::npos) << listed.out;
  auto json = bench.ferryd->ferryctl({"--json", "list", "--groups"});
  EXPECT_EQ(json.exit_code, 0) << json.out;
  EXPECT_NE(json.out.find("\"name\": \"nightly\""), std::string::npos) << json.out;

  auto resumed = bench.ferryd->ferryctl({"resume", id});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("group " + id), std::string::npos) << resumed.out;
  auto ended = delegate->waitForGroup(created->id);
  ASSERT_TRUE(ended) << "no didCompleteGroup; ferryd's log:\n" << bench.ferryd->log();
  EXPECT_EQ(ended->state, "completed");
  for (int i = 0; i < kFiles; ++i) EXPECT_EQ(readFile(bench.out(i)), groupFileContents(i)) << i;

  // suspend and cancel by a group's id; the cancel ends it (didCompleteGroup, state cancelled).
  auto third = (*session)->downloadGroup("nightly-3", bench.files(kFiles));
  ASSERT_TRUE(third) << third.error().describe();
  const std::string third_id = std::to_string(third->id);
  auto suspended = bench.ferryd->ferryctl({"suspend", third_id});
  EXPECT_EQ(suspended.exit_code, 0) << suspended.out;
  EXPECT_NE(suspended.out.find("group " + third_id + "  app  nightly-3  suspended"), std::string::npos) << suspended.out;
  auto cancelled = bench.ferryd->ferryctl({"--json", "cancel", third_id});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.out;
  EXPECT_NE(cancelled.out.find("{\"group\":{"), std::string::npos) << cancelled.out;
  auto cancel_end = delegate->waitForGroup(third->id);
  ASSERT_TRUE(cancel_end);
  EXPECT_EQ(cancel_end->state, "cancelled");
  auto unknown = bench.ferryd->ferryctl({"cancel", "999999"});
  EXPECT_NE(unknown.exit_code, 0) << unknown.out;

  // Another group, cancelled by id with resume data through ferryctl, then made again from it.
  for (int i = 0; i < kFiles; ++i) std::filesystem::remove(bench.out(i));
  auto second = (*session)->downloadGroup("nightly-2", bench.files(kFiles));
  ASSERT_TRUE(second) << second.error().describe();
  auto blob = bench.ferryd->ferryctl({"resume-data", std::to_string(second->id)});
  EXPECT_EQ(blob.exit_code, 0) << blob.out;
  EXPECT_EQ(blob.out.rfind("ferry-group-v1:", 0), 0u) << blob.out;
  session->reset();  // ferryctl attaches to a session of its own
  writeFile(bench.dir / "group.blob", blob.out);
  auto again = bench.ferryd->ferryctl({"download", "--resume-data", (bench.dir / "group.blob").string()});
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("(nightly-2): 3 files in place"), std::string::npos) << again.out;
  for (int i = 0; i < kFiles; ++i) EXPECT_EQ(readFile(bench.out(i)), groupFileContents(i)) << i;
}

TEST(Groups, AnInProcessSessionRefusesGroups) {
  auto session = Session::create(Configuration::defaults());
  ASSERT_TRUE(session) << session.error().describe();
  GroupFile file;
  file.request = Request("http://127.0.0.1:9/a");
  file.destination = "/tmp/ferry-never-a";
  auto created = (*session)->downloadGroup("photos", {file});
  ASSERT_FALSE(created);
  EXPECT_TRUE(created.error().is(errc::invalid_state)) << created.error().describe();
  EXPECT_NE(created.error().message.find("background session"), std::string::npos) << created.error().message;
  auto from_blob = (*session)->downloadGroupWithResumeData("ferry-group-v1:e30=");
  ASSERT_FALSE(from_blob);
  EXPECT_TRUE(from_blob.error().is(errc::invalid_state)) << from_blob.error().describe();
  EXPECT_TRUE((*session)->suspendGroup(5).error().is(errc::invalid_state));
  EXPECT_TRUE((*session)->cancelGroupByProducingResumeData(5).error().is(errc::invalid_state));
  auto groups = (*session)->getAllGroups();
  ASSERT_TRUE(groups) << groups.error().describe();
  EXPECT_TRUE(groups->empty());
}
