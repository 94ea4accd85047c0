// The wire form of a session's transport settings (hello's configuration) and of task metrics
// (didComplete, TaskInfo): round trips, defaults for what older peers leave out, and bad values
// refused with a sentence naming the field.

#include <gtest/gtest.h>

#include "protocol/events.hpp"
#include "protocol/task_metrics.hpp"
#include "protocol/transport_settings.hpp"

using namespace ferry;
using namespace ferry::protocol;

namespace {

model::TransportSettings someTransport() {
  model::TransportSettings t;
  t.proxy = "socks5h://127.0.0.1:1080";
  t.no_proxy = "localhost,.internal";
  t.ca_file = "/etc/ferry/ca.pem";
  t.client_certificate = "/etc/ferry/client.pem";
  t.client_key = "/etc/ferry/client.key";
  t.http2 = false;
  return t;
}

model::TaskMetrics someMetrics() {
  model::AttemptMetrics first;
  first.url = "http://127.0.0.1:8080/f.bin";
  first.status = 503;
  first.http_version = "1.1";
  first.remote_address = "127.0.0.1";
  first.remote_port = 8080;
  first.connect = std::chrono::microseconds(120);
  first.first_byte = std::chrono::microseconds(900);
  first.total = std::chrono::microseconds(1000);
  first.bytes_received = 20;
  model::AttemptMetrics second = first;
  second.status = 200;
  second.reused_connection = true;
  second.connect = std::chrono::microseconds(0);
  second.tls = std::chrono::microseconds(0);
  second.bytes_received = 1u << 20;
  second.bytes_sent = 7;
  return model::TaskMetrics{{first, second}};
}

}  // namespace

TEST(TransportSettings, RoundTripInTheSessionConfigurationAndDefaultsWhenAbsent) {
  SessionConfig config;
  config.transport = someTransport();
  auto back = sessionConfigFromJson(sessionConfigToJson(config));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->transport, config.transport);

  // A configuration without transport (an older libferry) gets the defaults, and the defaults
  // are not written at all.
  auto old = sessionConfigFromJson(Json{{"max_concurrent", 2}});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->transport, model::TransportSettings{});
  EXPECT_FALSE(sessionConfigToJson(SessionConfig{}).contains("transport"));
  auto partial = transportFromJson(Json{{"proxy", "direct"}});
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->proxy, "direct");
  EXPECT_TRUE(partial->http2);
}

TEST(TransportSettings, BadValuesAreInvalidArgumentsThatNameTheField) {
  const std::vector<std::pair<Json, std::string>> cases = {
      {Json{{"proxy", "ftp://127.0.0.1:21"}}, "not a proxy URL"},
      {Json{{"proxy", "127.0.0.1:3128"}}, "not a proxy URL"},
      {Json{{"proxy", "http://"}}, "not a proxy URL"},
      {Json{{"proxy", "http://a b"}}, "space"},
      {Json{{"no_proxy", "a\nb"}}, "no_proxy"},
      {Json{{"ca_file", "ca.pem"}}, "ca_file \"ca.pem\" must be an absolute path"},
      {Json{{"client_certificate", "./c.pem"}}, "client_certificate"},
      {Json{{"client_certificate", "/c.pem"}, {"client_key", "k.pem"}}, "client_key"},
      {Json{{"client_key", "/k.pem"}}, "client_key needs a client_certificate"},
  };
  for (const auto& [json, needle] : cases) {
    auto r = sessionConfigFromJson(Json{{"transport", json}});
    ASSERT_FALSE(r) << json.dump();
    EXPECT_EQ(r.error().code, errc::invalid_argument) << json.dump();
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << json.dump() << ": " << r.error().message;
  }
  for (const auto* scheme : {"http", "HTTPS", "socks4", "socks4a", "socks5", "socks5h"}) {
    EXPECT_TRUE(transportFromJson(Json{{"proxy", std::string(scheme) + "://127.0.0.1:1"}})) << scheme;
  }
  auto wrong_type = transportFromJson(Json{{"http2", "yes"}});
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().message.find("http2"), std::string::npos) << wrong_type.error().message;
  EXPECT_FALSE(transportFromJson(Json::array()));
}

TEST(TaskMetricsWire, RoundTripsInDidCompleteAndTaskInfo) {
  const auto metrics = someMetrics();
  auto back = taskMetricsFromJson(taskMetricsToJson(metrics));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(*back, metrics);
  EXPECT_EQ(taskMetricsToJson(metrics)["attempts"][0]["total_us"], 1000);

  DidComplete complete{std::nullopt, 200, std::nullopt, metrics};
  auto decoded = DidComplete::decode(complete.encodePayload());
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(*decoded, complete);

  TaskInfo info;
  info.id = 4;
  info.metrics = metrics;
  auto listed = taskInfoFromJson(taskInfoToJson(info));
  ASSERT_TRUE(listed) << listed.error().describe();
  EXPECT_EQ(listed->metrics, metrics);
  TaskInfo without;
  without.id = 5;
  EXPECT_FALSE(taskInfoToJson(without).contains("metrics"));
}

TEST(TaskMetricsWire, ADidCompleteStoredBeforeMetricsStillDecodes) {
  // What ferryd 0.1.0 stored in its outbox.
  auto old = DidComplete::decode(Json{{"error", nullptr}, {"statusCode", 200}});
  ASSERT_TRUE(old) << old.error().describe();
  EXPECT_FALSE(old->metrics);
  EXPECT_FALSE(old->encodePayload().contains("metrics"));
  // A damaged one is an error naming the field, not an exception.
  auto bad = DidComplete::decode(Json{{"error", nullptr}, {"statusCode", 200}, {"metrics", {{"attempts", {{{"status", "x"}}}}}}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("status"), std::string::npos) << bad.error().message;
}
