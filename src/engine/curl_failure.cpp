// What a curl failure (no usable HTTP answer) means for the job: transient (retry after a
// back-off) or permanent, with a stable code and a sentence that says what to do.

#include <string>

#include "engine/attempt.hpp"

namespace ferry::engine {

namespace {

// A TLS alert from the server ("tlsv13 alert certificate required", "sslv3 alert handshake
// failure") can arrive after our side of the handshake is done, at the first read: curl then says
// CURLE_RECV_ERROR, which would otherwise be retried as a network failure for days.
bool isTlsAlert(const std::string& detail) {
  return detail.find("SSL routines") != std::string::npos && detail.find(" alert ") != std::string::npos;
}

AttemptOutcome tlsFailure(CURLcode code, const std::string& what, const std::string& url) {
  const std::string because = " (" + what + ")";
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
      return permanent(errc::tls, "The server's certificate for " + url + " is not trusted" + because +
                                      ". If the server uses a private CA, name that CA's certificate as the session's "
                                      "CA file (caFile, ferryctl --ca-file); otherwise check the server's certificate.");
    case CURLE_SSL_CERTPROBLEM:
      return permanent(errc::tls, "The client certificate or key for " + url + " could not be used" + because +
                                      ". Name PEM files of a certificate and its own key as the session's client "
                                      "certificate (clientCertificate, ferryctl --cert/--key).");
    case CURLE_SSL_CACERT_BADFILE:
      return permanent(errc::tls, "The CA file for " + url + " could not be used" + because +
                                      ". Name a PEM file of CA certificates as the session's CA file (caFile, "
                                      "ferryctl --ca-file).");
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return permanent(errc::tls, "The server refused the secure connection for " + url + because +
                                      ". If it requires a client certificate, set the session's client certificate "
                                      "and key (clientCertificate, ferryctl --cert/--key); otherwise check the "
                                      "server's TLS settings.");
    default:
      return permanent(errc::tls, "The secure connection for " + url + " failed" + because +
                                      ". Check the server's certificate and the session's CA file.");
  }
}

}  // namespace

AttemptOutcome classifyCurlFailure(CURLcode code, const std::string& detail, const std::string& url,
                                   std::chrono::seconds stall_timeout) {
  const std::string what = detail.empty() ? curl_easy_strerror(code) : detail;
  if ((code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR) && isTlsAlert(what)) return tlsFailure(code, what, url);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
      return transient(errc::network, "The transfer of " + url + " failed: " + what +
                                          ". Check the network connection, or the server if this persists.");
    case CURLE_OPERATION_TIMEDOUT:
      return transient(errc::timeout, "The transfer of " + url + " stalled (" + what + "; no data for " +
                                          std::to_string(stall_timeout.count()) +
                                          " s). Check the network connection, or the server if this persists.");
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return tlsFailure(code, what, url);
    case CURLE_URL_MALFORMAT:
      return permanent(errc::bad_url, "The URL " + url + " (or a redirect from it) is not valid: " + what + ".");
    case CURLE_UNSUPPORTED_PROTOCOL:
      return permanent(errc::unsupported_scheme, "The transfer of " + url +
                                                     " needs a protocol other than http or https (" + what +
                                                     "); Ferry only follows http:// and https:// URLs.");
    case CURLE_TOO_MANY_REDIRECTS:
      return permanent(errc::protocol, "The server redirected " + url +
                                           " too many times (more than 10); check the URL.");
    default:
      return permanent(errc::protocol, "The transfer of " + url + " failed: " + what + ".");
  }
}

}  // namespace ferry::engine
