#include "protocol/messages.hpp"

#include <algorithm>
#include <cctype>

#include "common/digest.hpp"
#include "protocol/field_reader.hpp"
#include "protocol/task_metrics.hpp"
#include "protocol/transport_settings.hpp"

namespace ferry::protocol {

Result<Json> parseLine(std::string_view line, std::size_t max_bytes) {
  if (line.size() > max_bytes) return fail(errc::protocol, "message longer than " + std::to_string(max_bytes) + " bytes");
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(errc::protocol, "message is not valid JSON");
  if (!j.is_object()) return fail(errc::protocol, "message is not a JSON object");
  auto t = j.find("type");
  if (t == j.end() || !t->is_string()) return fail(errc::protocol, "message has no string \"type\"");
  return j;
}

std::string toLine(const Json& message) {
  // Replacement of invalid UTF-8 keeps a bad path or header from throwing in the sender.
  return message.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json errorJson(const Error& error) { return Json{{"code", error.code}, {"message", error.message}}; }

Error errorFromJson(const Json& j) {
  FieldReader in(j, "error");
  Error e(in.string("code", std::string(errc::internal)), in.string("message", "unknown error"));
  if (!in.ok()) return Error(errc::protocol, "malformed error object: " + in.finish(0).error().message);
  return e;
}

Json requestToJson(const model::HttpRequest& request) {
  Json headers = Json::array();
  for (const auto& h : request.headers) headers.push_back(Json::array({h.name, h.value}));
  Json j{{"url", request.url},
         {"method", request.method},
         {"headers", headers},
         {"stall_timeout", request.stall_timeout.count()},
         {"connect_timeout", request.connect_timeout.count()}};
  if (!request.expected_digest.empty()) j["expected_digest"] = request.expected_digest;
  if (request.connections != 1) j["connections"] = request.connections;
  if (!request.mirrors.empty()) j["mirrors"] = request.mirrors.items();
  return j;
}

namespace {
bool isToken(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}
bool hasLineBreak(const std::string& s) { return s.find_first_of("\r\n", 0) != std::string::npos || s.find('\0') != std::string::npos; }

Result<std::chrono::seconds> positiveSeconds(FieldReader& in, const char* field, std::chrono::seconds fallback) {
  const Json* v = in.value(field);
  if (!v) return fallback;
  if (!v->is_number_integer() || v->get<long long>() <= 0 || v->get<long long>() > 86400 * 30)
    return fail(errc::invalid_argument, std::string(field) + " must be a whole number of seconds between 1 and 2592000");
  return std::chrono::seconds(v->get<long long>());
}
}  // namespace

Result<model::HttpRequest> requestFromJson(const Json& j) {
  if (!j.is_object()) return fail(errc::invalid_argument, "request must be a JSON object");
  FieldReader in(j, "request");
  model::HttpRequest r;
  const Json* url = in.value("url");
  if (!url || !url->is_string() || url->get_ref<const std::string&>().empty())
    return fail(errc::bad_url, "the request has no URL; give an http:// or https:// URL");
  r.url = url->get<std::string>();
  if (r.url.size() > 8192) return fail(errc::bad_url, "the URL is longer than 8192 bytes");
  if (hasLineBreak(r.url)) return fail(errc::bad_url, "the URL contains a line break or NUL byte");
  r.method = in.string("method", "GET");
  if (!in.ok()) return in.finish(std::move(r));
  if (!isToken(r.method)) return fail(errc::invalid_argument, "the method \"" + r.method + "\" is not an HTTP token");
  if (const Json* h = in.value("headers")) {
    if (!h->is_array() || h->size() > 100) return fail(errc::invalid_argument, "headers must be a list of at most 100 [name, value] pairs");
    for (const auto& pair : *h) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
        return fail(errc::invalid_argument, "each header must be a [name, value] pair of strings");
      model::Header header{pair[0].get<std::string>(), pair[1].get<std::string>()};
      if (!isToken(header.name)) return fail(errc::invalid_argument, "header name \"" + header.name + "\" is not an HTTP token");
      if (hasLineBreak(header.value) || header.value.size() > 8192)
        return fail(errc::invalid_argument, "header " + header.name + " has a line break or is longer than 8192 bytes");
      r.headers.push_back(std::move(header));
    }
  }
  auto stall = positiveSeconds(in, "stall_timeout", r.stall_timeout);
  if (!stall) return tl::unexpected(stall.error());
  r.stall_timeout = *stall;
  auto connect = positiveSeconds(in, "connect_timeout", r.connect_timeout);
  if (!connect) return tl::unexpected(connect.error());
  r.connect_timeout = *connect;
  const std::string digest = in.string("expected_digest", "");
  if (!in.ok()) return in.finish(std::move(r));
  if (!digest.empty()) {
    auto parsed = parseExpectedDigest(digest);  // invalid-argument, showing the accepted forms
    if (!parsed) return tl::unexpected(parsed.error());
    r.expected_digest = parsed->text();
  }
  if (const Json* c = in.value("connections")) {
    if (!c->is_number_integer() || c->get<long long>() < 1 || c->get<long long>() > model::HttpRequest::kMaxConnections)
      return fail(errc::invalid_argument, "connections must be a whole number from 1 to " +
                                              std::to_string(model::HttpRequest::kMaxConnections));
    r.connections = static_cast<int>(c->get<long long>());
  }
  if (const Json* m = in.value("mirrors")) {
    if (!m->is_array() || m->size() > model::HttpRequest::kMaxMirrors)
      return fail(errc::invalid_argument, "mirrors must be a list of at most " +
                                              std::to_string(model::HttpRequest::kMaxMirrors) + " URLs");
    for (const auto& mirror : *m) {
      if (!mirror.is_string() || mirror.get_ref<const std::string&>().empty())
        return fail(errc::bad_url, "each mirror must be an http:// or https:// URL");
      const auto& url = mirror.get_ref<const std::string&>();
      if (url.size() > 8192 || hasLineBreak(url))
        return fail(errc::bad_url, "the mirror URL " + url.substr(0, 200) + " is longer than 8192 bytes or has a line break");
      r.mirrors.push_back(url);
    }
  }
  return r;
}

Json taskInfoToJson(const TaskInfo& info) {
  Json j{{"id", info.id},
         {"session", info.session},
         {"kind", info.kind},
         {"state", info.state},
         {"waiting_for", info.waiting_for},
         {"url", info.url},
         {"destination", info.destination},
         {"description", info.description},
         {"bytes_written", info.bytes_written},
         {"http_status", info.http_status},
         {"suspend_count", info.suspend_count},
         {"created_at", info.created_at}};
  j["expected_total"] = info.expected_total ? Json(*info.expected_total) : Json(nullptr);
  j["priority"] = info.priority;
  j["discretionary"] = info.discretionary;
  j["begin_at"] = info.begin_at ? Json(*info.begin_at) : Json(nullptr);
  j["allows_expensive_network_access"] = info.allows_expensive_network_access;
  j["allows_constrained_network_access"] = info.allows_constrained_network_access;
  j["requires_external_power"] = info.requires_external_power;
  j["retries"] = info.retries;
  j["error"] = info.error ? errorJson(*info.error) : Json(nullptr);
  if (info.metrics) j["metrics"] = taskMetricsToJson(*info.metrics);
  if (info.group != 0) j["group"] = info.group;
  return j;
}

Result<TaskInfo> taskInfoFromJson(const Json& j) {
  FieldReader in(j, "task");
  TaskInfo t;
  const auto id = in.optionalUnsigned("id");
  if (in.ok() && !id) in.problem("task: id is missing");
  t.id = id.value_or(0);
  t.session = in.string("session");
  t.kind = in.string("kind", "download");
  t.state = in.string("state");
  t.waiting_for = in.string("waiting_for");
  t.url = in.string("url");
  t.destination = in.string("destination");
  t.description = in.string("description");
  t.bytes_written = in.unsignedInteger("bytes_written");
  t.expected_total = in.optionalUnsigned("expected_total");
  t.http_status = static_cast<long>(in.integer("http_status"));
  if (const Json* e = in.object("error")) t.error = errorFromJson(*e);
  t.suspend_count = static_cast<int>(in.integer("suspend_count"));
  t.created_at = in.integer("created_at");
  t.priority = in.number("priority", t.priority);
  t.discretionary = in.boolean("discretionary");
  t.allows_expensive_network_access = in.boolean("allows_expensive_network_access", true);
  t.allows_constrained_network_access = in.boolean("allows_constrained_network_access", true);
  t.requires_external_power = in.boolean("requires_external_power");
  t.retries = in.unsignedInteger("retries");
  t.begin_at = in.optionalInteger("begin_at");
  if (const Json* metrics = in.object("metrics")) t.metrics = in.take(taskMetricsFromJson(*metrics));
  t.group = in.unsignedInteger("group");
  return in.finish(std::move(t));
}

}  // namespace ferry::protocol

