// The answers of status / limits / set_limit: what ferryd encodes, Control decodes to the same
// values; a field of the wrong type is a protocol error naming it, never an exception.

#include <gtest/gtest.h>

#include "protocol/daemon_status.hpp"
#include "protocol/field_reader.hpp"

using namespace ferry;
using namespace ferry::protocol;

namespace {

DaemonStatus sampleStatus() {
  DaemonStatus s;
  s.daemon_version = "0.1.0";
  s.pid = 4242;
  s.uptime_seconds = 3725;
  s.socket = "/run/user/1000/ferry/ferryd.sock";
  s.socket_activated = true;
  s.state_dir = "/home/u/.local/state/ferry";
  LaunchStatus launch;
  launch.argv = {"/usr/bin/app", "--background"};
  launch.working_directory = "/";
  launch.min_interval = 30;
  launch.refresh_interval = 900;
  launch.running_pid = 777;
  launch.running_for = "events";
  launch.launches = 3;
  launch.failures = 1;
  launch.last_launch_at = 1764000000123;
  launch.next_refresh_at = 1764000900123;
  s.sessions = {{"com.example.a", true, 2, launch}, {"com.example.b", false, 0, std::nullopt}};
  s.tasks_by_state = {{"running", 3}, {"completed", 1}};
  s.bandwidth = {5242880, {{"com.example.a", 1048576}}, 123456, {{"com.example.a", 123456}}};
  return s;
}

}  // namespace

TEST(DaemonStatusCodec, RoundTripsEveryField) {
  const DaemonStatus s = sampleStatus();
  auto back = daemonStatusFromJson(daemonStatusToJson(s));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, s);
  ASSERT_NE(back->session("com.example.a"), nullptr);
  EXPECT_EQ(back->session("com.example.a")->launch->running_pid, 777);
  EXPECT_EQ(back->session("nope"), nullptr);
}

TEST(DaemonStatusCodec, TheWireShapeIsTheDocumentedOne) {
  const Json j = daemonStatusToJson(sampleStatus());
  EXPECT_EQ(j["bandwidth"]["global"], 5242880);
  EXPECT_EQ(j["bandwidth"]["rates"]["total"], 123456);
  EXPECT_EQ(j["sessions"][1]["launch"], nullptr);
  EXPECT_EQ(j["sessions"][0]["launch"]["last_refresh_at"], nullptr);
  EXPECT_EQ(j["tasks_by_state"]["running"], 3);
  // Not running: running_pid and running_for are null.
  LaunchStatus idle;
  const Json l = launchStatusToJson(idle);
  EXPECT_TRUE(l["running_pid"].is_null());
  EXPECT_TRUE(l["running_for"].is_null());
}

TEST(DaemonStatusCodec, AbsentFieldsTakeDefaults) {
  auto s = daemonStatusFromJson(Json::object());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->pid, 0);
  EXPECT_TRUE(s->sessions.empty());
  EXPECT_EQ(s->bandwidth, BandwidthStatus{});
}

TEST(DaemonStatusCodec, WrongFieldTypesAreProtocolErrorsThatNameTheField) {
  struct Case {
    Json j;
    std::string says;
  } cases[] = {
      {Json::array(), "status is not a JSON object"},
      {{{"pid", "4242"}}, "status: pid must be a whole number"},
      {{{"uptime_seconds", 1.5}}, "status: uptime_seconds must be a whole number"},
      {{{"socket_activated", 1}}, "status: socket_activated must be true or false"},
      {{{"sessions", Json::object()}}, "status: sessions must be a JSON array"},
      {{{"sessions", {42}}}, "status session is not a JSON object"},
      {{{"sessions", {{{"id", 7}}}}}, "status session: id must be a string"},
      {{{"sessions", {{{"id", "a"}, {"launch", {{"argv", {1, 2}}}}}}}}, "launch argv must hold strings only"},
      {{{"sessions", {{{"id", "a"}, {"launch", {{"failures", -1.5}}}}}}}, "launch: failures must be a whole number"},
      {{{"tasks_by_state", {{"running", -1}}}}, "the value of running must be a whole number of 0 or more"},
      {{{"bandwidth", {{"global", -5}}}}, "bandwidth: global must be a whole number of 0 or more"},
      {{{"bandwidth", {{"rates", {{"total", "fast"}}}}}}, "bandwidth rates: total must be a whole number of 0 or more"},
      {{{"pid", 18446744073709551615ULL}}, "status: pid must be a whole number below 2^63"},
  };
  for (const auto& c : cases) {
    auto s = daemonStatusFromJson(c.j);
    ASSERT_FALSE(s) << c.j.dump();
    EXPECT_EQ(s.error().code, errc::protocol) << c.j.dump();
    EXPECT_NE(s.error().message.find(c.says), std::string::npos) << c.j.dump() << " -> " << s.error().message;
  }
}

TEST(FieldReader, NullIsAbsentAndTheFirstProblemWins) {
  const Json j{{"a", nullptr}, {"b", "x"}, {"c", true}};
  FieldReader in(j, "thing");
  EXPECT_EQ(in.string("a", "fallback"), "fallback");
  EXPECT_EQ(in.optionalInteger("a"), std::nullopt);
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.integer("b", 9), 9);  // wrong type: the fallback, and a problem
  EXPECT_FALSE(in.boolean("b"));      // a second problem is not the one reported
  auto r = in.finish(1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "thing: b must be a whole number");
}
