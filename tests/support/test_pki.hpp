#pragma once
// A private CA made with openssl for one test: a server certificate for 127.0.0.1 and a client
// certificate, both signed by it, and the nginx lines that serve TLS with them (optionally
// requiring a client certificate). Header-only: unit and integration tests use it.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace ferry::test {

class TestPki {
 public:
  explicit TestPki(const std::filesystem::path& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=Ferry Test CA", "-days", "2", "-keyout",
             path("ca.key"), "-out", path("ca.pem")});
    writeFile(dir_ / "server.ext", "subjectAltName=IP:127.0.0.1\n");
    signed_("server", "/CN=127.0.0.1", path("server.ext"));
    writeFile(dir_ / "client.ext", "extendedKeyUsage=clientAuth\n");
    signed_("client", "/CN=ferry test client", path("client.ext"));
  }

  std::filesystem::path caFile() const { return dir_ / "ca.pem"; }
  std::filesystem::path serverCertificate() const { return dir_ / "server.pem"; }
  std::filesystem::path serverKey() const { return dir_ / "server.key"; }
  std::filesystem::path clientCertificate() const { return dir_ / "client.pem"; }
  std::filesystem::path clientKey() const { return dir_ / "client.key"; }

  // NginxServer::Options::extra_server_config: TLS on `port` (HTTP/1.1 and, with `http2`, h2).
  // `require_client_certificate`: the handshake fails without a certificate our CA signed
  // (VerifyMode Require: plain `ssl_verify_client on` lets the handshake through and answers 400).
  std::string nginxTls(int port, bool require_client_certificate, bool http2 = false) const {
    std::string conf = "    listen 127.0.0.1:" + std::to_string(port) + " ssl" + (http2 ? " http2" : "") + ";\n" +
                       "    ssl_certificate " + serverCertificate().string() + ";\n" +
                       "    ssl_certificate_key " + serverKey().string() + ";\n";
    if (require_client_certificate)
      conf += "    ssl_verify_client on;\n    ssl_client_certificate " + caFile().string() +
              ";\n    ssl_conf_command VerifyMode Peer,Require;\n";
    return conf;
  }

 private:
  std::string path(const char* name) const { return (dir_ / name).string(); }
  void openssl(std::vector<std::string> args) const {
    args.insert(args.begin(), "openssl");
    auto result = runCommand(args);
    if (result.exit_code != 0) throw std::runtime_error("openssl failed: " + result.out);
  }
  void signed_(const std::string& name, const std::string& subject, const std::string& extensions) const {
    openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", path((name + ".key").c_str()), "-out",
             path((name + ".csr").c_str())});
    openssl({"x509", "-req", "-in", path((name + ".csr").c_str()), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
             "-CAcreateserial", "-days", "2", "-extfile", extensions, "-out", path((name + ".pem").c_str())});
  }
  std::filesystem::path dir_;
};

}  // namespace ferry::test
