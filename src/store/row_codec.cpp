#include "store/row_codec.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace ferry::store {
namespace {

using Json = nlohmann::json;

Error damaged(std::string_view what) {
  return Error(errc::internal, "a stored " + std::string(what) +
                                   " is damaged (the state directory was changed by something other than ferryd); "
                                   "cancel the task or remove the state directory");
}

// Reads of a stored object: a missing field takes its default, a field of the wrong type is damage.
class StoredFields {
 public:
  explicit StoredFields(const Json& object) : object_(object) {}
  bool ok() const { return ok_; }

  template <class T>
  T get(const char* field, T fallback) {
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return fallback;
    if (!matches<T>(*it)) {
      ok_ = false;
      return fallback;
    }
    return it->get<T>();
  }

  const Json* object(const char* field) {
    auto it = object_.find(field);
    if (it == object_.end()) return nullptr;
    if (!it->is_object()) ok_ = false;
    return it->is_object() ? &*it : nullptr;
  }

 private:
  template <class T>
  static bool matches(const Json& j) {
    if constexpr (std::is_same_v<T, bool>) return j.is_boolean();
    else if constexpr (std::is_same_v<T, std::string>) return j.is_string();
    else if constexpr (std::is_same_v<T, double>) return j.is_number();
    else if constexpr (std::is_unsigned_v<T>) return j.is_number_unsigned();
    else return j.is_number_integer();
  }

  const Json& object_;
  bool ok_ = true;
};

Json parseObject(std::string_view text) {
  auto j = Json::parse(text, nullptr, false);
  return j.is_object() ? j : Json();
}

Json requestToStored(const model::HttpRequest& request) {
  Json headers = Json::array();
  for (const auto& h : request.headers) headers.push_back(Json::array({h.name, h.value}));
  Json j{{"url", request.url},
         {"method", request.method},
         {"headers", headers},
         {"stall_timeout", request.stall_timeout.count()},
         {"connect_timeout", request.connect_timeout.count()}};
  // Only when set, so that other rows stay as 0.1.0 wrote them (no schema change).
  if (!request.expected_digest.empty()) j["expected_digest"] = request.expected_digest;
  if (request.connections != 1) j["connections"] = request.connections;
  if (!request.mirrors.empty()) j["mirrors"] = request.mirrors.items();
  return j;
}

Json schedulingToStored(const model::Scheduling& s) {
  Json j{{"priority", s.priority}, {"discretionary", s.discretionary}};
  if (s.begin_at) j["begin_at"] = std::chrono::duration_cast<std::chrono::seconds>(s.begin_at->time_since_epoch()).count();
  // What the task asks of the machine: only when not the defaults, so that other rows stay as
  // 0.1.0 wrote them.
  if (!s.allows_expensive_network) j["allows_expensive_network_access"] = false;
  if (!s.allows_constrained_network) j["allows_constrained_network_access"] = false;
  if (s.requires_external_power) j["requires_external_power"] = true;
  return j;
}

Json uploadToStored(const StoredUpload& u) {
  return {{"body", u.body.string()},
          {"spooled", u.spooled},
          {"identity", {{"size", u.identity.size}, {"mtime_ns", u.identity.mtime_ns}, {"device", u.identity.device}, {"inode", u.identity.inode}}},
          {"resumable", model::resumableModeName(u.mode)},
          {"redirects", model::redirectPolicyName(u.redirects)},
          {"upload_url", u.upload_url},
          {"confirmed_offset", u.confirmed_offset},
          {"stream", u.stream},
          {"stream_length", u.stream_length ? Json(*u.stream_length) : Json(nullptr)}};
}

bool readHeaders(const Json& j, std::vector<model::Header>& out) {
  auto it = j.find("headers");
  if (it == j.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& pair : *it) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) return false;
    out.push_back({pair[0].get<std::string>(), pair[1].get<std::string>()});
  }
  return true;
}

bool readMirrors(const Json& j, model::UrlList& out) {
  auto it = j.find("mirrors");
  if (it == j.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& url : *it) {
    if (!url.is_string()) return false;
    out.push_back(url.get<std::string>());
  }
  return true;
}

