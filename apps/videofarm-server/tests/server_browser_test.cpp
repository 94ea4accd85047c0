// The web page in a real browser: Debian's chromium, headless, driven through chromedriver's
// W3C WebDriver HTTP API. Load the page, upload a small video through the form (the movie with
// tus-js-client, resumably), see it listed, play it for a moment; with accounts, log in first and
// upload through a proxy that cuts the movie's PATCH once. Through a proxy that makes the PATCH
// slow (throttle_proxy.py): Pause then Resume, and a reload then the same file chosen again, each
// continuing the one upload from the server's offset; delete buttons only on the user's videos.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <thread>

#include "accounts_harness.hpp"
#include "server_fixture.hpp"
#include "support/servers.hpp"

namespace vf::test {
namespace {
using namespace std::chrono_literals;
using ferry::test::Process;
using ferry::test::runCommand;
using ferry::test::TempDir;
using json = nlohmann::json;

constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";

class WebDriver {
 public:
  explicit WebDriver(const TempDir& dir) : port_(ferry::test::freePort()) {
    process_ = std::make_unique<Process>(Process::Options{
        {"chromedriver", "--port=" + std::to_string(port_)}, {}, dir / "chromedriver.log", {}, std::nullopt});
    if (!ferry::test::waitForPort(port_)) throw std::runtime_error("chromedriver did not start");
    json caps = {{"capabilities",
                  {{"alwaysMatch",
                    {{"browserName", "chrome"},
                     {"goog:chromeOptions",
                      {{"binary", "/usr/bin/chromium"},
                       {"args",
                        {"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
                         "--mute-audio", "--user-data-dir=" + (dir / "profile").string()}}}}}}}}};
    auto session = call("POST", "/session", caps);
    session_ = session["value"]["sessionId"].get<std::string>();
  }
  ~WebDriver() {
    if (!session_.empty()) call("DELETE", "/session/" + session_, nullptr);
  }

  json call(const std::string& method, const std::string& path, const json& body) {
    std::vector<std::string> argv{"curl", "-s", "-S", "--max-time", "60", "-X", method,
                                  "http://127.0.0.1:" + std::to_string(port_) + path};
    if (!body.is_null()) {
      argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", body.dump()});
    }
    auto r = runCommand(argv);
    if (r.exit_code != 0) throw std::runtime_error("webdriver call failed: " + path);
    auto answer = json::parse(r.out);
    if (answer.contains("value") && answer["value"].is_object() && answer["value"].contains("error"))
      throw std::runtime_error("webdriver: " + answer["value"].dump());
    return answer;
  }
  json session(const std::string& method, const std::string& path, const json& body = json::object()) {
    return call(method, "/session/" + session_ + path, body);
  }
  void go(const std::string& url) { session("POST", "/url", {{"url", url}}); }
  std::string element(const std::string& css) {
    return session("POST", "/element", {{"using", "css selector"}, {"value", css}})["value"][kElementKey];
  }
  void type(const std::string& css, const std::string& text) {
    session("POST", "/element/" + element(css) + "/value", {{"text", text}});
  }
  void clear(const std::string& css) { session("POST", "/element/" + element(css) + "/clear"); }
  void click(const std::string& css) { session("POST", "/element/" + element(css) + "/click"); }
  void reload() { session("POST", "/refresh"); }
  json eval(const std::string& script) {
    return session("POST", "/execute/sync", {{"script", script}, {"args", json::array()}})["value"];
  }
  bool waitFor(const std::string& condition, std::chrono::milliseconds timeout = 20s) {
    return ferry::test::waitUntil([&] { return eval("return !!(" + condition + ");").get<bool>(); }, timeout);
  }

