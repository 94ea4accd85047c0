// The web page in a real browser: Debian's chromium, headless, driven through chromedriver's
// W3C WebDriver HTTP API. Load the page, upload a small video through the form (the movie with
// tus-js-client, resumably), see it listed, play it for a moment; with accounts, log in first and
// upload through a proxy that cuts the movie's PATCH once.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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
  void click(const std::string& css) { session("POST", "/element/" + element(css) + "/click"); }
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

  // One upload: the first PATCH at 0 was cut, the next continued from the server's offset.
  auto offsets = ferry::test::videoFarmPatchOffsets(server.log());
  ASSERT_EQ(offsets.size(), 2u) << server.log() << proxy.log();
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_GT(offsets[1], 0u);
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

}  // namespace
}  // namespace vf::test
