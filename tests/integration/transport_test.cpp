// A session's transport settings (model/transport.hpp) end to end, for background sessions
// (ferryd applies them) and default sessions (this process does): a private CA, a client
// certificate nginx requires, a forwarding proxy named by the session or by the environment, and
// what happens when they are wrong.

#include <gtest/gtest.h>

#include <cstdlib>

#include "harness.hpp"
#include "support/servers.hpp"
#include "support/test_pki.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// One download through `config`'s session, waited for; the delegate keeps the file in dir/keep.
struct Downloaded {
  std::optional<Completion> completion;
  std::optional<std::filesystem::path> file;
};

Downloaded downloadThrough(const Configuration& config, const std::string& url, const std::filesystem::path& keep) {
  std::filesystem::create_directories(keep);
  auto delegate = std::make_shared<RecordingDelegate>(keep);
  auto session = Session::create(config, delegate);
  EXPECT_TRUE(session) << session.error().describe();
  if (!session) return {};
  DownloadOptions options;
  options.start = true;
  auto task = (*session)->downloadTask(url, options);
  EXPECT_TRUE(task) << task.error().describe();
  if (!task || !delegate->waitForCompletion(task->identifier())) return {};
  return {delegate->completion(task->identifier()), delegate->kept(task->identifier())};
}

// A forwarding proxy (tests/servers/forward_proxy.py) logging "<METHOD> <target>" per request.
class ForwardProxy {
 public:
  explicit ForwardProxy(const TempDir& dir) : log_(dir / "proxy.log") {
    writeFile(log_, "");
    server_ = std::make_unique<PortProcess>(dir, "forward-proxy", [&](int port) {
      return std::vector<std::string>{python(), (sourceDir() / "tests/servers/forward_proxy.py").string(), "--port",
                                      std::to_string(port), "--log", log_.string()};
    });
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::string log() const { return readFile(log_); }

 private:
  std::filesystem::path log_;
  std::unique_ptr<PortProcess> server_;
};

class Transport : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "www");
    writeRandomFile(dir_ / "www/f.bin", 3 * MiB + 5, 21);
    expected_ = sha256File(dir_ / "www/f.bin");
  }
  // nginx serving www/ over http and over TLS on tls_port_ (requiring a client certificate or not).
  std::unique_ptr<NginxServer> startNginx(bool require_client_certificate) {
    tls_port_ = freePort();
    return std::make_unique<NginxServer>(
        NginxServer::Options{dir_ / "www", "", pki_.nginxTls(tls_port_, require_client_certificate)});
  }
  std::string tlsUrl(const std::string& path = "/f.bin") const {
    return "https://127.0.0.1:" + std::to_string(tls_port_) + path;
  }

  TempDir dir_;
  TestPki pki_{dir_ / "pki"};
  std::string expected_;
  int tls_port_ = 0;
};

// The cases both kinds of session must pass alike: a background session of a ferryd started on
// first use, or a default session.
class TransportBoth : public Transport, public ::testing::WithParamInterface<Kind> {
 protected:
  Configuration config(const std::string& name) {
    if (GetParam() == Kind::in_process) return Configuration::defaults().resumeDirectory(dir_ / "resume");
    if (!ferryd_) {
      ferryd_ = std::make_unique<Ferryd>(dir_.path());
      ferryd_->start();
    }
    return ferryd_->config(name);
  }
  std::unique_ptr<Ferryd> ferryd_;
};

TEST_F(Transport, FerryctlTakesTheCaFileAndTheCertificate) {
  auto nginx = startNginx(true);
  Ferryd ferryd(dir_.path());
  ferryd.start();
  auto out = dir_ / "ctl.bin";
  auto result = ferryd.ferryctl({"download", tlsUrl(), "-o", out.string(), "--ca-file", pki_.caFile().string(),
                                 "--cert", pki_.clientCertificate().string(), "--key", pki_.clientKey().string()});
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(sha256File(out), expected_);
}

TEST_F(Transport, DirectBypassesTheProxyOfFerrydsEnvironment) {
  std::filesystem::copy_file(dir_ / "www/f.bin", dir_ / "www/via-env.bin");
  std::filesystem::copy_file(dir_ / "www/f.bin", dir_ / "www/direct.bin");
  NginxServer nginx({dir_ / "www", "", ""});
  ForwardProxy proxy(dir_);
  Ferryd ferryd(dir_.path());
  ferryd.setEnvironment({{"http_proxy", proxy.url()}, {"no_proxy", ""}, {"NO_PROXY", ""}});
  ferryd.start();

  auto via_env = downloadThrough(ferryd.config("env"), nginx.url("/via-env.bin"), dir_ / "keep-env");
  ASSERT_TRUE(via_env.completion && via_env.completion->ok());
  auto direct_config = ferryd.config("direct");
  direct_config.proxy("direct");
  auto direct = downloadThrough(direct_config, nginx.url("/direct.bin"), dir_ / "keep-direct");
  ASSERT_TRUE(direct.completion && direct.completion->ok());
  EXPECT_EQ(sha256File(*direct.file), expected_);

  const auto log = proxy.log();
  EXPECT_NE(log.find("GET " + nginx.url("/via-env.bin")), std::string::npos) << log;
  EXPECT_EQ(log.find("direct.bin"), std::string::npos) << log;
  EXPECT_NE(nginx.accessLogOnceItHas("/direct.bin").find("200"), std::string::npos);
}