 private:
  int port_;
  std::unique_ptr<Process> process_;
  std::string session_;
};

bool haveBrowser() {
  return runCommand({"sh", "-c", "command -v chromium && command -v chromedriver"}).exit_code == 0;
}

// throttle_proxy.py in front of the server: PATCH bodies arrive at `rate` bytes/s, and stop where
// they are when the browser drops the request.
class ThrottleProxy {
 public:
  ThrottleProxy(const TempDir& dir, int target_port, int rate) : log_(dir / "throttle-proxy.log") {
    proxy_ = std::make_unique<ferry::test::PortProcess>(dir, "throttle-proxy", [&](int port) {
      return std::vector<std::string>{
          ferry::test::python(), (ferry::test::sourceDir() / "apps/videofarm-server/tests/throttle_proxy.py").string(),
          "--port", std::to_string(port), "--target", std::to_string(target_port), "--rate", std::to_string(rate),
          "--log", log_.string()};
    });
  }
  std::string url(const std::string& path) const { return proxy_->url(path); }
  std::string log() const { return std::filesystem::exists(log_) ? ferry::test::readFile(log_) : ""; }
  std::size_t count(const std::string& pattern) const {
    auto text = log();
    std::regex re(pattern);
    return static_cast<std::size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
  }
  // The upload resource the PATCHes went to ("" before the first).
  std::string uploadToken() const {
    auto text = log();
    std::smatch m;
    return std::regex_search(text, m, std::regex(R"(request PATCH /uploads/(\S+))")) ? m[1].str() : "";
  }

 private:
  std::filesystem::path log_;
  std::unique_ptr<ferry::test::PortProcess> proxy_;
};

// How many bytes of the movie reached the server's upload file so far (not only the durable
// offset): it grows while the PATCH runs.
std::uint64_t bytesAtServer(const ServerProcess& server, const ThrottleProxy& proxy) {
  auto token = proxy.uploadToken();
  std::error_code ec;
  auto size = token.empty() ? 0 : std::filesystem::file_size(server.dataDir() / "uploads" / token, ec);
  return ec ? 0 : size;
}

// The offset HEAD /uploads/TOKEN reports.
std::uint64_t serverOffset(const ServerProcess& server, const std::string& user_token, const std::string& upload) {
  auto answer = curlAs(user_token, {"-I", server.url("/uploads/" + upload)});
  EXPECT_EQ(answer.status, 204) << answer.body;
  return answer.header("upload-offset").empty() ? 0 : std::stoull(answer.header("upload-offset"));
}

void logIn(WebDriver& browser, const std::string& name, const std::string& password) {
  ASSERT_TRUE(browser.waitFor("!document.getElementById('login-form').hidden"));
  browser.clear("#login-name");
  browser.type("#login-name", name);
  browser.type("#login-password", password);
  browser.click("#login-button");
  ASSERT_TRUE(browser.waitFor("!document.getElementById('who').hidden"))
      << browser.eval("return document.getElementById('login-status').textContent;");
}

std::string text(WebDriver& browser, const std::string& id) {
  return browser.eval("return document.getElementById('" + id + "').textContent;").get<std::string>();
}

bool shown(WebDriver& browser, const std::string& id) {
  return !browser.eval("return document.getElementById('" + id + "').hidden;").get<bool>();
}

// The movie used below, and a rate that makes its PATCH take ~5 s: long enough to act in the middle.
const std::filesystem::path kMovie = "sample-3s.mp4";
constexpr int kRate = 8192;
constexpr std::uint64_t kMidway = 8192;  // bytes at the server before acting: the PATCH is running

// alice (the administrator --create-user makes) with a server that needs accounts.
struct LoggedInUpload {
  TempDir dir{"vf-browser"};
  std::unique_ptr<ServerProcess> server;
  std::unique_ptr<ThrottleProxy> proxy;
  std::unique_ptr<WebDriver> browser;
  std::string token;  // alice's, for the test's own requests

