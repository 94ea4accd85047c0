#include "engine/transport_options.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/unique_fd.hpp"

namespace ferry::engine {

namespace {

// Opened, not just stat'ed: a file we may not read is as useless to curl as a missing one.
Result<void> checkReadable(const std::string& path, const char* what, std::string_view code) {
  if (path.empty()) return {};
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  int error = fd ? 0 : errno;
  struct stat st{};
  if (fd && ::fstat(fd.get(), &st) != 0) error = errno;
  if (error == 0 && !S_ISREG(st.st_mode)) error = EISDIR;
  if (error == 0) return {};
  const std::string reason = error == EISDIR ? "it is not a regular file" : std::strerror(error);
  return fail(code, std::string("The ") + what + " " + path + " cannot be read (" + reason +
                        "); name a readable PEM file in the session's transport settings.");
}

}  // namespace

Result<void> checkTransportFiles(const model::TransportSettings& transport, std::string_view code) {
  if (auto ok = checkReadable(transport.ca_file, "CA file", code); !ok) return ok;
  if (auto ok = checkReadable(transport.client_certificate, "client certificate", code); !ok) return ok;
  return checkReadable(transport.client_key, "client key", code);
}

CURLcode applyTransport(CURL* easy, const model::TransportSettings& transport, const std::filesystem::path& ca_bundle) {
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
  };
  if (transport.proxy == "direct") {
    // An empty CURLOPT_PROXY disables every proxy, the environment's included (curl reads
    // http_proxy & co. only while the option is unset); NOPROXY "*" says the same twice, so
    // that no later option can bring one back.
    set(CURLOPT_PROXY, "");
    set(CURLOPT_NOPROXY, "*");
  } else {
    if (!transport.proxy.empty()) set(CURLOPT_PROXY, transport.proxy.c_str());
    if (!transport.no_proxy.empty()) set(CURLOPT_NOPROXY, transport.no_proxy.c_str());
  }
  const std::string& ca = transport.ca_file.empty() ? ca_bundle.native() : transport.ca_file;
  if (!ca.empty()) set(CURLOPT_CAINFO, ca.c_str());
  if (!transport.client_certificate.empty()) {
    set(CURLOPT_SSLCERT, transport.client_certificate.c_str());
    set(CURLOPT_SSLCERTTYPE, "PEM");
    if (!transport.client_key.empty()) {
      set(CURLOPT_SSLKEY, transport.client_key.c_str());
      set(CURLOPT_SSLKEYTYPE, "PEM");
    }
  }
  // HTTP/2 only where ALPN can offer it (https); plain http stays HTTP/1.1 (no h2c upgrade).
  set(CURLOPT_HTTP_VERSION, transport.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
  return rc;
}

}  // namespace ferry::engine
