#include "support/fixtures.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ferry::test {

std::filesystem::path binDir() {
  if (const char* e = std::getenv("FERRY_TEST_BIN_DIR")) return e;
  return FERRY_TEST_BIN_DIR;
}
std::filesystem::path sourceDir() { return FERRY_TEST_SOURCE_DIR; }

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (std::getenv("FERRY_KEEP_TEMP") != nullptr) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void writeRandomFile(const std::filesystem::path& path, std::uint64_t size, std::uint64_t seed) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path.string());
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> block(1 << 16);
  std::uint64_t left = size;
  while (left > 0) {
    for (auto& w : block) w = rng();
    std::uint64_t n = std::min<std::uint64_t>(left, block.size() * sizeof(std::uint64_t));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
  if (!out) throw std::runtime_error("short write to " + path.string());
}

namespace {
std::string hexDigest(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}
}  // namespace

std::string sha256File(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "missing:" + path.string();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  std::string out = hexDigest(ctx);
  EVP_MD_CTX_free(ctx);
  return out;
}

std::string sha256Bytes(const std::string& bytes) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
  std::string out = hexDigest(ctx);
  EVP_MD_CTX_free(ctx);
  return out;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int countLinesStartingWith(const std::string& text, const std::string& prefix) {
  int n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) n += line.rfind(prefix, 0) == 0;
  return n;
}

void writeFile(const std::filesystem::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

void copyWithItsTime(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::create_directories(to.parent_path());
  std::filesystem::copy_file(from, to);
  std::filesystem::last_write_time(to, std::filesystem::last_write_time(from));
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool waitForPort(int port, std::chrono::milliseconds timeout) {
  return waitUntil(
      [port] {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port));
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        return ok;
      },
      timeout);
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

NginxServer::NginxServer(Options options) : dir_("ferry-nginx") {
  port_ = freePort();
  std::filesystem::create_directories(dir_.path() / "logs");
  std::ostringstream conf;
  conf << "worker_processes 1;\n"
       << "daemon off;\n"
       << "master_process off;\n"
       << "pid " << (dir_.path() / "nginx.pid").string() << ";\n"
       << "error_log " << (dir_.path() / "logs/error.log").string() << " info;\n"
       << "events { worker_connections 1024; }\n"
       << "http {\n"
       << "  types { application/octet-stream bin; text/plain txt; video/mp4 mp4; }\n"
       << "  default_type application/octet-stream;\n"
       << "  log_format ranges '$status $http_range $request_uri';\n"
       << "  access_log " << (dir_.path() / "logs/access.log").string() << " ranges;\n"
       << "  log_format timed '$msec $request_time $status $body_bytes_sent $http_range';\n"
       << "  access_log " << (dir_.path() / "logs/timed.log").string() << " timed;\n"
       << "  client_body_temp_path " << (dir_.path() / "body").string() << ";\n"
       << "  proxy_temp_path " << (dir_.path() / "proxy").string() << ";\n"
       << "  fastcgi_temp_path " << (dir_.path() / "fastcgi").string() << ";\n"
       << "  uwsgi_temp_path " << (dir_.path() / "uwsgi").string() << ";\n"
       << "  scgi_temp_path " << (dir_.path() / "scgi").string() << ";\n"
       << "  sendfile on;\n"
       << "  server {\n"
       << "    listen 127.0.0.1:" << port_ << ";\n"
       << "    root " << options.root.string() << ";\n";
  if (!options.limit_rate.empty()) conf << "    limit_rate " << options.limit_rate << ";\n";
  conf << options.extra_server_config << "\n"
       << "  }\n"
       << "}\n";
  writeFile(dir_.path() / "nginx.conf", conf.str());
  process_ = std::make_unique<Process>(Process::Options{
      {std::filesystem::exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx", "-p", dir_.path().string(), "-c", (dir_.path() / "nginx.conf").string()},
      {},
      dir_.path() / "logs/stdout.log",
      {},
      std::nullopt});
  if (!waitForPort(port_)) {
    throw std::runtime_error("nginx did not start: " + readFile(dir_.path() / "logs/error.log") +
                             readFile(dir_.path() / "logs/stdout.log"));
  }
}

NginxServer::~NginxServer() = default;

std::string NginxServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string randomBytes(std::size_t n, unsigned seed) {
  std::string out(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

std::string NginxServer::accessLog() const { return readFile(dir_.path() / "logs/access.log"); }

std::uint64_t NginxServer::bodyBytesSent() const {
  std::istringstream in(readFile(dir_.path() / "logs/timed.log"));
  std::uint64_t sum = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    double end = 0, took = 0;
    int status = 0;
    std::uint64_t bytes = 0;
    if (fields >> end >> took >> status >> bytes) sum += bytes;
  }
  return sum;
}

int NginxServer::mostRequestsAtOnce() const {
  // Each line: the end of a request (unix seconds) and how long it took; the most intervals that
  // overlap at any moment.
  std::istringstream in(readFile(dir_.path() / "logs/timed.log"));
  std::vector<std::pair<double, int>> edges;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    double end = 0, took = 0;
    if (!(fields >> end >> took)) continue;
    edges.push_back({end - took, +1});
    edges.push_back({end, -1});
  }
  std::sort(edges.begin(), edges.end());  // an end before a start at the same moment
  int now = 0, most = 0;
  for (const auto& [at, change] : edges) most = std::max(most, now += change);
  return most;
}

std::string NginxServer::accessLogOnceItHas(std::string_view needle) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string log = accessLog();
  while (log.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log = accessLog();
  }
  return log;
}

}  // namespace ferry::test