TEST_F(Transport, AProxyThatRefusesConnectionsIsATransientNetworkError) {
  NginxServer nginx({dir_ / "www", "", ""});
  Ferryd ferryd(dir_.path());
  ferryd.start();
  auto config = ferryd.config("refused");
  config.proxy("http://127.0.0.1:" + std::to_string(freePort()));  // nobody listens there
  auto session = Session::create(config, nullptr);
  ASSERT_TRUE(session) << session.error().describe();
  DownloadOptions options;
  options.start = true;
  auto task = (*session)->downloadTask(nginx.url("/f.bin"), options);
  ASSERT_TRUE(task);
  auto control = ferryd.control();
  ASSERT_TRUE(waitUntil([&] {
    auto tasks = control->list(std::string("refused"));
    return tasks && tasks->size() == 1 && (*tasks)[0].waiting_for.rfind("retry-backoff", 0) == 0;
  }));
  auto tasks = control->list(std::string("refused"));
  EXPECT_EQ((*tasks)[0].state, "running");
  EXPECT_NE(ferryd.log().find("failed (network:"), std::string::npos) << ferryd.log();
  EXPECT_TRUE(task->cancel());
}

TEST_P(TransportBoth, PrivateCaIsTrustedWithTheSessionsCaFileOnly) {
  auto nginx = startNginx(false);
  auto trusted = config("tls.trusting");
  trusted.caFile(pki_.caFile());
  auto ok = downloadThrough(trusted, tlsUrl(), dir_ / "keep-ok");
  ASSERT_TRUE(ok.completion && ok.completion->ok()) << (ok.completion && ok.completion->error ? ok.completion->error->describe() : "no completion");
  ASSERT_TRUE(ok.file);
  EXPECT_EQ(sha256File(*ok.file), expected_);

  // Without it: a permanent tls error that says what to do (not a retry until the resource timeout).
  auto bad = downloadThrough(config("tls.system"), tlsUrl(), dir_ / "keep-bad");
  ASSERT_TRUE(bad.completion && bad.completion->error);
  EXPECT_EQ(bad.completion->error->code, errc::tls) << bad.completion->error->describe();
  EXPECT_NE(bad.completion->error->message.find("not trusted"), std::string::npos) << bad.completion->error->message;
  EXPECT_NE(bad.completion->error->message.find("CA file"), std::string::npos) << bad.completion->error->message;
  if (ferryd_) {
    EXPECT_EQ(ferryd_->log().find("retrying"), std::string::npos) << ferryd_->log();
  }
}

TEST_P(TransportBoth, ClientCertificateThatTheServerRequires) {
  auto nginx = startNginx(true);
  auto with_cert = config("tls.cert");
  with_cert.caFile(pki_.caFile()).clientCertificate(pki_.clientCertificate(), pki_.clientKey());
  auto ok = downloadThrough(with_cert, tlsUrl(), dir_ / "keep-ok");
  ASSERT_TRUE(ok.completion && ok.completion->ok()) << (ok.completion && ok.completion->error ? ok.completion->error->describe() : "no completion");
  ASSERT_TRUE(ok.file);
  EXPECT_EQ(sha256File(*ok.file), expected_);

  auto without = config("tls.nocert");
  without.caFile(pki_.caFile());
  auto bad = downloadThrough(without, tlsUrl(), dir_ / "keep-bad");
  ASSERT_TRUE(bad.completion && bad.completion->error);
  EXPECT_EQ(bad.completion->error->code, errc::tls) << bad.completion->error->describe();
  EXPECT_NE(bad.completion->error->message.find("client certificate"), std::string::npos) << bad.completion->error->message;
}