namespace ferry::protocol {

Json sessionConfigToJson(const SessionConfig& c) {
  Json j{{"max_concurrent", c.max_concurrent},
         {"max_per_host", c.max_per_host},
         {"resource_timeout", c.resource_timeout.count()},
         {"max_bytes_per_second", c.max_bytes_per_second}};
  if (c.launch) j["launch"] = launchCommandToJson(*c.launch);
  if (c.transport != model::TransportSettings{}) j["transport"] = transportToJson(c.transport);
  // Only when not the defaults: what older clients sent stays what they send.
  if (!c.allows_expensive_network_access) j["allows_expensive_network_access"] = false;
  if (!c.allows_constrained_network_access) j["allows_constrained_network_access"] = false;
  return j;
}

Result<SessionConfig> sessionConfigFromJson(const Json& j) {
  SessionConfig c;
  if (j.is_null()) return c;
  if (!j.is_object()) return fail(errc::invalid_argument, "configuration must be a JSON object");
  FieldReader in(j, "configuration");
  auto intIn = [&](const char* field, long long lo, long long hi, long long fallback) -> Result<long long> {
    const Json* v = in.value(field);
    if (!v) return fallback;
    if (!v->is_number_integer() || v->get<long long>() < lo || v->get<long long>() > hi)
      return fail(errc::invalid_argument, std::string(field) + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    return v->get<long long>();
  };
  auto mc = intIn("max_concurrent", 1, 1000, c.max_concurrent);
  if (!mc) return tl::unexpected(mc.error());
  auto mh = intIn("max_per_host", 1, 1000, c.max_per_host);
  if (!mh) return tl::unexpected(mh.error());
  auto rt = intIn("resource_timeout", 1, 365LL * 24 * 3600, c.resource_timeout.count());
  if (!rt) return tl::unexpected(rt.error());
  auto bw = intIn("max_bytes_per_second", 0, 1LL << 50, 0);
  if (!bw) return tl::unexpected(bw.error());
  c.max_concurrent = static_cast<int>(*mc);
  c.max_per_host = static_cast<int>(*mh);
  c.resource_timeout = std::chrono::seconds(*rt);
  c.max_bytes_per_second = static_cast<std::uint64_t>(*bw);
  if (const Json* launch_json = in.value("launch")) {
    auto launch = launchCommandFromJson(*launch_json);
    if (!launch) return tl::unexpected(launch.error());
    c.launch = std::move(*launch);
  }
  if (const Json* transport_json = in.value("transport")) {
    auto transport = transportFromJson(*transport_json);
    if (!transport) return tl::unexpected(transport.error());
    c.transport = std::move(*transport);
  }
  for (auto [field, value] : {std::pair{"allows_expensive_network_access", &c.allows_expensive_network_access},
                              std::pair{"allows_constrained_network_access", &c.allows_constrained_network_access}}) {
    const Json* v = in.value(field);
    if (v == nullptr) continue;
    if (!v->is_boolean()) return fail(errc::invalid_argument, std::string(field) + " must be true or false, got " + v->dump().substr(0, 64));
    *value = v->get<bool>();
  }
  return c;
}

Result<void> validateSessionId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
  });
  if (!ok)
    return fail(errc::invalid_argument,
                "session identifier \"" + id.substr(0, 64) + "\" must be 1-128 characters of letters, digits, '.', '_' or '-'");
  return {};
}

}  // namespace ferry::protocol

