// The web page in a real browser: Debian's chromium, headless, driven through chromedriver's
// W3C WebDriver HTTP API (no npm needed). Load the page, upload a small video through the form,
// see it listed, play it for a moment.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "server_fixture.hpp"

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

}  // namespace
}  // namespace vf::test
