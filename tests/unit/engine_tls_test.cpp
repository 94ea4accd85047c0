// HTTPS: certificate verification failures are permanent; a trusted server is used over HTTP/2.

#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

class EngineTls : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "www");
    ft::writeRandomFile(dir_ / "www/file.bin", 800 * 1000, 51);
    // Self-signed, valid for 127.0.0.1: trusted only when given as the engine's CA bundle.
    auto made = ft::runCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                                "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout",
                                (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string()});
    ASSERT_EQ(made.exit_code, 0);
    tls_port_ = ft::freePort();
    auto options = nginxOptions(dir_ / "www");
    options.extra_server_config = "    listen 127.0.0.1:" + std::to_string(tls_port_) + " ssl http2;\n" +
                                  "    ssl_certificate " + (dir_ / "cert.pem").string() + ";\n" +
                                  "    ssl_certificate_key " + (dir_ / "key.pem").string() + ";\n" +
                                  "    access_log " + (dir_ / "requests.log").string() + " combined;\n";
    nginx_ = std::make_unique<ft::NginxServer>(options);
    ASSERT_TRUE(ft::waitForPort(tls_port_));
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(tls_port_) + "/file.bin"; }

  ft::TempDir dir_{"ferry-engine"};
  EventRecorder events_;
  int tls_port_ = 0;
  std::unique_ptr<ft::NginxServer> nginx_;
};

TEST_F(EngineTls, UntrustedCertificateIsAPermanentTlsError) {
  Engine engine(events_.sink());
  engine.start(makeJob(1, url(), dir_ / "x.part"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::tls) << finished->error->describe();
  EXPECT_NE(finished->error->message.find("certificate"), std::string::npos) << finished->error->message;
  EXPECT_FALSE(finished->resumable);
  EXPECT_TRUE(events_.all<Retrying>(1).empty());
}

TEST_F(EngineTls, DownloadsAndResumesOverHttp2) {
  EngineOptions options;
  options.ca_bundle = dir_ / "cert.pem";
  Engine engine(events_.sink(), options);
  engine.start(makeJob(1, url(), dir_ / "whole.part"));
  auto whole = events_.waitFinished(1);
  ASSERT_TRUE(whole && !whole->error) << whole->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "whole.part"), ft::sha256File(dir_ / "www/file.bin"));
  ASSERT_FALSE(whole->validators.etag.empty());

  ft::writeFile(dir_ / "resumed.part", prefixOf(dir_ / "www/file.bin", 333333));
  auto job = makeJob(2, url(), dir_ / "resumed.part");
  job.resume_offset = 333333;
  job.validators = whole->validators;
  engine.start(job);
  auto resumed = events_.waitFinished(2);
  ASSERT_TRUE(resumed && !resumed->error) << resumed->error->describe();
  EXPECT_EQ(resumed->http_status, 206);
  EXPECT_EQ(events_.all<Responded>(2).at(0).offset, 333333u);
  EXPECT_EQ(ft::sha256File(dir_ / "resumed.part"), ft::sha256File(dir_ / "www/file.bin"));

  auto log = ft::readFile(dir_ / "requests.log");
  EXPECT_NE(log.find("\"GET /file.bin HTTP/2.0\" 206"), std::string::npos) << log;
}

}  // namespace
}  // namespace ferry::engine::test
