#include "config.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <stdexcept>

namespace vf {
namespace {

void splitListen(const std::string& listen, Config& config) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--listen wants HOST:PORT, got " + listen);
  config.listen_host = listen.substr(0, colon);
  int port = std::stoi(listen.substr(colon + 1));
  if (port < 0 || port > 65535) throw std::runtime_error("--listen port out of range: " + listen);
  config.listen_port = static_cast<std::uint16_t>(port);
}

}  // namespace

// The web page's files: the installed copy beside the program (<prefix>/share/videofarm-server/web
// for <prefix>/bin/videofarm-server), else the build tree's (a program run from build/bin).
std::filesystem::path defaultWebDir() {
  std::error_code ec;
  const auto program = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = program.parent_path().parent_path() / "share" / "videofarm-server" / "web";
    if (std::filesystem::is_regular_file(installed / "index.html", ec)) return installed;
  }
  return VF_DEFAULT_WEB_DIR;
}

Config parseCommandLine(int argc, char** argv) {
  Config config;
  CLI::App app{"VideoFarm server: the REST video library"};
  std::string listen = "127.0.0.1:8090";
  long read_ms = config.read_timeout.count();
  long write_ms = config.write_timeout.count();
  long expiry_s = config.upload_expiry.count();
  long sweep_s = config.upload_sweep.count();
  config.web_dir = defaultWebDir();

  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  app.add_option("--data-dir", config.data_dir, "Directory for the catalogue, movies and thumbnails")->required();
  app.add_option("--database", config.database,
                 "postgresql://... to keep the catalogue in PostgreSQL (default: SQLite in --data-dir)");
  app.add_option("--blob-store", config.blob_store,
                 "rados://POOL?conf=/etc/ceph/ceph.conf&id=CLIENT to keep movies and thumbnails in Ceph RADOS "
                 "(default: files in --data-dir)");
  app.add_option("--web-dir", config.web_dir, "Static files of the web page")->capture_default_str();
  app.add_option("--max-header-bytes", config.max_header_bytes, "Request header limit")->capture_default_str();
  app.add_option("--max-form-bytes", config.max_form_bytes, "POST /videos body limit")->capture_default_str();
  app.add_option("--max-field-bytes", config.max_field_bytes, "Form text field limit")->capture_default_str();
  app.add_option("--max-thumbnail-bytes", config.max_thumbnail_bytes, "Thumbnail limit")->capture_default_str();
  app.add_option("--max-parts", config.max_parts, "Form parts limit")->capture_default_str();
  app.add_option("--max-movie-bytes", config.max_movie_bytes, "Movie size limit")->capture_default_str();
  app.add_option("--max-connections", config.max_connections, "Concurrent connections")->capture_default_str();
  app.add_option("--io-threads", config.io_threads, "I/O threads (0: one per core)")
      ->check(CLI::Range(0u, 256u))
      ->capture_default_str();
  app.add_option("--read-timeout-ms", read_ms, "Idle limit of each read")->capture_default_str();
  app.add_option("--write-timeout-ms", write_ms, "Idle limit of each write")->capture_default_str();
  app.add_option("--upload-expiry-s", expiry_s, "Lifetime of unfinished resumable uploads")->capture_default_str();
  app.add_option("--upload-sweep-s", sweep_s, "How often expired uploads are removed (one instance at a time)")
      ->check(CLI::Range(1L, 86400L))
      ->capture_default_str();
  long lockout_s = config.login_lockout.count();
  app.add_flag("--open-registration", config.open_registration, "Anyone may create an account (POST /users)");
  app.add_flag("--private", config.private_library, "Reading the library needs a token too");
  app.add_flag("--open-writes", config.open_writes,
               "No accounts: anyone may add, change and delete any video (only for a trusted machine)");
  app.add_option("--create-user", config.create_user,
                 "Create an administrator NAME (password: one line on standard input) and exit");
  app.add_option("--login-max-failures", config.login_max_failures,
                 "Failed logins per account before a lockout (4x per address)")->capture_default_str();
  app.add_option("--login-lockout-s", lockout_s, "Lockout after too many failed logins")->capture_default_str();
  app.set_version_flag("--version", FERRY_VERSION);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  splitListen(listen, config);
  config.read_timeout = std::chrono::milliseconds(read_ms);
  config.write_timeout = std::chrono::milliseconds(write_ms);
  config.upload_expiry = std::chrono::seconds(expiry_s);
  config.upload_sweep = std::chrono::seconds(sweep_s);
  config.login_lockout = std::chrono::seconds(lockout_s);
  return config;
}

}  // namespace vf
