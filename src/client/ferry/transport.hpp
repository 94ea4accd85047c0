#pragma once
// How a session's transfers reach servers: proxy, TLS trust and identity, HTTP version. One value
// per session (background: ferryd keeps it with the session's row; in-process: the Configuration),
// copied into every job the session starts, and applied by the engine to each attempt. Set it
// through Configuration (ferry/configuration.hpp); the model names it model::TransportSettings.

#include <string>

namespace ferry {

struct TransportSettings {
  // Empty: the environment decides, as curl does (http_proxy, https_proxy, all_proxy, no_proxy).
  // "direct": never a proxy, whatever the environment says. Otherwise a proxy URL
  // (http://host:port, socks5h://host:port).
  std::string proxy;
  // Hosts that bypass `proxy` (curl's no_proxy syntax: comma-separated names, ".domain", "*").
  // Empty: the environment's no_proxy, if any.
  std::string no_proxy;
  std::string ca_file;             // PEM bundle to trust instead of the system's; empty: system CAs
  std::string client_certificate;  // PEM client certificate (TLS client authentication); empty: none
  std::string client_key;          // its PEM private key; empty: the key is in client_certificate
  bool http2 = true;               // offer HTTP/2 over TLS (ALPN); false: HTTP/1.1 only
  bool operator==(const TransportSettings&) const = default;
};

}  // namespace ferry
