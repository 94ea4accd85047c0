// Download groups in ferryd (issue 16), on the wire (docs/ipc.md "Groups"): one commit puts every
// file in place, or none is; a failed file fails the group and says which; a kill -9 between the
// renames is finished at the next start; suspend, resume, cancel and resume data act on the
// group; a malformed group is refused whole. libferry's and ferryctl's groups: groups_test.cpp.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "raw_client.hpp"

using namespace ferry;
using namespace ferry::test;
using Json = nlohmann::json;

namespace {

// An application attached to a session by hand: each request gets its reply; events that come
// meanwhile are kept (and acknowledged when asked).
class GroupApp {
 public:
  GroupApp(const Ferryd& ferryd, const std::string& session) : raw_(ferryd.socket()) {
    EXPECT_TRUE(raw_.connected());
    Json hello = call({{"type", "hello"}, {"version", 1}, {"attach", session}, {"configuration", Json::object()}});
    EXPECT_TRUE(hello.value("ok", false)) << hello.dump();
  }
  Json call(Json m) {
    const int id = next_id_++;
    m["id"] = id;
    raw_.send(m.dump() + "\n");
    for (int lines = 0; lines < 100000; ++lines) {
      Json in = raw_.readJson();
      if (!in.is_object()) return Json();
      if (in.value("type", "") == "event") keep(std::move(in));
      else if (in.value("id", -1) == id) return in;
    }
    return Json();
  }
  // The first stored event named `name` (of `task` when given), waited for.
  Json waitForEvent(const std::string& name, std::uint64_t task = 0, std::chrono::seconds timeout = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (const auto& e : events_)
        if (e.value("event", "") == name && (task == 0 || e.value("task", 0ull) == task)) return e;
      if (std::chrono::steady_clock::now() > deadline) return Json();
      Json in = raw_.readJson();
      if (in.is_object() && in.value("type", "") == "event") keep(std::move(in));
    }
  }
  // Stored events in the order they came (transient ones are not kept).
  std::vector<Json> events() const { return events_; }
  void ackAll() {
    Json seqs = Json::array();
    for (const auto& e : events_) seqs.push_back(e.value("seq", 0ull));
    if (seqs.empty()) return;
    raw_.send(Json{{"type", "ack"}, {"seq", seqs[0]}, {"seqs", Json(std::vector<Json>(seqs.begin() + 1, seqs.end()))}}.dump() + "\n");
  }
  int progressEvents() const { return progress_; }

 private:
  void keep(Json e) {
    if (e.value("seq", 0ull) == 0) {
      progress_ += e.value("event", "") == "didWriteGroupData";
      return;
    }
    events_.push_back(std::move(e));
  }
  RawClient raw_;
  int next_id_ = 1;
  std::vector<Json> events_;
  int progress_ = 0;
};

Json entry(const std::string& url, const std::filesystem::path& destination) {
  return {{"request", {{"url", url}}}, {"destination", destination.string()}};
}

Json createGroup(const std::string& name, const Json& entries, bool start = true) {
  return {{"type", "create_group"}, {"name", name}, {"tasks", entries}, {"start", start}};
}

// count files f0..f(count-1) of distinct content under dir/www, and their entries to dir/out.
Json groupOfFiles(const TempDir& dir, const NginxServer& nginx, int count, std::uint64_t size) {
  std::filesystem::create_directories(dir / "www");
  std::filesystem::create_directories(dir / "out");
  Json entries = Json::array();
  for (int i = 0; i < count; ++i) {
    const std::string name = "f" + std::to_string(i);
    writeRandomFile(dir / "www" / name, size + static_cast<std::uint64_t>(i), 100 + static_cast<std::uint64_t>(i));
    entries.push_back(entry(nginx.url("/" + name), dir / "out" / name));
  }
  return entries;
}

int filesIn(const std::filesystem::path& dir) {
  int n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator(); ++it) ++n;
  return n;
}

void expectEveryFileInPlace(const TempDir& dir, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string name = "f" + std::to_string(i);
    EXPECT_EQ(sha256File(dir / "out" / name), sha256File(dir / "www" / name)) << name;
  }
}

}  // namespace

