#include "protocol/task_metrics.hpp"

#include "protocol/field_reader.hpp"

namespace ferry::protocol {

namespace {

// The step times, with their keys, in one list for the encoder and the decoder.
template <class Metrics, class Visit>
void forEachTime(Metrics& m, Visit&& visit) {
  visit("dns_us", m.dns);
  visit("connect_us", m.connect);
  visit("tls_us", m.tls);
  visit("first_byte_us", m.first_byte);
  visit("total_us", m.total);
}

Json attemptMetricsToJson(const model::AttemptMetrics& m) {
  Json j{{"url", m.url},
         {"status", m.status},
         {"http_version", m.http_version},
         {"remote_address", m.remote_address},
         {"remote_port", m.remote_port},
         {"reused_connection", m.reused_connection},
         {"bytes_sent", m.bytes_sent},
         {"bytes_received", m.bytes_received}};
  forEachTime(m, [&](const char* key, std::chrono::microseconds t) { j[key] = t.count(); });
  return j;
}

Result<model::AttemptMetrics> attemptMetricsFromJson(const Json& j) {
  FieldReader in(j, "metrics attempt");
  model::AttemptMetrics m;
  m.url = in.string("url");
  m.status = static_cast<long>(in.integer("status"));
  m.http_version = in.string("http_version");
  m.remote_address = in.string("remote_address");
  m.remote_port = static_cast<long>(in.integer("remote_port"));
  m.reused_connection = in.boolean("reused_connection");
  m.bytes_sent = in.unsignedInteger("bytes_sent");
  m.bytes_received = in.unsignedInteger("bytes_received");
  forEachTime(m, [&](const char* key, std::chrono::microseconds& t) { t = std::chrono::microseconds(in.integer(key)); });
  return in.finish(std::move(m));
}

}  // namespace

Json taskMetricsToJson(const model::TaskMetrics& metrics) {
  Json attempts = Json::array();
  for (const auto& a : metrics.attempts) attempts.push_back(attemptMetricsToJson(a));
  return Json{{"attempts", std::move(attempts)}};
}

Result<model::TaskMetrics> taskMetricsFromJson(const Json& j) {
  if (!j.is_object()) return fail(errc::protocol, "metrics must be a JSON object");
  FieldReader in(j, "metrics");
  model::TaskMetrics metrics;
  if (const Json* attempts = in.array("attempts")) {
    for (const auto& a : *attempts) {
      if (!a.is_object()) return fail(errc::protocol, "metrics: every attempt must be an object");
      auto decoded = attemptMetricsFromJson(a);
      if (!decoded) return tl::unexpected(decoded.error());
      metrics.attempts.push_back(std::move(*decoded));
    }
  }
  return in.finish(std::move(metrics));
}

}  // namespace ferry::protocol
