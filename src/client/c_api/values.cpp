// The C API's value handles (ferry/ferry.h): configurations, requests, task options and task
// lists, each a thin shell around its C++ value (handles.hpp).

#include <chrono>

#include "common/digest.hpp"
#include "download_checks.hpp"
#include "handles.hpp"

using namespace ferry::c_api;
using ferry::Error;
namespace errc = ferry::errc;

namespace {
// Setters share one shape: look the handle up, check the argument, set.
template <class T, class F>
ferry_code set(T* handle, const char* what, F&& apply) {
  return answer([&] { apply(*lookup(handle, what)); });
}

void refuseIf(bool refused, const std::string& message) {
  if (refused) throw Refusal{Error(errc::invalid_argument, message)};
}

void checkPositive(int64_t n, const char* what) {
  refuseIf(n <= 0, std::string(what) + " must be greater than 0 (got " + std::to_string(n) + ")");
}

// A yes/no of SchedulingOptions: one options handle serves downloads and uploads alike.
ferry_code setSchedulingFlag(ferry_options* o, bool ferry::SchedulingOptions::*flag, int yes) {
  return set(o, "options", [&](auto& h) { h.download.scheduling.*flag = h.upload.scheduling.*flag = yes != 0; });
}

// A ferry_task_info view of a TaskInfo kept alive beside it.
ferry_task_info viewOf(const ferry::TaskInfo& t) {
  ferry_task_info v{};
  v.id = t.id;
  v.session = t.session.c_str();
  v.kind = t.kind.c_str();
  v.state = t.state.c_str();
  v.waiting_for = t.waiting_for.c_str();
  v.url = t.url.c_str();
  v.destination = t.destination.c_str();
  v.description = t.description.c_str();
  v.bytes_written = t.bytes_written;
  v.expected_total = t.expected_total ? static_cast<int64_t>(*t.expected_total) : -1;
  v.http_status = t.http_status;
  v.error = t.error ? codeOf(t.error->code) : FERRY_OK;
  v.error_message = t.error ? t.error->message.c_str() : "";
  v.suspend_count = t.suspend_count;
  v.created_at = t.created_at;
  v.priority = t.priority;
  v.discretionary = t.discretionary ? 1 : 0;
  v.begin_at = t.begin_at.value_or(0);
  return v;
}
}  // namespace

namespace ferry::c_api {
// Used by ferry_session_get_all_tasks (session.cpp).
ferry_task_list* handOutTaskList(std::vector<ferry::TaskInfo> tasks) {
  auto list = std::make_shared<ferry_task_list>();
  list->tasks = std::move(tasks);
  for (const auto& t : list->tasks) list->views.push_back(viewOf(t));
  return handles<ferry_task_list>().add(std::move(list));
}
}  // namespace ferry::c_api

