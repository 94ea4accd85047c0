#pragma once
// A session's transport settings (model/transport.hpp) on the wire: the "transport" object of
// hello's configuration. The decoder checks the shape (absolute paths, a proxy URL of a scheme
// curl can use, or "direct"); ferryd checks that the files can be read when the session attaches.

#include "common/error.hpp"
#include "model/transport.hpp"
#include "protocol/messages.hpp"

namespace ferry::protocol {

// The proxy schemes a session may name (curl's proxy types).
inline constexpr std::string_view kProxySchemes[] = {"http", "https", "socks4", "socks4a", "socks5", "socks5h"};

Json transportToJson(const model::TransportSettings& transport);
// null or absent fields: the defaults. A bad value is invalid-argument naming the field.
Result<model::TransportSettings> transportFromJson(const Json& j);
// The decoder's check of the shape, for settings that never cross the wire (an in-process session's).
Result<void> checkTransportSettings(const model::TransportSettings& transport);

}  // namespace ferry::protocol