Result<StoredUpload> uploadFromStored(const Json& j) {
  if (!j.is_object() || !j.contains("body") || !j["body"].is_string() || !j.contains("identity"))
    return tl::unexpected(damaged("upload description"));
  StoredFields f(j);
  StoredUpload u;
  u.body = f.get<std::string>("body", "");
  u.spooled = f.get("spooled", false);
  if (const auto* id = f.object("identity")) {
    StoredFields i(*id);
    u.identity = {i.get<std::uint64_t>("size", 0), i.get<std::int64_t>("mtime_ns", 0), i.get<std::uint64_t>("device", 0),
                  i.get<std::uint64_t>("inode", 0)};
    if (!i.ok()) return tl::unexpected(damaged("upload description"));
  }
  auto mode = model::resumableModeFromName(f.get<std::string>("resumable", "ietf"));
  auto redirects = model::redirectPolicyFromName(f.get<std::string>("redirects", "follow"));
  u.upload_url = f.get<std::string>("upload_url", "");
  u.confirmed_offset = f.get<std::uint64_t>("confirmed_offset", 0);
  u.stream = f.get("stream", false);
  if (j.contains("stream_length") && !j["stream_length"].is_null()) u.stream_length = f.get<std::uint64_t>("stream_length", 0);
  if (!mode || !redirects || !f.ok()) return tl::unexpected(damaged("upload description"));
  u.mode = *mode;
  u.redirects = *redirects;
  return u;
}

}  // namespace

std::string encodeRequest(const StoredRequest& stored) {
  Json j = requestToStored(stored.request);
  j["schedule"] = schedulingToStored(stored.scheduling);
  if (stored.upload) j["upload"] = uploadToStored(*stored.upload);
  return j.dump();
}

Result<StoredRequest> decodeRequest(std::string_view json) {
  const Json j = parseObject(json);
  if (!j.is_object()) return tl::unexpected(damaged("request"));
  StoredFields f(j);
  StoredRequest stored;
  auto& r = stored.request;
  r.url = f.get<std::string>("url", "");
  r.method = f.get<std::string>("method", "GET");
  r.stall_timeout = std::chrono::seconds(f.get<std::int64_t>("stall_timeout", r.stall_timeout.count()));
  r.connect_timeout = std::chrono::seconds(f.get<std::int64_t>("connect_timeout", r.connect_timeout.count()));
  r.expected_digest = f.get<std::string>("expected_digest", "");
  r.connections = static_cast<int>(std::clamp<std::int64_t>(f.get<std::int64_t>("connections", 1), 1,
                                                            model::HttpRequest::kMaxConnections));
  if (r.url.empty() || !readHeaders(j, r.headers) || !readMirrors(j, r.mirrors) || !f.ok())
    return tl::unexpected(damaged("request"));
  if (const auto* schedule = f.object("schedule")) {
    StoredFields s(*schedule);
    stored.scheduling.priority = s.get("priority", 0.5);
    stored.scheduling.discretionary = s.get("discretionary", false);
    stored.scheduling.allows_expensive_network = s.get("allows_expensive_network_access", true);
    stored.scheduling.allows_constrained_network = s.get("allows_constrained_network_access", true);
    stored.scheduling.requires_external_power = s.get("requires_external_power", false);
    if (schedule->contains("begin_at") && !(*schedule)["begin_at"].is_null())
      stored.scheduling.begin_at = std::chrono::system_clock::time_point(std::chrono::seconds(s.get<std::int64_t>("begin_at", 0)));
    if (!s.ok()) return tl::unexpected(damaged("schedule"));
  }
  if (!f.ok()) return tl::unexpected(damaged("request"));
  if (j.contains("upload")) {
    auto upload = uploadFromStored(j["upload"]);
    if (!upload) return tl::unexpected(upload.error());
    stored.upload = std::move(*upload);
  }
  return stored;
}

std::string encodeUpload(const StoredUpload& upload) { return uploadToStored(upload).dump(); }

Result<StoredUpload> decodeUpload(std::string_view json) { return uploadFromStored(parseObject(json)); }