  void start() {
    ASSERT_EQ(createUserCommand(dir / "data", {}, "alice", "alice's passphrase").exit_code, 0);
    server = std::make_unique<ServerProcess>(std::vector<std::string>{}, dir / "data", Writes::Accounts);
    ASSERT_TRUE(std::filesystem::exists(ferry::test::binDir() / "../web/tus.min.js"));
    proxy = std::make_unique<ThrottleProxy>(dir, server->port(), kRate);
    token = login(*server, "alice", "alice's passphrase");
    browser = std::make_unique<WebDriver>(dir);
    browser->go(proxy->url("/"));
    logIn(*browser, "alice", "alice's passphrase");
  }
  // Starts the upload of kMovie and returns once the server is receiving it.
  void uploadUntilMidway() {
    browser->type("#title", "Slow upload");
    browser->type("#movie", (mediaDir() / kMovie).string());
    browser->click("#upload-button");
    ASSERT_TRUE(ferry::test::waitUntil([&] { return bytesAtServer(*server, *proxy) >= kMidway; }, 30s))
        << text(*browser, "upload-status") << proxy->log() << server->log();
    ASSERT_LT(bytesAtServer(*server, *proxy), std::filesystem::file_size(mediaDir() / kMovie));
  }
  // One video, with the whole movie: byte for byte the file.
  void expectTheMovieStored() {
    auto listed = json::parse(curl({server->url("/videos")}).body)["videos"];
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(ferry::test::sha256Bytes(curl({server->url("/videos/" + listed[0]["id"].get<std::string>() + "/movie")}).body),
              ferry::test::sha256File(mediaDir() / kMovie));
  }
};

TEST(VideoFarmWebPage, UploadListAndPlayInChromium) {
  if (!haveBrowser()) GTEST_SKIP() << "chromium and chromium-driver are not installed (scripts/install-deps.sh)";
  ServerProcess server;
  TempDir dir("vf-browser");
  WebDriver browser(dir);
  browser.go(server.url("/"));
  ASSERT_TRUE(browser.waitFor("document.getElementById('videos') && document.readyState === 'complete'"));

  browser.type("#title", "Browser upload");
  browser.type("#description", "sent by chromium");
  browser.type("#thumbnail", (mediaDir() / "sample-thumb.png").string());
  browser.type("#movie", (mediaDir() / "sample-2s.webm").string());
  browser.click("#upload-button");
  ASSERT_TRUE(browser.waitFor("document.getElementById('upload-status').textContent.startsWith('Uploaded')"))
      << browser.eval("return document.getElementById('upload-status').textContent;");

  // Listed, with its thumbnail loaded, and the server agrees.
  ASSERT_TRUE(browser.waitFor("[...document.querySelectorAll('#videos li .title')].some(e => e.textContent === 'Browser upload')"));
  EXPECT_TRUE(browser.waitFor("document.querySelector('#videos li img').naturalWidth > 0"));
  auto listed = json::parse(curl({server.url("/videos")}).body)["videos"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["title"], "Browser upload");
  EXPECT_EQ(listed[0]["movie"]["content_type"], "video/webm");

  // Play it for a moment: the <video> streams from /videos/ID/movie.
  browser.click("#videos li");
  EXPECT_TRUE(browser.waitFor("document.getElementById('player').currentTime > 0.5"))
      << browser.eval("const p = document.getElementById('player'); return [p.currentSrc, p.readyState, p.error && p.error.message];");
}

TEST(VideoFarmWebPage, LogInThenAResumableUploadThroughACutPlayAndDelete) {
  if (!haveBrowser()) GTEST_SKIP() << "chromium and chromium-driver are not installed (scripts/install-deps.sh)";
  TempDir dir("vf-browser");
  ASSERT_EQ(createUserCommand(dir / "data", {}, "alice", "alice's passphrase").exit_code, 0);
  ServerProcess server({}, dir / "data", Writes::Accounts);
  ASSERT_TRUE(std::filesystem::exists(ferry::test::binDir() / "../web/tus.min.js"))
      << "the build copies tus-js-client's bundle next to the page (npm ci into the build tree)";
  // The page is loaded through the proxy, so its Origin and Host are the proxy's: same origin.
  // The movie's PATCH is cut once after 20000 bytes (header and ~half the 45 KiB movie).
  ferry::test::CutProxy proxy(dir, server.port(), "PATCH", 20000);
  WebDriver browser(dir);
  browser.go(proxy.url("/"));
  ASSERT_TRUE(browser.waitFor("!document.getElementById('login-form').hidden"));
  EXPECT_TRUE(browser.eval("return document.getElementById('add-section').hidden;").get<bool>());

  browser.type("#login-name", "alice");
  browser.type("#login-password", "alice's passphrase");
  browser.click("#login-button");
  ASSERT_TRUE(browser.waitFor("!document.getElementById('who').hidden"))
      << browser.eval("return document.getElementById('login-status').textContent;");
  EXPECT_EQ(browser.eval("return document.getElementById('who-name').textContent;"), "alice");
  // HttpOnly: the page's scripts never see the session cookie.
  EXPECT_EQ(browser.eval("return document.cookie;"), "");

  browser.type("#title", "Resumed in the browser");
  browser.type("#movie", (mediaDir() / "sample-3s.mp4").string());
  browser.click("#upload-button");
  ASSERT_TRUE(browser.waitFor("document.getElementById('upload-status').textContent.startsWith('Uploaded')", 60s))
      << browser.eval("return document.getElementById('upload-status').textContent;") << proxy.log() << server.log();

  // One upload: the first PATCH at 0 was cut, and the upload continued from the server's offset
  // (tus-js-client may first repeat its PATCH at 0, get 409 and ask with HEAD). The server may
  // never see the cut PATCH (the proxy can close before the server reads its header, seen under
  // ASan): then it holds 0 bytes and a retry at 0 is right.
  const auto sent = ferry::test::cutProxyPatchOffsets(proxy.log());
  ASSERT_GE(sent.size(), 2u) << proxy.log() << server.log();
  EXPECT_EQ(sent[0], 0u);
  auto offsets = ferry::test::videoFarmPatchOffsets(server.log());  // the PATCHes it accepted
  ASSERT_FALSE(offsets.empty()) << server.log() << proxy.log();
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_EQ(offsets.back(), sent.back()) << server.log() << proxy.log();
  if (offsets.size() >= 2u) {
    EXPECT_GT(offsets.back(), 0u) << "the server had bytes of the cut PATCH, and the upload did not continue from them";
  }
  auto listed = json::parse(curl({server.url("/videos")}).body)["videos"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(ferry::test::sha256Bytes(curl({server.url("/videos/" + listed[0]["id"].get<std::string>() + "/movie")}).body),
            ferry::test::sha256File(mediaDir() / "sample-3s.mp4"));

  // Listed with the thumbnail the server made from the movie (the page reloads the list), with a
  // delete button: it is alice's.
  ASSERT_TRUE(browser.waitFor("(loadPage(true), document.querySelector('#videos li img') && "
                              "document.querySelector('#videos li img').naturalWidth === 320)", 30s));
  EXPECT_TRUE(browser.eval("return !!document.querySelector('#videos li .delete');").get<bool>());
  browser.click("#videos li");
  EXPECT_TRUE(browser.waitFor("document.getElementById('player').currentTime > 0.5"))
      << browser.eval("const p = document.getElementById('player'); return [p.currentSrc, p.readyState, p.error && p.error.message];");

  // Log out: no delete buttons, no form.
  browser.click("#logout-button");
  ASSERT_TRUE(browser.waitFor("!document.getElementById('login-form').hidden"));
  EXPECT_TRUE(browser.waitFor("document.querySelector('#videos li') && !document.querySelector('#videos li .delete')"));
}

TEST(VideoFarmWebPage, PauseStopsTheMovieUploadAndResumeContinuesIt) {
  if (!haveBrowser()) GTEST_SKIP() << "chromium and chromium-driver are not installed (scripts/install-deps.sh)";
  LoggedInUpload t;
  ASSERT_NO_FATAL_FAILURE(t.start());
  ASSERT_NO_FATAL_FAILURE(t.uploadUntilMidway());
  EXPECT_TRUE(shown(*t.browser, "upload-progress"));
  EXPECT_TRUE(shown(*t.browser, "pause-button"));
  EXPECT_FALSE(shown(*t.browser, "resume-button"));

  t.browser->click("#pause-button");
  // The browser dropped the PATCH: the proxy saw it leave in the middle of the body.
  ASSERT_TRUE(ferry::test::waitUntil([&] { return t.proxy->count("gone PATCH") == 1; }, 10s)) << t.proxy->log();
  EXPECT_TRUE(text(*t.browser, "upload-status").starts_with("Paused")) << text(*t.browser, "upload-status");
  EXPECT_TRUE(shown(*t.browser, "resume-button"));
  EXPECT_FALSE(shown(*t.browser, "pause-button"));
  const auto upload = t.proxy->uploadToken();
  const std::uint64_t paused_at = serverOffset(*t.server, t.token, upload);
  EXPECT_GE(paused_at, kMidway);
  EXPECT_LT(paused_at, std::filesystem::file_size(mediaDir() / kMovie));
  // Paused, nothing more arrives (a running PATCH would bring ~kRate bytes in that second) and
  // the page sends nothing.
  EXPECT_FALSE(ferry::test::waitUntil([&] { return bytesAtServer(*t.server, *t.proxy) != paused_at; }, 1s));
  EXPECT_EQ(t.proxy->count("request PATCH"), 1u) << t.proxy->log();

  t.browser->click("#resume-button");
  ASSERT_TRUE(t.browser->waitFor("document.getElementById('upload-status').textContent.startsWith('Uploaded')", 60s))
      << text(*t.browser, "upload-status") << t.proxy->log() << t.server->log();
  // A continuation of the same upload: one creation, HEAD for the offset, the append from where
  // the pause left the server.
  EXPECT_EQ(t.proxy->count("request POST /videos/\\S+/movie"), 1u) << t.proxy->log();
  EXPECT_GE(t.proxy->count("request HEAD /uploads/" + upload), 1u) << t.proxy->log();
  EXPECT_EQ(ferry::test::videoFarmPatchOffsets(t.server->log()), (std::vector<std::uint64_t>{0, paused_at}))
      << t.server->log();
  EXPECT_EQ(t.proxy->count("request PATCH /uploads/" + upload), 2u) << t.proxy->log();
  t.expectTheMovieStored();
}

TEST(VideoFarmWebPage, AfterAReloadTheSameFileContinuesTheUpload) {
  if (!haveBrowser()) GTEST_SKIP() << "chromium and chromium-driver are not installed (scripts/install-deps.sh)";
  LoggedInUpload t;
  ASSERT_NO_FATAL_FAILURE(t.start());
  ASSERT_NO_FATAL_FAILURE(t.uploadUntilMidway());

  t.browser->reload();
  ASSERT_TRUE(ferry::test::waitUntil([&] { return t.proxy->count("gone PATCH") == 1; }, 10s)) << t.proxy->log();
  // Still logged in (the session cookie), and the page says which file continues the upload.
  ASSERT_TRUE(t.browser->waitFor("!document.getElementById('who').hidden && !document.getElementById('resume-note').hidden"))
      << t.browser->eval("return document.body.innerHTML;");
  EXPECT_EQ(text(*t.browser, "who-name"), "alice");
  EXPECT_NE(text(*t.browser, "resume-note").find(kMovie.string()), std::string::npos) << text(*t.browser, "resume-note");
  const auto upload = t.proxy->uploadToken();
  const std::uint64_t offset = serverOffset(*t.server, t.token, upload);
  EXPECT_GE(offset, kMidway);

  // The same file again: no new video is asked for, the button continues.
  t.browser->type("#movie", (mediaDir() / kMovie).string());
  EXPECT_EQ(text(*t.browser, "upload-button"), "Continue upload");
  EXPECT_TRUE(t.browser->eval("return document.getElementById('title').disabled;").get<bool>());
  EXPECT_EQ(t.browser->eval("return document.getElementById('title').value;"), "Slow upload");
  t.browser->click("#upload-button");
  ASSERT_TRUE(t.browser->waitFor("document.getElementById('upload-status').textContent.startsWith('Uploaded')", 60s))
      << text(*t.browser, "upload-status") << t.proxy->log() << t.server->log();

  // One video, one upload resource, continued from the server's offset.
  EXPECT_EQ(t.proxy->count("request POST /videos "), 1u) << t.proxy->log();
  EXPECT_EQ(t.proxy->count("request POST /videos/\\S+/movie"), 1u) << t.proxy->log();
  EXPECT_EQ(ferry::test::videoFarmPatchOffsets(t.server->log()), (std::vector<std::uint64_t>{0, offset}))
      << t.server->log();
  EXPECT_EQ(t.proxy->count("request PATCH /uploads/" + upload), 2u) << t.proxy->log();
  t.expectTheMovieStored();
  EXPECT_FALSE(shown(*t.browser, "resume-note"));
  EXPECT_EQ(t.browser->eval("return localStorage.getItem('videofarm.pending-upload');"), nullptr);
}

TEST(VideoFarmWebPage, DeleteButtonsOnlyOnTheUsersOwnVideos) {
  if (!haveBrowser()) GTEST_SKIP() << "chromium and chromium-driver are not installed (scripts/install-deps.sh)";
  TempDir dir("vf-browser");
  ASSERT_EQ(createUserCommand(dir / "data", {}, "alice", "alice's passphrase").exit_code, 0);
  ServerProcess server({}, dir / "data", Writes::Accounts);
  // alice is an administrator; bob and carol are not.
  const auto admin = login(server, "alice", "alice's passphrase");
  for (const char* name : {"bob", "carol"})
    ASSERT_EQ(postJson(server, "/users", json{{"name", name}, {"password", std::string(name) + " password"}}.dump(), admin).status, 201);
  const auto bobs = createVideoAs(server, login(server, "bob", "bob password"), "bob video");
  const auto carols = createVideoAs(server, login(server, "carol", "carol password"), "carol video");
  const std::string bob_item = "#videos li[data-id='" + bobs + "']";
  const std::string carol_item = "#videos li[data-id='" + carols + "']";

  WebDriver browser(dir);
  browser.go(server.url("/"));
  ASSERT_NO_FATAL_FAILURE(logIn(browser, "bob", "bob password"));
  ASSERT_TRUE(browser.waitFor("document.querySelectorAll('#videos li').length === 2"));
  EXPECT_TRUE(browser.eval("return !!document.querySelector(\"" + bob_item + " .delete\");").get<bool>());
  EXPECT_FALSE(browser.eval("return !!document.querySelector(\"" + carol_item + " .delete\");").get<bool>());

  // bob's button deletes his video.
  browser.click(bob_item + " .delete");
  ASSERT_TRUE(browser.waitFor("document.querySelectorAll('#videos li').length === 1"));
  EXPECT_EQ(curl({server.url("/videos/" + bobs)}).status, 404);
  EXPECT_EQ(curl({server.url("/videos/" + carols)}).status, 200);

  // An administrator may delete anyone's: alice gets the button on carol's.
  browser.click("#logout-button");
  ASSERT_NO_FATAL_FAILURE(logIn(browser, "alice", "alice's passphrase"));
  EXPECT_TRUE(browser.waitFor("!!document.querySelector(\"" + carol_item + " .delete\")"));
}

}  // namespace
}  // namespace vf::test
