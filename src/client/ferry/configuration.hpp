#pragma once
// How a Session behaves (URLSessionConfiguration).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/export.hpp"
#include "ferry/session_config.hpp"

namespace ferry {

// Where a Session's delegate calls and completion handlers run. Session hands each one over with
// post() and waits for it to finish before the next, so they run one at a time and in order on
// whatever thread the queue runs them (an application's main loop, say). Default: a thread the
// Session owns. Never the transfer thread.
// Exported (its vtable and typeinfo) so that an application's subclass and libferry agree on one.
class FERRY_EXPORT DelegateQueue {
 public:
  virtual ~DelegateQueue() = default;
  virtual void post(std::function<void()> work) = 0;
};

// background: in ferryd, surviving this process. defaults / ephemeral: in this process
// (URLSessionConfiguration.default / .ephemeral); ephemeral keeps nothing on disk but the files
// the application asks for and resume data.
enum class SessionKind { background, defaults, ephemeral };

class Configuration {
 public:
  // Tasks run in ferryd and survive this process; events wait for the next attach with `identifier`.
  static Configuration background(std::string identifier) {
    Configuration c;
    c.identifier_ = std::move(identifier);
    return c;
  }
  // Tasks run in this process on its own transfer thread; nothing is started, no socket needed.
  // Cookies are kept in memory for the session's life (shared by its tasks, never on disk).
  static Configuration defaults() {
    Configuration c;
    c.kind_ = SessionKind::defaults;
    return c;
  }
  // As defaults(), but no cookies are kept at all.
  static Configuration ephemeral() {
    Configuration c;
    c.kind_ = SessionKind::ephemeral;
    return c;
  }

  SessionKind kind() const { return kind_; }
  bool isBackground() const { return kind_ == SessionKind::background; }
  const std::string& identifier() const { return identifier_; }

  // In-process sessions: a data task whose answer is longer fails with too-large (default 64 MiB).
  Configuration& maxDataTaskBytes(std::uint64_t n) { max_data_bytes_ = n; return *this; }
  // In-process sessions: where resume data keeps its partial files (default
  // $XDG_CACHE_HOME/ferry/resume; ferryd finds only the default one).
  Configuration& resumeDirectory(std::filesystem::path dir) { resume_dir_ = std::move(dir); return *this; }
  // In-process sessions: what downloads and data tasks do with a 3xx answer. "follow" (default,
  // up to 10 redirects) or "refuse": the 3xx is the answer (a data task's Response has its status
  // and body; a download ends with http-error and the answer's body in its file). Uploads follow
  // UploadOptions::redirects. A background session's downloads always follow.
  Configuration& downloadRedirects(std::string policy) { download_redirects_ = std::move(policy); return *this; }
  const std::string& downloadRedirects() const { return download_redirects_; }
  // Where delegate calls and completion handlers run (DelegateQueue above).
  Configuration& delegateQueue(std::shared_ptr<DelegateQueue> queue) { queue_ = std::move(queue); return *this; }
  std::uint64_t maxDataTaskBytes() const { return max_data_bytes_; }
  const std::filesystem::path& resumeDirectory() const { return resume_dir_; }
  const std::shared_ptr<DelegateQueue>& delegateQueue() const { return queue_; }

