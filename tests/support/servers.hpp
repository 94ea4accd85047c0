#pragma once
// Servers that tests of several parts start as child processes on 127.0.0.1: any program
// listening on a fresh port (PortProcess), the VideoFarm server (build/bin/videofarm-server)
// with its own data directory, the cutting proxy and the upload sink (tests/servers/).
// Header-only: used by unit and integration tests alike.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace ferry::test {

using namespace std::chrono_literals;

// An NginxServer extra location that accepts PUT under /dav/ (nginx's dav module), any size.
inline const std::string kNginxDavLocation =
    "location /dav/ { dav_methods PUT; create_full_put_path on; client_max_body_size 0; }";

// The offsets of the VideoFarm server's "PATCH appends at offset N" log lines: where resumable
// uploads continued.
inline std::vector<std::uint64_t> videoFarmPatchOffsets(const std::string& log) {
  std::vector<std::uint64_t> out;
  std::regex pattern("PATCH appends at offset ([0-9]+)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), pattern); it != std::sregex_iterator(); ++it)
    out.push_back(std::stoull((*it)[1].str()));
  return out;
}

// The Upload-Offset of every PATCH in a CutProxy's log: where a resumable upload (re)started.
inline std::vector<std::uint64_t> cutProxyPatchOffsets(const std::string& log) {
  std::vector<std::uint64_t> out;
  std::regex pattern(R"(request PATCH \S+ upload-offset=(\d+))");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), pattern); it != std::sregex_iterator(); ++it)
    out.push_back(std::stoull((*it)[1].str()));
  return out;
}

inline std::string python() {
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

// A child process listening on a fresh loopback port.
class PortProcess {
 public:
  PortProcess(const TempDir& dir, const std::string& name, const std::function<std::vector<std::string>(int)>& argv)
      : port_(freePort()), out_(dir / (name + "-" + std::to_string(port_) + ".out")) {
    process_ = std::make_unique<Process>(Process::Options{argv(port_), {}, out_, {}, std::nullopt});
    if (!waitForPort(port_, 20s)) throw std::runtime_error(name + " did not start: " + readFile(out_));
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string output() const { return readFile(out_); }
  Process& process() { return *process_; }

 private:
  int port_;
  std::filesystem::path out_;
  std::unique_ptr<Process> process_;
};

// build/bin/videofarm-server with its own data directory. By default without accounts
// (--open-writes: anyone may write), as the upload tests need; `extra_args` replace that.
class VideoFarm {
 public:
  explicit VideoFarm(const TempDir& dir, std::vector<std::string> extra_args = {"--open-writes"})
      : data_(dir / "videofarm-data") {
    server_ = std::make_unique<PortProcess>(dir, "videofarm", [&](int port) {
      std::vector<std::string> argv{(binDir() / "videofarm-server").string(), "--listen",
                                    "127.0.0.1:" + std::to_string(port), "--data-dir", data_.string()};
      argv.insert(argv.end(), extra_args.begin(), extra_args.end());
      return argv;
    });
  }
  ~VideoFarm() {
    auto text = server_->output();
    EXPECT_EQ(text.find("Sanitizer"), std::string::npos) << text;
    EXPECT_EQ(text.find("runtime error:"), std::string::npos) << text;
  }
  static bool available() { return std::filesystem::exists(binDir() / "videofarm-server"); }
  int port() const { return server_->port(); }
  std::string url(const std::string& path) const { return server_->url(path); }
  std::string log() const { return server_->output(); }

  // POST /videos (multipart, with curl) → the new video's id.
  std::string createVideo(const std::string& title) const {
    auto result = runCommand({"curl", "-s", "-S", "-o", "/dev/null", "-w", "%{http_code} %header{location}",
                                  "-F", "title=" + title, url("/videos")});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out.substr(0, 3), "303") << result.out;
    auto slash = result.out.rfind('/');
    return result.out.substr(slash + 1);
  }
  // sha256 of GET /videos/ID/movie ("" when not 200).
  std::string movieSha256(const std::string& id, const TempDir& dir) const {
    auto file = dir / ("movie-" + id);
    auto result = runCommand({"curl", "-s", "-S", "-o", file.string(), "-w", "%{http_code}",
                                  url("/videos/" + id + "/movie")});
    if (result.out != "200") return "";
    return sha256File(file);
  }

 private:
  std::filesystem::path data_;
  std::unique_ptr<PortProcess> server_;
};


// @tus/server with @tus/file-store from npm (tests/servers/node, installed into `node_dir` by the
// build), storing uploads in dir/tus-store: a tus server nobody here wrote.
class TusServer {
 public:
  TusServer(const TempDir& dir, const std::filesystem::path& node_dir) : store_(dir / "tus-store") {
    std::filesystem::create_directories(store_);
    server_ = std::make_unique<PortProcess>(dir, "tus-server", [&](int port) {
      return std::vector<std::string>{"node", (node_dir / "tus_server.mjs").string(), std::to_string(port), store_.string()};
    });
  }
  // Empty when node and the package are there, else what to do about it.
  static std::string missing(const std::filesystem::path& node_dir) {
    if (std::filesystem::exists(node_dir / "node_modules/@tus/server/package.json") &&
        runCommand({"sh", "-c", "command -v node"}).exit_code == 0)
      return "";
    return "node or @tus/server missing: the build runs `npm ci` into " + node_dir.string() +
           " (see npm.log there; the npm registry must be reachable once)";
  }
  int port() const { return server_->port(); }
  std::string output() const { return server_->output(); }
  const std::filesystem::path& store() const { return store_; }
  // One file per upload (its metadata is beside it, in .json).
  std::vector<std::filesystem::path> uploads() const {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(store_))
      if (e.is_regular_file() && e.path().extension() != ".json") out.push_back(e.path());
    return out;
  }

 private:
  std::filesystem::path store_;
  std::unique_ptr<PortProcess> server_;
};