namespace ferry::protocol {

Json launchCommandToJson(const LaunchCommand& l) {
  return Json{{"argv", l.argv},
              {"working_directory", l.working_directory},
              {"environment", l.environment},
              {"min_interval", l.min_interval.count()},
              {"refresh_interval", l.refresh_interval.count()}};
}

namespace {
Error launchError(const std::string& why) { return Error(errc::invalid_argument, "launch command: " + why); }

bool isEnvironmentName(const std::string& name) {
  if (name.empty() || name.size() > 128 || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char ch) { return std::isalnum(ch) || ch == '_'; });
}

Result<std::vector<std::string>> stringList(FieldReader& in, const char* field, std::size_t max_items) {
  std::vector<std::string> out;
  const Json* list = in.value(field);
  if (!list) return out;
  if (!list->is_array() || list->size() > max_items)
    return fail(errc::invalid_argument,
                std::string("launch command: ") + field + " must be a list of at most " + std::to_string(max_items) + " strings");
  for (const auto& item : *list) {
    if (!item.is_string())
      return fail(errc::invalid_argument, std::string("launch command: every item of ") + field + " must be a string");
    const auto& value = item.get_ref<const std::string&>();
    if (value.size() > 4096 || value.find('\0') != std::string::npos)
      return fail(errc::invalid_argument, std::string("launch command: an item of ") + field +
                                              " is longer than 4096 bytes or contains a NUL byte");
    out.push_back(value);
  }
  return out;
}

Result<std::chrono::seconds> secondsIn(FieldReader& in, const char* field, long long lo, long long hi,
                                       std::chrono::seconds fallback) {
  const Json* v = in.value(field);
  if (!v) return fallback;
  if (!v->is_number_integer() || v->get<long long>() < lo || v->get<long long>() > hi)
    return fail(errc::invalid_argument, "launch command: " + std::string(field) + " must be a whole number of seconds from " +
                                            std::to_string(lo) + " to " + std::to_string(hi));
  return std::chrono::seconds(v->get<long long>());
}
}  // namespace