TEST(DaemonGroups, TwentyFilesAllSucceedAllAppearWithOneDidCompleteGroupAfterTheMembersEvents) {
  TempDir dir;
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  GroupApp app(ferryd, "g");
  auto created = app.call(createGroup("twenty", groupOfFiles(dir, nginx, 20, 300 * 1024)));
  ASSERT_TRUE(created.value("ok", false)) << created.dump();
  const auto group = created["result"]["group"];
  const std::uint64_t id = group["id"];
  ASSERT_EQ(group["tasks"].size(), 20u);
  EXPECT_EQ(group["name"], "twenty");
  EXPECT_EQ(group["progress"]["files_total"], 20);

  auto done = app.waitForEvent("didCompleteGroup", id);
  ASSERT_TRUE(done.is_object());
  const auto info = done["group"];
  EXPECT_EQ(info["state"], "completed") << info.dump();
  EXPECT_TRUE(info["error"].is_null());
  EXPECT_EQ(info["progress"]["files_done"], 20);
  EXPECT_EQ(info["progress"]["bytes_written"], 20 * 300 * 1024 + 190);
  expectEveryFileInPlace(dir, 20);
  // Every member's didComplete came, before the group's (one transaction, members first).
  std::vector<std::uint64_t> completed;
  bool group_seen = false;
  int groups = 0;
  for (const auto& e : app.events()) {
    if (e["event"] == "didCompleteGroup") group_seen = true, ++groups;
    if (e["event"] == "didComplete") {
      EXPECT_FALSE(group_seen) << "a member's didComplete after didCompleteGroup";
      EXPECT_TRUE(e["error"].is_null()) << e.dump();
      completed.push_back(e["task"]);
    }
  }
  EXPECT_EQ(groups, 1);
  EXPECT_EQ(completed.size(), 20u);
  // Each member names its group; the list shows the group until didCompleteGroup is acknowledged.
  auto listed = app.call({{"type", "list"}});
  ASSERT_EQ(listed["result"]["groups"].size(), 1u) << listed.dump();
  for (const auto& t : listed["result"]["tasks"]) EXPECT_EQ(t["group"], id);
  app.ackAll();
  EXPECT_TRUE(waitUntil([&] { return app.call({{"type", "list"}})["result"]["groups"].empty(); })) << "the group stays listed";
  EXPECT_TRUE(app.call({{"type", "list"}})["result"]["tasks"].empty());
}

TEST(DaemonGroups, OneFileFailsNoDestinationFileExistsAndTheGroupSaysWhich) {
  TempDir dir;
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  GroupApp app(ferryd, "g");
  auto entries = groupOfFiles(dir, nginx, 19, 200 * 1024);
  entries.push_back(entry(nginx.url("/missing"), dir / "out" / "missing"));
  auto created = app.call(createGroup("one-missing", entries));
  ASSERT_TRUE(created.value("ok", false)) << created.dump();
  const std::uint64_t id = created["result"]["group"]["id"];
  const std::uint64_t missing = created["result"]["group"]["tasks"][19];

  auto done = app.waitForEvent("didCompleteGroup", id);
  ASSERT_TRUE(done.is_object());
  const auto info = done["group"];
  EXPECT_EQ(info["state"], "failed") << info.dump();
  ASSERT_EQ(info["failures"].size(), 1u) << info.dump();
  EXPECT_EQ(info["failures"][0]["task"], missing);
  EXPECT_EQ(info["failures"][0]["url"], nginx.url("/missing"));
  EXPECT_EQ(info["failures"][0]["error"]["code"], "http-error");
  EXPECT_EQ(info["error"]["code"], "http-error");
  EXPECT_NE(info["error"]["message"].get<std::string>().find((dir / "out" / "missing").string()), std::string::npos);
  // No file of the group appeared, and no partial file stayed behind.
  EXPECT_EQ(filesIn(dir / "out"), 0);
  EXPECT_EQ(filesIn(ferryd.stateDir() / "partial"), 0);
  // Every other member ended cancelled, saying why.
  int cancelled = 0;
  for (const auto& e : app.events())
    if (e["event"] == "didComplete" && e["task"] != missing && e["error"].value("code", "") == "cancelled") ++cancelled;
  EXPECT_EQ(cancelled, 19);
}

// FERRYD_FAILPOINT stops ferryd with SIGKILL right after the 3rd of 20 renames: after the restart
// the group commits again, finds the 3 files already in place and renames the other 17.
TEST(DaemonGroups, KillNineBetweenTheFirstAndLastRenameFinishesAtRestart) {
  TempDir dir;
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.setEnvironment({{"FERRYD_FAILPOINT", "group-rename:3"}});
  ferryd.start();
  std::uint64_t id = 0;
  {
    GroupApp app(ferryd, "g");
    auto created = app.call(createGroup("crash", groupOfFiles(dir, nginx, 20, 100 * 1024)));
    ASSERT_TRUE(created.value("ok", false)) << created.dump();
    id = created["result"]["group"]["id"];
    ASSERT_TRUE(waitUntil([&] { return !ferryd.running(); }, std::chrono::seconds(60))) << "the failpoint did not stop ferryd";
  }
  EXPECT_EQ(filesIn(dir / "out"), 3);  // between the first rename and the last
  ferryd.setEnvironment({});
  ferryd.start();
  GroupApp app(ferryd, "g");
  auto done = app.waitForEvent("didCompleteGroup", id);
  ASSERT_TRUE(done.is_object()) << ferryd.log();
  EXPECT_EQ(done["group"]["state"], "completed") << done.dump();
  EXPECT_EQ(filesIn(dir / "out"), 20);
  expectEveryFileInPlace(dir, 20);
  int member_completions = 0;
  for (const auto& e : app.events()) member_completions += e["event"] == "didComplete" && e["error"].is_null();
  EXPECT_EQ(member_completions, 20);
}

