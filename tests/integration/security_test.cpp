// Bad input on the socket and connections from another user: clear errors, and the daemon and
// other sessions go on working.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "raw_client.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

std::string errorCode(const nlohmann::json& reply) {
  if (!reply.is_object() || reply.value("ok", true)) return "";
  return reply["error"].value("code", "");
}

}  // namespace

TEST(Security, MalformedMessagesGetErrorsAndOtherSessionsKeepWorking) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/f.bin", 6 * 1024 * 1024, 1);
  NginxServer nginx({dir / "www", "3m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto good = Session::create(ferryd.config("good"), delegate);
  ASSERT_TRUE(good);
  auto task = (*good)->downloadTask(nginx.url("/f.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());

  RawClient raw(ferryd.socket());
  ASSERT_TRUE(raw.connected());
  raw.send("this is not json\n");
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  raw.send("[1,2,3]\n");
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  raw.send("{\"no\":\"type\"}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  raw.send("{\"type\":\"list\",\"id\":1}\n");  // before hello
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  raw.send("{\"type\":\"hello\",\"id\":2,\"version\":99}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "version-mismatch");
  raw.send("{\"type\":\"hello\",\"id\":3,\"version\":1,\"attach\":\"../../etc\"}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"hello\",\"id\":4,\"version\":1,\"attach\":\"raw\",\"configuration\":{\"max_concurrent\":-5}}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"hello\",\"id\":5,\"version\":1,\"attach\":\"raw\"}\n");
  auto hello = raw.readJson();
  ASSERT_TRUE(hello.value("ok", false)) << hello.dump();
  EXPECT_EQ(raw.readJson().value("type", ""), "events_drained");
  raw.send("{\"type\":\"create_download\",\"id\":6,\"request\":{\"url\":\"http://x/\",\"headers\":[[\"Bad Name\",\"v\"]]}}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"create_download\",\"id\":7,\"request\":{\"url\":\"http://x/\",\"headers\":[[\"X\",\"a\\r\\nInjected: 1\"]]}}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"create_download\",\"id\":8,\"request\":{\"url\":\"http://x/\"},\"destination\":\"relative/path\"}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"create_download\",\"id\":9,\"request\":{\"url\":\"http://x/\"},\"destination\":\"/no/such/dir/f\"}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "not-found");
  // Segmented downloads' fields: out of range, of the wrong kind, a mirror of another scheme.
  raw.send("{\"type\":\"create_download\",\"id\":20,\"request\":{\"url\":\"http://x/\",\"connections\":99}}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"create_download\",\"id\":21,\"request\":{\"url\":\"http://x/\",\"mirrors\":\"http://y/\"}}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"create_download\",\"id\":22,\"request\":{\"url\":\"http://x/\",\"mirrors\":[\"ftp://y/f\"]}}\n");
  auto ftp_mirror = raw.readJson();
  EXPECT_EQ(errorCode(ftp_mirror), "unsupported-scheme");
  EXPECT_NE(ftp_mirror.dump().find("mirror ftp://y/f"), std::string::npos) << ftp_mirror.dump();
  raw.send("{\"type\":\"cancel\",\"id\":10,\"task\":\"seven\"}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  // Another session's task is not visible from here.
  raw.send("{\"type\":\"cancel\",\"id\":11,\"task\":" + std::to_string(task->identifier()) + "}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "not-found");
  // Fields of the wrong type: an error naming the message, never a crash.
  raw.send("{\"type\":\"create_download\",\"id\":13,\"request\":{\"url\":\"http://x/\"},\"destination\":5}\n");
  auto wrong_type = raw.readJson();
  EXPECT_EQ(errorCode(wrong_type), "protocol");
  EXPECT_NE(wrong_type.dump().find("create_download"), std::string::npos) << wrong_type.dump();
  raw.send("{\"type\":\"create_download\",\"id\":14,\"request\":{\"url\":\"http://x/\"},\"start\":\"yes\",\"description\":[1]}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  raw.send("{\"type\":\"create_upload\",\"id\":15,\"request\":{\"url\":\"http://x/\"},\"file\":{\"a\":1}}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  // Streamed uploads: one source only, a length only for a stream, stream messages for real tasks.
  raw.send("{\"type\":\"create_upload\",\"id\":16,\"request\":{\"url\":\"http://x/\"},\"stream\":true,\"file\":\"/etc/hostname\"}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"create_upload\",\"id\":17,\"request\":{\"url\":\"http://x/\"},\"file\":\"/etc/hostname\",\"length\":5}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"create_upload\",\"id\":18,\"request\":{\"url\":\"http://x/\"},\"stream\":true,\"length\":-1}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  raw.send("{\"type\":\"body_stream_opened\",\"id\":19,\"task\":999999}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "not-found");
  raw.send("{\"type\":\"body_stream_ended\",\"id\":20,\"task\":999999,\"bytes\":\"many\"}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  raw.send("{\"type\":\"body_stream_opened\",\"id\":21,\"task\":" + std::to_string(task->identifier()) + "}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "not-found");  // another session's task
  // Redirect decisions: only for a task of this session that waits for one.
  raw.send("{\"type\":\"decide_redirect\",\"id\":22,\"task\":999999}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");  // no follow
  raw.send("{\"type\":\"decide_redirect\",\"id\":23,\"task\":" + std::to_string(task->identifier()) + ",\"follow\":true}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "not-found");  // another session's task
  writeRandomFile(dir / "up.bin", 1000, 2);
  raw.send("{\"type\":\"create_upload\",\"id\":24,\"request\":{\"url\":\"http://127.0.0.1:9/x\"},\"file\":\"" +
           (dir / "up.bin").string() + "\",\"redirects\":\"ask\"}\n");
  auto created = raw.readJson();
  ASSERT_TRUE(created.value("ok", false)) << created.dump();
  raw.send("{\"type\":\"decide_redirect\",\"id\":25,\"task\":" + std::to_string(created["result"]["task"].value("id", 0)) +
           ",\"follow\":false}\n");
  auto not_held = raw.readJson();
  EXPECT_EQ(errorCode(not_held), "invalid-state");
  EXPECT_NE(not_held.dump().find("not waiting for a redirect decision"), std::string::npos) << not_held.dump();
  raw.send("{\"type\":\"create_upload\",\"id\":26,\"request\":{\"url\":\"http://x/\"},\"file\":\"/etc/hostname\",\"redirects\":\"sometimes\"}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  // Resume data names the request and body itself; a blob that is not one is refused.
  raw.send("{\"type\":\"create_upload\",\"id\":27,\"resume_data\":\"x\",\"request\":{\"url\":\"http://x/\"}}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "invalid-argument");
  raw.send("{\"type\":\"create_upload\",\"id\":28,\"resume_data\":\"ferry-resume-v1.bm90.anVuaw\"}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "resume-data-invalid");
  {
    RawClient control(ferryd.socket());
    control.send("{\"type\":\"hello\",\"id\":1,\"version\":1}\n");
    ASSERT_TRUE(control.readJson().value("ok", false));
    control.send("{\"type\":\"create_upload\",\"id\":2,\"session\":\"raw\",\"request\":{\"url\":\"http://x/\"},\"stream\":true}\n");
    EXPECT_EQ(errorCode(control.readJson()), "not-attached");
    control.send("{\"type\":\"body_stream_opened\",\"id\":3,\"task\":1}\n");
    EXPECT_EQ(errorCode(control.readJson()), "not-attached");
    control.send("{\"type\":\"decide_redirect\",\"id\":4,\"task\":1,\"follow\":true}\n");
    EXPECT_EQ(errorCode(control.readJson()), "not-attached");
  }
  raw.send("{\"type\":\"frobnicate\",\"id\":12}\n");
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  raw.send("{\"type\":\"ack\",\"seq\":123456789}\n");  // unknown seq: ignored
  raw.send(std::string("\xff\xfe\x00garbage\n", 11));
  EXPECT_EQ(errorCode(raw.readJson()), "protocol");
  // A line without end that exceeds the bound gets an error and the connection is closed.
  RawClient flood(ferryd.socket());
  flood.send(std::string(2 * 1024 * 1024, 'a'));
  EXPECT_EQ(errorCode(flood.readJson()), "protocol");

  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  EXPECT_TRUE(delegate->completion(task->identifier())->ok());
  EXPECT_EQ(sha256File(*delegate->kept(task->identifier())), sha256File(dir / "www/f.bin"));
  EXPECT_TRUE(ferryd.running());
}

TEST(Security, AnotherUserCannotUseTheDaemon) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another uid";
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  // A copy of ferryctl in the test's own directory, so that uid 65534 can run it wherever the
  // checkout lives; the directory is opened up to let it reach the socket path's parents.
  ::chmod(dir.path().c_str(), 0755);
  std::filesystem::copy_file(binDir() / "ferryctl", dir / "ferryctl");
  std::string ferryctl = (dir / "ferryctl").string();
  auto as_nobody = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ferryctl,
                                  "--socket", ferryd.socket().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv, {{"HOME", "/tmp"}, {"FERRY_STATE_DIR", "/tmp/ferry-nobody-state"}});
  };
  // The socket's directory is 0700: the other user cannot even connect.
  auto denied = as_nobody({"list"});
  EXPECT_EQ(denied.exit_code, 3) << denied.out;
  EXPECT_NE(denied.out.find("permission-denied"), std::string::npos) << denied.out;

  // Even with the directory and socket opened up, the peer-credential check refuses it.
  ::chmod(ferryd.socket().parent_path().c_str(), 0755);
  ::chmod(ferryd.socket().c_str(), 0777);
  auto refused = as_nobody({"list"});
  EXPECT_EQ(refused.exit_code, 3) << refused.out;
  EXPECT_NE(refused.out.find("serves uid 0 only"), std::string::npos) << refused.out;
  EXPECT_NE(ferryd.log().find("refused a connection from uid 65534"), std::string::npos);
  EXPECT_TRUE(ferryd.running());
}

// A task's request headers (an Authorization among them) are kept for resuming after a crash,
// only in files of this user's alone; they are never in ferryd's log, `ferryctl list` or a
// resume-data blob.
TEST(Security, AnAuthorizationHeaderStaysInPrivateFilesOnly) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/slow.bin", 4 * 1024 * 1024, 3);
  NginxServer nginx({dir / "www", "1m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  const std::string secret = "Bearer s3cr3t-t0ken-f0r-the-test";
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("with-token"), delegate);
  ASSERT_TRUE(session);
  Request request(nginx.url("/slow.bin"));
  request.headers.emplace_back("Authorization", secret);
  auto task = (*session)->downloadTask(request);
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > 0; }));
  auto listed = ferryd.ferryctl({"list", "--json"});
  auto listed_text = ferryd.ferryctl({"list"});
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob) << blob.error().describe();
  EXPECT_EQ(listed.out.find("s3cr3t"), std::string::npos) << listed.out;
  EXPECT_EQ(listed_text.out.find("s3cr3t"), std::string::npos) << listed_text.out;
  EXPECT_EQ(blob->find("s3cr3t"), std::string::npos);
  EXPECT_EQ(ferryd.log().find("s3cr3t"), std::string::npos);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(ferryd.stateDir())) {
    if (!entry.is_regular_file()) continue;
    struct stat st{};
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << entry.path() << " is readable by others";
  }
}
