#include "protocol/transport_settings.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "protocol/field_reader.hpp"

namespace ferry::protocol {

namespace {

constexpr std::size_t kMaxTransportText = 4096;

bool hasControlCharacter(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

Error transportError(const std::string& why) { return Error(errc::invalid_argument, "transport settings: " + why); }

Result<void> checkProxy(const std::string& proxy) {
  if (proxy.empty() || proxy == "direct") return {};
  if (proxy.size() > kMaxTransportText || hasControlCharacter(proxy) || proxy.find(' ') != std::string::npos)
    return tl::unexpected(transportError("the proxy is longer than 4096 bytes or contains a space or control character"));
  const auto separator = proxy.find("://");
  std::string scheme = proxy.substr(0, separator == std::string::npos ? 0 : separator);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool known = std::find(std::begin(kProxySchemes), std::end(kProxySchemes), scheme) != std::end(kProxySchemes);
  const bool has_host = separator != std::string::npos && separator + 3 < proxy.size() && proxy[separator + 3] != '/';
  if (!known || !has_host)
    return tl::unexpected(transportError("the proxy \"" + proxy.substr(0, 256) +
                                         "\" is not a proxy URL: give scheme://host:port with scheme http, https, "
                                         "socks4, socks4a, socks5 or socks5h, or \"direct\" for no proxy"));
  return {};
}

Result<void> checkPath(const std::string& path, const char* field) {
  if (path.empty()) return {};
  if (path.front() != '/' || path.size() > kMaxTransportText || path.find('\0') != std::string::npos)
    return tl::unexpected(transportError(std::string(field) + " \"" + path.substr(0, 256) +
                                         "\" must be an absolute path (ferryd does not share your working directory)"));
  return {};
}

Result<model::TransportSettings> checked(model::TransportSettings t) {
  if (auto ok = checkProxy(t.proxy); !ok) return tl::unexpected(ok.error());
  if (t.no_proxy.size() > kMaxTransportText || hasControlCharacter(t.no_proxy))
    return tl::unexpected(transportError("no_proxy is longer than 4096 bytes or contains a control character"));
  for (const auto& [path, field] : {std::pair{&t.ca_file, "ca_file"}, std::pair{&t.client_certificate, "client_certificate"},
                                    std::pair{&t.client_key, "client_key"}})
    if (auto ok = checkPath(*path, field); !ok) return tl::unexpected(ok.error());
  if (!t.client_key.empty() && t.client_certificate.empty())
    return tl::unexpected(transportError("client_key needs a client_certificate to go with it"));
  return t;
}

}  // namespace

Result<void> checkTransportSettings(const model::TransportSettings& transport) {
  auto ok = checked(transport);
  if (!ok) return tl::unexpected(ok.error());
  return {};
}

Json transportToJson(const model::TransportSettings& t) {
  return Json{{"proxy", t.proxy},
              {"no_proxy", t.no_proxy},
              {"ca_file", t.ca_file},
              {"client_certificate", t.client_certificate},
              {"client_key", t.client_key},
              {"http2", t.http2}};
}

Result<model::TransportSettings> transportFromJson(const Json& j) {
  model::TransportSettings t;
  if (j.is_null()) return t;
  if (!j.is_object()) return tl::unexpected(transportError("transport must be a JSON object"));
  FieldReader in(j, "transport");
  t.proxy = in.string("proxy");
  t.no_proxy = in.string("no_proxy");
  t.ca_file = in.string("ca_file");
  t.client_certificate = in.string("client_certificate");
  t.client_key = in.string("client_key");
  t.http2 = in.boolean("http2", t.http2);
  auto read = in.finish(std::move(t));
  if (!read) return read;
  return checked(std::move(*read));
}

}  // namespace ferry::protocol