namespace {

Json launchToStored(const model::LaunchCommand& l) {
  return Json{{"argv", l.argv},
              {"working_directory", l.working_directory},
              {"environment", l.environment},
              {"min_interval", l.min_interval.count()},
              {"refresh_interval", l.refresh_interval.count()}};
}

bool readStrings(const Json& j, const char* field, std::vector<std::string>& out) {
  auto it = j.find(field);
  if (it == j.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& item : *it) {
    if (!item.is_string()) return false;
    out.push_back(item.get<std::string>());
  }
  return true;
}

Result<model::LaunchCommand> launchFromStored(const Json& j) {
  StoredFields f(j);
  model::LaunchCommand l;
  l.working_directory = f.get<std::string>("working_directory", "");
  l.min_interval = std::chrono::seconds(f.get<std::int64_t>("min_interval", l.min_interval.count()));
  l.refresh_interval = std::chrono::seconds(f.get<std::int64_t>("refresh_interval", 0));
  if (!readStrings(j, "argv", l.argv) || !readStrings(j, "environment", l.environment) || !f.ok() || l.argv.empty())
    return tl::unexpected(damaged("launch command"));
  return l;
}

// A session's transport settings, stored only when they are not the defaults: rows of sessions
// without any stay byte for byte what 0.1.0 wrote, and 0.1.0's rows decode to the defaults.
Json transportToStored(const model::TransportSettings& t) {
  return Json{{"proxy", t.proxy},
              {"no_proxy", t.no_proxy},
              {"ca_file", t.ca_file},
              {"client_certificate", t.client_certificate},
              {"client_key", t.client_key},
              {"http2", t.http2}};
}

Result<model::TransportSettings> transportFromStored(const Json& j) {
  StoredFields f(j);
  model::TransportSettings t;
  t.proxy = f.get<std::string>("proxy", "");
  t.no_proxy = f.get<std::string>("no_proxy", "");
  t.ca_file = f.get<std::string>("ca_file", "");
  t.client_certificate = f.get<std::string>("client_certificate", "");
  t.client_key = f.get<std::string>("client_key", "");
  t.http2 = f.get("http2", t.http2);
  if (!f.ok()) return tl::unexpected(damaged("session's transport settings"));
  return t;
}

}  // namespace

std::string encodeSession(const StoredSession& session) {
  const auto& c = session.config;
  Json j{{"max_concurrent", c.max_concurrent},
         {"max_per_host", c.max_per_host},
         {"resource_timeout", c.resource_timeout.count()},
         {"max_bytes_per_second", c.max_bytes_per_second}};
  if (c.launch) j["launch"] = launchToStored(*c.launch);
  if (c.transport != model::TransportSettings{}) j["transport"] = transportToStored(c.transport);
  // Stored only when not the defaults, like the transport settings.
  if (!c.allows_expensive_network_access) j["allows_expensive_network_access"] = false;
  if (!c.allows_constrained_network_access) j["allows_constrained_network_access"] = false;
  if (session.invalidating) j["invalidating"] = true;
  return j.dump();
}

Result<StoredSession> decodeSession(std::string_view json) {
  const Json j = parseObject(json);
  if (!j.is_object()) return tl::unexpected(damaged("session configuration"));
  StoredFields f(j);
  StoredSession session;
  auto& c = session.config;
  c.max_concurrent = static_cast<int>(f.get<std::int64_t>("max_concurrent", c.max_concurrent));
  c.max_per_host = static_cast<int>(f.get<std::int64_t>("max_per_host", c.max_per_host));
  c.resource_timeout = std::chrono::seconds(f.get<std::int64_t>("resource_timeout", c.resource_timeout.count()));
  c.max_bytes_per_second = f.get<std::uint64_t>("max_bytes_per_second", 0);
  session.invalidating = f.get("invalidating", false);
  c.allows_expensive_network_access = f.get("allows_expensive_network_access", true);
  c.allows_constrained_network_access = f.get("allows_constrained_network_access", true);
  if (const auto* launch = f.object("launch")) {
    auto decoded = launchFromStored(*launch);
    if (!decoded) return tl::unexpected(decoded.error());
    c.launch = std::move(*decoded);
  }
  if (const auto* transport = f.object("transport")) {
    auto decoded = transportFromStored(*transport);
    if (!decoded) return tl::unexpected(decoded.error());
    c.transport = std::move(*decoded);
  }
  if (!f.ok() || c.max_concurrent < 1 || c.max_per_host < 1) return tl::unexpected(damaged("session configuration"));
  return session;
}

}  // namespace ferry::store
