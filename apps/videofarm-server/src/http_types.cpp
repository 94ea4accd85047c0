#include "http_types.hpp"

#include <nlohmann/json.hpp>

namespace vf {

Response jsonResponse(http::status status, const std::string& json_text) {
  Response r;
  r.header.result(status);
  r.header.set(http::field::content_type, "application/json");
  r.header.set(http::field::cache_control, "no-store");
  r.body = json_text;
  return r;
}

Response errorResponse(const Problem& p) {
  Response r = jsonResponse(p.status, nlohmann::json{{"error", p.message}}.dump());
  for (const auto& h : p.headers) r.header.set(h.name, h.value);
  return r;
}

Response emptyResponse(http::status status) {
  Response r;
  r.header.result(status);
  return r;
}

Response interimResponse(unsigned code, std::string_view reason) {
  Response r;
  r.header.result(code);
  if (!reason.empty()) r.header.reason(reason);
  return r;
}

}  // namespace vf