TEST_P(TransportBoth, AMissingCaFileIsRefusedAtCreationAndDisturbsNoOtherSession) {
  auto nginx = NginxServer({dir_ / "www", "2m", ""});  // slow enough to be running meanwhile
  auto delegate = std::make_shared<RecordingDelegate>(dir_ / "keep");
  std::filesystem::create_directories(dir_ / "keep");
  auto other = Session::create(config("other"), delegate);
  ASSERT_TRUE(other);
  DownloadOptions options;
  options.start = true;
  auto task = (*other)->downloadTask(nginx.url("/f.bin"), options);
  ASSERT_TRUE(task);

  auto missing = config("tls.missing");
  missing.caFile(dir_ / "no-such-ca.pem");
  auto refused = Session::create(missing, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::invalid_argument) << refused.error().describe();
  EXPECT_NE(refused.error().message.find((dir_ / "no-such-ca.pem").string()), std::string::npos) << refused.error().message;
  auto bad_proxy = config("tls.badproxy");
  bad_proxy.proxy("ftp://127.0.0.1:21");
  auto refused_proxy = Session::create(bad_proxy, nullptr);
  ASSERT_FALSE(refused_proxy);
  EXPECT_EQ(refused_proxy.error().code, errc::invalid_argument) << refused_proxy.error().describe();
  EXPECT_NE(refused_proxy.error().message.find("not a proxy URL"), std::string::npos) << refused_proxy.error().message;

  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  EXPECT_TRUE(delegate->completion(task->identifier())->ok());
  EXPECT_EQ(sha256File(*delegate->kept(task->identifier())), expected_);
}

TEST_P(TransportBoth, ACaFileGoneLaterFailsTheTaskClearly) {
  auto nginx = startNginx(false);
  std::filesystem::copy_file(pki_.caFile(), dir_ / "ca-copy.pem");
  auto gone = config("tls.gone");
  gone.caFile(dir_ / "ca-copy.pem");
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(gone, delegate);
  ASSERT_TRUE(session) << session.error().describe();
  auto task = (*session)->downloadTask(tlsUrl());  // suspended
  ASSERT_TRUE(task);
  std::filesystem::remove(dir_ / "ca-copy.pem");
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  auto completion = delegate->completion(task->identifier());
  ASSERT_TRUE(completion->error);
  EXPECT_EQ(completion->error->code, errc::tls);
  EXPECT_NE(completion->error->message.find("ca-copy.pem cannot be read"), std::string::npos) << completion->error->message;
}

TEST_P(TransportBoth, TheSessionsProxySeesItsRequests) {
  auto nginx = startNginx(false);
  ForwardProxy proxy(dir_);
  auto proxied = config("proxied");
  proxied.proxy(proxy.url()).caFile(pki_.caFile());
  auto plain = downloadThrough(proxied, nginx->url("/f.bin"), dir_ / "keep-plain");
  ASSERT_TRUE(plain.completion && plain.completion->ok());
  EXPECT_EQ(sha256File(*plain.file), expected_);
  auto tls = downloadThrough(proxied, tlsUrl(), dir_ / "keep-tls");
  ASSERT_TRUE(tls.completion && tls.completion->ok());
  EXPECT_EQ(sha256File(*tls.file), expected_);
  const auto log = proxy.log();
  EXPECT_NE(log.find("GET " + nginx->url("/f.bin")), std::string::npos) << log;
  EXPECT_NE(log.find("CONNECT 127.0.0.1:" + std::to_string(tls_port_)), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(Kinds, TransportBoth, testing::Values(Kind::background, Kind::in_process), kindName);

// A default session reads the usual proxy variables of this process's environment, as curl
// does; "direct" ignores them.
TEST_F(Transport, DefaultSessionsFollowTheProxyEnvironmentAndDirectBypassesIt) {
  std::filesystem::copy_file(dir_ / "www/f.bin", dir_ / "www/via-env.bin");
  std::filesystem::copy_file(dir_ / "www/f.bin", dir_ / "www/direct.bin");
  NginxServer nginx({dir_ / "www", "", ""});
  ForwardProxy proxy(dir_);
  // This test's process alone (ctest runs each test in its own): put the environment back anyway.
  struct ProxyEnvironment {
    explicit ProxyEnvironment(const std::string& url) {
      ::setenv("http_proxy", url.c_str(), 1);
      ::unsetenv("no_proxy");
      ::unsetenv("NO_PROXY");
    }
    ~ProxyEnvironment() { ::unsetenv("http_proxy"); }
  } environment(proxy.url());

  auto via_env = downloadThrough(Configuration::defaults(), nginx.url("/via-env.bin"), dir_ / "keep-env");
  ASSERT_TRUE(via_env.completion && via_env.completion->ok());
  EXPECT_EQ(sha256File(*via_env.file), expected_);
  auto direct = downloadThrough(Configuration::defaults().proxy("direct"), nginx.url("/direct.bin"), dir_ / "keep-direct");
  ASSERT_TRUE(direct.completion && direct.completion->ok());
  EXPECT_EQ(sha256File(*direct.file), expected_);

  const auto log = proxy.log();
  EXPECT_NE(log.find("GET " + nginx.url("/via-env.bin")), std::string::npos) << log;
  EXPECT_EQ(log.find("direct.bin"), std::string::npos) << log;
}

}  // namespace