// tests/servers/cut_proxy.py in front of `target_port`.
class CutProxy {
 public:
  // wait_for_104: cut only once the server's 104 went back (see cut_proxy.py --cut-after-104).
  CutProxy(const TempDir& dir, int target_port, const std::string& method, std::uint64_t cut_after,
           bool wait_for_104 = false)
      : log_(dir / ("cut-proxy-" + std::to_string(target_port) + ".log")) {
    proxy_ = std::make_unique<PortProcess>(dir, "cut-proxy", [&](int port) {
      std::vector<std::string> argv{python(), (sourceDir() / "tests/servers/cut_proxy.py").string(),
                                    "--port", std::to_string(port), "--target", std::to_string(target_port),
                                    "--cut-method", method, "--cut-after", std::to_string(cut_after),
                                    "--log", log_.string()};
      if (wait_for_104) argv.push_back("--cut-after-104");
      return argv;
    });
  }
  std::string url(const std::string& path) const { return proxy_->url(path); }
  std::string log() const { return readFile(log_); }

 private:
  std::filesystem::path log_;
  std::unique_ptr<PortProcess> proxy_;
};

// tests/servers/upload_server.py storing bodies in dir/store.
class UploadServer {
 public:
  UploadServer(const TempDir& dir, std::vector<std::string> options = {})
      : store_(dir / "store"), log_(dir / ("upload-server-" + std::to_string(++instances_) + ".log")) {
    std::filesystem::create_directories(store_);
    server_ = std::make_unique<PortProcess>(dir, "upload-server", [&](int port) {
      std::vector<std::string> argv{python(), (sourceDir() / "tests/servers/upload_server.py").string(),
                                    "--port", std::to_string(port), "--store", store_.string(), "--log",
                                    log_.string()};
      argv.insert(argv.end(), options.begin(), options.end());
      return argv;
    });
  }
  std::string url(const std::string& path) const { return server_->url(path); }
  int port() const { return server_->port(); }
  std::filesystem::path stored(const std::string& name) const { return store_ / name; }
  std::string log() const { return readFile(log_); }

 private:
  static inline int instances_ = 0;
  std::filesystem::path store_;
  std::filesystem::path log_;
  std::unique_ptr<PortProcess> server_;
};

}  // namespace ferry::test