Result<LaunchCommand> launchCommandFromJson(const Json& j) {
  if (!j.is_object()) return fail(errc::invalid_argument, "launch command must be a JSON object with an argv list");
  FieldReader in(j, "launch command");
  LaunchCommand l;
  auto argv = stringList(in, "argv", 256);
  if (!argv) return tl::unexpected(argv.error());
  l.argv = std::move(*argv);
  if (l.argv.empty() || l.argv[0].empty())
    return tl::unexpected(launchError("argv is empty; name the program to run as an absolute path"));
  if (l.argv[0].front() != '/')
    return tl::unexpected(launchError("the program \"" + l.argv[0].substr(0, 256) +
                                      "\" is not an absolute path; ferryd does not search PATH"));
  if (const Json* wd = in.value("working_directory")) {
    if (!wd->is_string()) return tl::unexpected(launchError("working_directory must be a string"));
    l.working_directory = wd->get<std::string>();
    if (!l.working_directory.empty() && (l.working_directory.front() != '/' || l.working_directory.size() > 4096 ||
                                         l.working_directory.find('\0') != std::string::npos))
      return tl::unexpected(launchError("working_directory \"" + l.working_directory.substr(0, 256) +
                                        "\" must be an absolute path"));
  }
  auto env = stringList(in, "environment", 128);
  if (!env) return tl::unexpected(env.error());
  for (const auto& name : *env) {
    if (!isEnvironmentName(name))
      return tl::unexpected(launchError("\"" + name.substr(0, 128) +
                                        "\" in environment is not a variable name (letters, digits and '_', not starting "
                                        "with a digit; name the variable, not NAME=value)"));
    if (name == kLaunchSessionVariable || name == kLaunchSocketVariable || name == kLaunchReasonVariable)
      return tl::unexpected(launchError(name + " is set by ferryd; leave it out of environment"));
  }
  l.environment = std::move(*env);
  auto min_interval = secondsIn(in, "min_interval", 1, 24 * 3600, l.min_interval);
  if (!min_interval) return tl::unexpected(min_interval.error());
  l.min_interval = *min_interval;
  auto refresh = secondsIn(in, "refresh_interval", 0, 30LL * 24 * 3600, l.refresh_interval);
  if (!refresh) return tl::unexpected(refresh.error());
  l.refresh_interval = *refresh;
  return l;
}

Result<std::vector<TaskInfo>> taskListFromJson(const Json& reply) {
  std::vector<TaskInfo> out;
  for (const auto& t : reply.value("tasks", Json::array())) {
    auto info = taskInfoFromJson(t);
    if (!info) return tl::unexpected(info.error());
    out.push_back(std::move(*info));
  }
  return out;
}

}  // namespace ferry::protocol