  Configuration& maxConcurrentTransfers(int n) { session_.max_concurrent = n; return *this; }
  Configuration& maxConnectionsPerHost(int n) { session_.max_per_host = n; return *this; }
  // A task that has not succeeded after this long (retrying transient failures) fails.
  Configuration& resourceTimeout(std::chrono::seconds t) { session_.resource_timeout = t; return *this; }
  Configuration& maxBytesPerSecond(std::uint64_t rate) { session_.max_bytes_per_second = rate; return *this; }
  // Background sessions: false holds every task of the session while the network is metered
  // (allowsExpensiveNetworkAccess) or marked metered by the user (allowsConstrainedNetworkAccess),
  // mid-transfer too; they continue when it is not. Default true. ferryd learns the cost from
  // NetworkManager, else the NetworkMonitor portal; without either the network counts as unmetered.
  Configuration& allowsExpensiveNetworkAccess(bool yes) { session_.allows_expensive_network_access = yes; return *this; }
  Configuration& allowsConstrainedNetworkAccess(bool yes) { session_.allows_constrained_network_access = yes; return *this; }
  // Relaunch: when this session has undelivered events and no process attached, ferryd runs
  // `argv` (argv[0] an absolute path) in `working_directory` with only the named variables of its
  // own environment, plus FERRY_SESSION, FERRY_SOCKET and FERRY_LAUNCH_REASON (events|refresh).
  // The program attaches with the same identifier, gets the events, then didFinishEvents.
  Configuration& launchCommand(std::vector<std::string> argv, std::string working_directory = {},
                               std::vector<std::string> environment = {}) {
    auto& l = launch();
    l.argv = std::move(argv);
    l.working_directory = std::move(working_directory);
    l.environment = std::move(environment);
    return *this;
  }
  // At most one launch per `interval` (default 30 s); a launch that exits without attaching
  // doubles the wait each time (back-off).
  Configuration& minLaunchInterval(std::chrono::seconds interval) { launch().min_interval = interval; return *this; }
  // Background refresh (BGAppRefreshTask): run the launch command at most every `interval`,
  // as soon after it as ferryd can; missed runs (ferryd was down) make one run. 0: none.
  Configuration& refreshInterval(std::chrono::seconds interval) { launch().refresh_interval = interval; return *this; }
  // ---- Transport (ferry/transport.hpp): how every task of the session reaches its server ----
  // A proxy URL (http://host:port, https://, socks4://, socks4a://, socks5://, socks5h://);
  // "direct": never a proxy, whatever the environment says; empty (default): the environment's
  // http_proxy / https_proxy / all_proxy / no_proxy, as curl reads them.
  Configuration& proxy(std::string url) { session_.transport.proxy = std::move(url); return *this; }
  // Hosts that bypass the proxy (curl's no_proxy syntax: "localhost,.example.org", "*").
  Configuration& noProxy(std::string hosts) { session_.transport.no_proxy = std::move(hosts); return *this; }
  // A PEM bundle of CAs to trust instead of the system's (a private CA). Relative paths are
  // made absolute here: ferryd reads the file, in its own working directory. A file that cannot
  // be read makes the session's creation fail (invalid-argument, naming the file).
  Configuration& caFile(const std::filesystem::path& file) { session_.transport.ca_file = absolutePath(file); return *this; }
  // TLS client authentication: a PEM certificate and its PEM key (empty: the key is in `cert`).
  Configuration& clientCertificate(const std::filesystem::path& cert, const std::filesystem::path& key = {}) {
    session_.transport.client_certificate = absolutePath(cert);
    session_.transport.client_key = absolutePath(key);
    return *this;
  }
  // Offer HTTP/2 on https (ALPN; default true); false: HTTP/1.1 only.
  Configuration& http2(bool yes) { session_.transport.http2 = yes; return *this; }

  // The daemon's socket; default $FERRY_SOCKET, else $XDG_RUNTIME_DIR/ferry/ferryd.sock.
  Configuration& socketPath(std::filesystem::path p) { socket_ = std::move(p); return *this; }
  // Whether to start ferryd when no daemon answers (default true, like D-Bus activation).
  Configuration& startDaemon(bool yes) { start_daemon_ = yes; return *this; }

  const SessionConfig& sessionConfig() const { return session_; }
  const std::filesystem::path& socketPath() const { return socket_; }
  bool startsDaemon() const { return start_daemon_; }

 private:
  Configuration() = default;
  static std::string absolutePath(const std::filesystem::path& p) {
    if (p.empty()) return {};
    std::error_code ec;
    auto absolute = std::filesystem::absolute(p, ec);
    return ec ? p.string() : absolute.lexically_normal().string();
  }
  LaunchCommand& launch() {
    if (!session_.launch) session_.launch.emplace();
    return *session_.launch;
  }
  SessionKind kind_ = SessionKind::background;
  std::string identifier_;
  std::uint64_t max_data_bytes_ = 64ull * 1024 * 1024;
  std::filesystem::path resume_dir_;
  std::shared_ptr<DelegateQueue> queue_;
  std::string download_redirects_ = "follow";
  SessionConfig session_;
  std::filesystem::path socket_;
  bool start_daemon_ = true;
};

}  // namespace ferry