extern "C" {

// ---- Configurations ----

ferry_code ferry_configuration_background(const char* identifier, ferry_configuration** out) {
  return answer([&] {
    auto id = required(identifier, "identifier");
    refuseIf(id.empty(), "identifier is empty: a background session needs a name (\"com.example.app\")");
    handOut(out, ferry::Configuration::background(id));
  });
}
ferry_code ferry_configuration_default(ferry_configuration** out) {
  return answer([&] { handOut(out, ferry::Configuration::defaults()); });
}
ferry_code ferry_configuration_ephemeral(ferry_configuration** out) {
  return answer([&] { handOut(out, ferry::Configuration::ephemeral()); });
}
ferry_code ferry_configuration_free(ferry_configuration* c) { return release(c, "configuration"); }

ferry_code ferry_configuration_set_socket_path(ferry_configuration* c, const char* path) {
  return set(c, "configuration", [&](auto& h) { h.value.socketPath(required(path, "path")); });
}
ferry_code ferry_configuration_set_start_daemon(ferry_configuration* c, int start) {
  return set(c, "configuration", [&](auto& h) { h.value.startDaemon(start != 0); });
}
ferry_code ferry_configuration_set_max_concurrent_transfers(ferry_configuration* c, int n) {
  return set(c, "configuration", [&](auto& h) {
    checkPositive(n, "max concurrent transfers");
    h.value.maxConcurrentTransfers(n);
  });
}
ferry_code ferry_configuration_set_max_connections_per_host(ferry_configuration* c, int n) {
  return set(c, "configuration", [&](auto& h) {
    checkPositive(n, "max connections per host");
    h.value.maxConnectionsPerHost(n);
  });
}
ferry_code ferry_configuration_set_resource_timeout(ferry_configuration* c, int64_t seconds) {
  return set(c, "configuration", [&](auto& h) {
    checkPositive(seconds, "resource timeout");
    h.value.resourceTimeout(std::chrono::seconds(seconds));
  });
}
ferry_code ferry_configuration_set_max_bytes_per_second(ferry_configuration* c, uint64_t rate) {
  return set(c, "configuration", [&](auto& h) { h.value.maxBytesPerSecond(rate); });
}
ferry_code ferry_configuration_set_proxy(ferry_configuration* c, const char* url) {
  return set(c, "configuration", [&](auto& h) { h.value.proxy(required(url, "proxy URL")); });
}
ferry_code ferry_configuration_set_ca_file(ferry_configuration* c, const char* path) {
  return set(c, "configuration", [&](auto& h) { h.value.caFile(required(path, "CA file")); });
}
ferry_code ferry_configuration_set_http2(ferry_configuration* c, int yes) {
  return set(c, "configuration", [&](auto& h) { h.value.http2(yes != 0); });
}
ferry_code ferry_configuration_set_allows_expensive_network_access(ferry_configuration* c, int yes) {
  return set(c, "configuration", [&](auto& h) { h.value.allowsExpensiveNetworkAccess(yes != 0); });
}
ferry_code ferry_configuration_set_allows_constrained_network_access(ferry_configuration* c, int yes) {
  return set(c, "configuration", [&](auto& h) { h.value.allowsConstrainedNetworkAccess(yes != 0); });
}
ferry_code ferry_configuration_set_launch_command(ferry_configuration* c, const char* const* argv, size_t argc,
                                                  const char* working_directory) {
  return set(c, "configuration", [&](auto& h) {
    refuseIf(argc == 0 || !argv, "the launch command needs at least argv[0] (an absolute path)");
    std::vector<std::string> args;
    for (size_t i = 0; i < argc; ++i) args.push_back(required(argv[i], "an argv entry"));
    h.value.launchCommand(std::move(args), working_directory ? working_directory : "");
  });
}
ferry_code ferry_configuration_set_max_data_task_bytes(ferry_configuration* c, uint64_t bytes) {
  return set(c, "configuration", [&](auto& h) { h.value.maxDataTaskBytes(bytes); });
}
ferry_code ferry_configuration_set_resume_directory(ferry_configuration* c, const char* path) {
  return set(c, "configuration", [&](auto& h) { h.value.resumeDirectory(required(path, "resume directory")); });
}
ferry_code ferry_configuration_set_download_redirects(ferry_configuration* c, const char* policy) {
  return set(c, "configuration", [&](auto& h) { h.value.downloadRedirects(required(policy, "redirect policy")); });
}

// ---- Requests ----

ferry_code ferry_request_new(const char* url, ferry_request** out) {
  return answer([&] { handOut(out, ferry::Request(required(url, "url"))); });
}
ferry_code ferry_request_free(ferry_request* r) { return release(r, "request"); }
ferry_code ferry_request_set_method(ferry_request* r, const char* method) {
  return set(r, "request", [&](auto& h) {
    auto m = required(method, "method");
    refuseIf(m.empty(), "method is empty");
    h.value.method = m;
  });
}
ferry_code ferry_request_add_header(ferry_request* r, const char* name, const char* value) {
  return set(r, "request", [&](auto& h) {
    auto n = required(name, "header name");
    refuseIf(n.empty(), "header name is empty");
    h.value.headers.emplace_back(n, required(value, "header value"));
  });
}
ferry_code ferry_request_set_timeouts(ferry_request* r, int64_t connect_seconds, int64_t stall_seconds) {
  return set(r, "request", [&](auto& h) {
    checkPositive(connect_seconds, "connect timeout");
    checkPositive(stall_seconds, "stall timeout");
    h.value.connect_timeout = std::chrono::seconds(connect_seconds);
    h.value.stall_timeout = std::chrono::seconds(stall_seconds);
  });
}

// ---- Task options ----

ferry_code ferry_options_new(ferry_options** out) {
  return answer([&] { handOut(out, ferry_options{}); });
}
ferry_code ferry_options_free(ferry_options* o) { return release(o, "options"); }
ferry_code ferry_options_set_destination(ferry_options* o, const char* path) {
  return set(o, "options", [&](auto& h) { h.download.destination = required(path, "destination"); });
}
ferry_code ferry_options_set_description(ferry_options* o, const char* description) {
  return set(o, "options", [&](auto& h) {
    h.download.description = h.upload.description = required(description, "description");
  });
}
ferry_code ferry_options_set_start(ferry_options* o, int start) {
  return set(o, "options", [&](auto& h) { h.download.start = h.upload.start = start != 0; });
}
ferry_code ferry_options_set_priority(ferry_options* o, double priority) {
  return set(o, "options", [&](auto& h) {
    refuseIf(!(priority >= 0.0 && priority <= 1.0), "priority must be between 0.0 and 1.0");
    h.download.scheduling.priority = h.upload.scheduling.priority = priority;
  });
}
ferry_code ferry_options_set_discretionary(ferry_options* o, int discretionary) {
  return setSchedulingFlag(o, &ferry::SchedulingOptions::discretionary, discretionary);
}
ferry_code ferry_options_set_allows_expensive_network_access(ferry_options* o, int yes) {
  return setSchedulingFlag(o, &ferry::SchedulingOptions::allows_expensive_network_access, yes);
}
ferry_code ferry_options_set_allows_constrained_network_access(ferry_options* o, int yes) {
  return setSchedulingFlag(o, &ferry::SchedulingOptions::allows_constrained_network_access, yes);
}
ferry_code ferry_options_set_requires_external_power(ferry_options* o, int yes) {
  return setSchedulingFlag(o, &ferry::SchedulingOptions::requires_external_power, yes);
}
ferry_code ferry_options_set_expected_digest(ferry_options* o, const char* digest) {
  return set(o, "options", [&](auto& h) {
    const std::string text = required(digest, "digest");
    if (!text.empty()) {
      auto parsed = ferry::parseExpectedDigest(text);
      if (!parsed) throw Refusal{parsed.error()};
    }
    h.download.expected_digest = text;
  });
}
ferry_code ferry_options_set_connections(ferry_options* o, int connections) {
  return set(o, "options", [&](auto& h) {
    if (auto valid = ferry::checkConnections(connections); !valid) throw Refusal{valid.error()};
    h.download.connections = connections;
  });
}
ferry_code ferry_options_add_mirror(ferry_options* o, const char* url) {
  return set(o, "options", [&](auto& h) {
    auto& mirrors = h.download.mirrors;
    if (auto valid = ferry::checkMirror(url ? url : "", mirrors.size()); !valid) throw Refusal{valid.error()};
    mirrors.emplace_back(url);
  });
}
ferry_code ferry_options_clear_mirrors(ferry_options* o) {
  return set(o, "options", [&](auto& h) { h.download.mirrors.clear(); });
}
ferry_code ferry_options_set_earliest_begin(ferry_options* o, int64_t unix_seconds) {
  return set(o, "options", [&](auto& h) {
    refuseIf(unix_seconds < 0, "earliest begin must be seconds since the epoch (or 0 for none)");
    std::optional<std::chrono::system_clock::time_point> at;
    if (unix_seconds > 0) at = std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
    h.download.scheduling.earliest_begin = h.upload.scheduling.earliest_begin = at;
  });
}
ferry_code ferry_options_set_resumable(ferry_options* o, const char* protocol) {
  return set(o, "options", [&](auto& h) { h.upload.resumable = required(protocol, "resumable protocol"); });
}
ferry_code ferry_options_set_redirects(ferry_options* o, const char* policy) {
  return set(o, "options", [&](auto& h) { h.upload.redirects = required(policy, "redirect policy"); });
}

// ---- Task lists ----

size_t ferry_task_list_size(const ferry_task_list* list) {
  auto live = handles<ferry_task_list>().find(list);
  return live ? live->views.size() : 0;
}
const ferry_task_info* ferry_task_list_at(const ferry_task_list* list, size_t index) {
  auto live = handles<ferry_task_list>().find(list);
  // The pointer outlives the shared_ptr copy: the list's own handle keeps it until freed.
  return live && index < live->views.size() ? &live->views[index] : nullptr;
}
ferry_code ferry_task_list_free(ferry_task_list* list) { return release(list, "task list"); }

}  // extern "C"