TEST(DaemonGroups, SuspendResumeAndResumeDataActOnTheWholeGroup) {
  TempDir dir;
  NginxServer nginx({dir / "www", "1m", ""});  // 6 MiB files at 1 MiB/s: still running when asked
  Ferryd ferryd(dir.path());
  ferryd.start();
  GroupApp app(ferryd, "g");
  auto created = app.call(createGroup("slow", groupOfFiles(dir, nginx, 3, 6 * MiB)));
  ASSERT_TRUE(created.value("ok", false)) << created.dump();
  const std::uint64_t id = created["result"]["group"]["id"];

  auto suspended = app.call({{"type", "suspend"}, {"task", id}});
  ASSERT_TRUE(suspended.value("ok", false)) << suspended.dump();
  EXPECT_EQ(suspended["result"]["group"]["state"], "suspended") << suspended.dump();
  auto resumed = app.call({{"type", "resume"}, {"task", id}});
  EXPECT_EQ(resumed["result"]["group"]["state"], "running") << resumed.dump();
  // Bytes of every file beyond what nginx sends before its rate applies, then resume data for the lot.
  ASSERT_TRUE(waitUntil([&] {
    const auto tasks = app.call({{"type", "list"}})["result"]["tasks"];
    if (tasks.size() != 3) return false;
    for (const auto& t : tasks)
      if (t["bytes_written"].get<std::uint64_t>() < 2 * MiB) return false;
    return true;
  }));
  auto cancelled = app.call({{"type", "cancel_with_resume_data"}, {"task", id}});
  ASSERT_TRUE(cancelled.value("ok", false)) << cancelled.dump();
  const std::string blob = cancelled["result"]["resume_data"];
  EXPECT_EQ(blob.rfind("ferry-group-v1:", 0), 0u);
  auto ended = app.waitForEvent("didCompleteGroup", id);
  EXPECT_EQ(ended["group"]["state"], "cancelled");
  EXPECT_EQ(ended["resume_data"], blob);
  EXPECT_EQ(filesIn(dir / "out"), 0);

  auto again = app.call({{"type", "create_group"}, {"resume_data", blob}, {"start", true}});
  ASSERT_TRUE(again.value("ok", false)) << again.dump();
  const std::uint64_t second = again["result"]["group"]["id"];
  EXPECT_EQ(again["result"]["group"]["name"], "slow");
  auto done = app.waitForEvent("didCompleteGroup", second);
  EXPECT_EQ(done["group"]["state"], "completed") << done.dump();
  expectEveryFileInPlace(dir, 3);
  // Each file went on from its bytes (didResumeAtOffset, a ranged request), none from zero.
  int resumed_members = 0;
  for (const auto& e : app.events())
    if (e["event"] == "didResumeAtOffset" && e["task"].get<std::uint64_t>() > second)
      resumed_members += e["fileOffset"].get<std::uint64_t>() >= 2 * MiB;
  EXPECT_EQ(resumed_members, 3) << ferryd.log();
  const std::string log = nginx.accessLogOnceItHas("206 bytes=");
  EXPECT_NE(log.find("206 bytes="), std::string::npos) << log;
}

TEST(DaemonGroups, AMalformedGroupIsRefusedWholeAndNamesTheEntry) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  GroupApp app(ferryd, "g");
  const auto out = dir / "a";
  const auto refusal = [&](const Json& m) {
    auto reply = app.call(m);
    EXPECT_FALSE(reply.value("ok", true)) << reply.dump();
    return reply.value("error", Json::object()).value("code", "") + ": " + reply.value("error", Json::object()).value("message", "");
  };
  const std::string url = "http://127.0.0.1:9/f";
  EXPECT_NE(refusal(createGroup("twice", {entry(url, out), entry(url, out)})).find("tasks[1]: destination " + out.string() + " is named twice"),
            std::string::npos);
  const auto relative = refusal(createGroup("relative", Json::array({entry(url, "rel/a")})));
  EXPECT_NE(relative.find("tasks[0]: every file of a group needs an absolute destination"), std::string::npos) << relative;
  EXPECT_NE(refusal(createGroup("empty", Json::array())).find("needs tasks"), std::string::npos);
  EXPECT_NE(refusal(createGroup("", Json::array({entry(url, out)}))).find("needs a name"), std::string::npos);
  EXPECT_NE(refusal(createGroup("bad-url", {entry(url, out), entry(url, dir / "b"), entry("ftp://x/f", dir / "c")})).find("tasks[2]: "),
            std::string::npos);
  EXPECT_NE(refusal(createGroup("no-dir", {entry(url, out), entry(url, dir / "nowhere/b")})).find("tasks[1]: the destination's directory"),
            std::string::npos);
  EXPECT_EQ(refusal({{"type", "create_group"}, {"resume_data", "ferry-group-v1:%%%"}}).rfind("resume-data-invalid: ", 0), 0u);
  EXPECT_NE(refusal({{"type", "suspend"}, {"task", 999}}).find("not-found"), std::string::npos);
  // Nothing of the refused groups was made.
  auto listed = app.call({{"type", "list"}});
  EXPECT_TRUE(listed["result"]["tasks"].empty()) << listed.dump();
  EXPECT_TRUE(listed["result"]["groups"].empty()) << listed.dump();
  EXPECT_EQ(ferryd.taskCount(), 0u);
}
