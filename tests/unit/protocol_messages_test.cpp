#include <gtest/gtest.h>

#include "protocol/line_buffer.hpp"
#include "protocol/messages.hpp"

using namespace ferry;
using namespace ferry::protocol;

TEST(ParseLine, AcceptsAnObjectWithAType) {
  auto m = parseLine(R"({"type":"hello","version":1})");
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["type"], "hello");
}

TEST(ParseLine, RefusesWhatIsNotAMessageWithAClearError) {
  for (std::string bad : std::vector<std::string>{"", "not json", "[1,2]", "42", R"({"type":7})", R"({"kind":"hello"})", "{\"type\":\"x\"",
                          std::string("\xff\xfe", 2)}) {
    auto m = parseLine(bad);
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().code, errc::protocol);
    EXPECT_FALSE(m.error().message.empty());
  }
  auto huge = parseLine(std::string(kMaxLineBytes + 1, ' '));
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("longer"), std::string::npos);
}

TEST(ToLine, IsOneLineEvenWithNewlinesAndInvalidUtf8InStrings) {
  Json j{{"type", "x"}, {"text", "a\nb"}, {"bytes", std::string("\xff", 1)}};
  auto line = toLine(j);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(Request, RoundTrips) {
  model::HttpRequest r;
  r.url = "https://example.org/a?b=c";
  r.method = "POST";
  r.headers = {{"X-One", "1"}, {"Authorization", "Bearer t"}};
  r.stall_timeout = std::chrono::seconds(5);
  auto back = requestFromJson(requestToJson(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->url, r.url);
  EXPECT_EQ(back->method, "POST");
  EXPECT_EQ(back->headers, r.headers);
  EXPECT_EQ(back->stall_timeout, std::chrono::seconds(5));
  EXPECT_TRUE(back->expected_digest.empty());
  EXPECT_EQ(requestToJson(r).count("expected_digest"), 0u);  // only when set

  // A digest in any accepted spelling comes back in the one the parts carry.
  Json j = requestToJson(r);
  j["expected_digest"] = "SHA-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:";
  auto digest = requestFromJson(j);
  ASSERT_TRUE(digest) << digest.error().describe();
  EXPECT_EQ(digest->expected_digest, "sha-256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(requestFromJson(requestToJson(*digest))->expected_digest, digest->expected_digest);

  // connections: only when not 1, and back.
  EXPECT_EQ(requestToJson(r).count("connections"), 0u);
  r.connections = 4;
  EXPECT_EQ(requestFromJson(requestToJson(r))->connections, 4);
  r.mirrors = {"http://b/x", "https://c/x"};
  EXPECT_EQ(requestFromJson(requestToJson(r))->mirrors, r.mirrors);
}

TEST(Request, RefusesEachKindOfBadField) {
  struct Case {
    Json j;
    std::string_view code;
  };
  std::vector<Case> cases = {
      {Json::array(), errc::invalid_argument},
      {Json{{"method", "GET"}}, errc::bad_url},
      {Json{{"url", ""}}, errc::bad_url},
      {Json{{"url", 5}}, errc::bad_url},
      {Json{{"url", std::string(9000, 'a')}}, errc::bad_url},
      {Json{{"url", "http://a/\r\nX: y"}}, errc::bad_url},
      {Json{{"url", "http://a/"}, {"method", "GE T"}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"headers", "x"}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"headers", Json::array({Json::array({"A"})})}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"headers", Json::array({Json::array({"Bad Name", "v"})})}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"headers", Json::array({Json::array({"A", "v\r\nB: c"})})}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"stall_timeout", 0}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"connect_timeout", "10"}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"expected_digest", "sha-256=abc"}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"expected_digest", "crc32=00000000"}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"expected_digest", 5}}, errc::protocol},
      {Json{{"url", "http://a/"}, {"connections", 0}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"connections", 17}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"connections", "4"}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"mirrors", "http://b/"}}, errc::invalid_argument},
      {Json{{"url", "http://a/"}, {"mirrors", Json::array({5})}}, errc::bad_url},
      {Json{{"url", "http://a/"}, {"mirrors", Json::array({""})}}, errc::bad_url},
      {Json{{"url", "http://a/"}, {"mirrors", Json::array({"http://b/\r\nX: y"})}}, errc::bad_url},
      {Json{{"url", "http://a/"}, {"mirrors", Json(std::vector<std::string>(9, "http://b/"))}}, errc::invalid_argument},
  };
  for (const auto& c : cases) {
    auto r = requestFromJson(c.j);
    ASSERT_FALSE(r) << c.j.dump();
    EXPECT_EQ(r.error().code, c.code) << c.j.dump();
  }
}

TEST(SessionConfig, DefaultsBoundsAndRoundTrip) {
  auto d = sessionConfigFromJson(nullptr);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->resource_timeout, std::chrono::hours(24 * 7));
  SessionConfig c;
  c.max_concurrent = 3;
  c.max_bytes_per_second = 1000;
  auto back = sessionConfigFromJson(sessionConfigToJson(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->max_concurrent, 3);
  EXPECT_EQ(back->max_bytes_per_second, 1000u);
  EXPECT_FALSE(sessionConfigFromJson(Json{{"max_concurrent", 0}}));
  EXPECT_FALSE(sessionConfigFromJson(Json{{"max_per_host", "4"}}));
  EXPECT_FALSE(sessionConfigFromJson(Json{{"resource_timeout", -1}}));
  EXPECT_FALSE(sessionConfigFromJson(Json::array()));
}

TEST(SessionConfig, LaunchCommandRoundTripsWithDefaults) {
  SessionConfig c;
  c.launch = LaunchCommand{{"/usr/bin/app", "handle-events"}, "/home/me", {"HOME", "PATH"}, std::chrono::seconds(5),
                           std::chrono::seconds(900)};
  auto back = sessionConfigFromJson(sessionConfigToJson(c));
  ASSERT_TRUE(back) << back.error().describe();
  ASSERT_TRUE(back->launch);
  EXPECT_EQ(back->launch->argv, c.launch->argv);
  EXPECT_EQ(back->launch->working_directory, "/home/me");
  EXPECT_EQ(back->launch->environment, c.launch->environment);
  EXPECT_EQ(back->launch->min_interval, std::chrono::seconds(5));
  EXPECT_EQ(back->launch->refresh_interval, std::chrono::seconds(900));
  auto minimal = sessionConfigFromJson(Json{{"launch", {{"argv", {"/bin/app"}}}}});
  ASSERT_TRUE(minimal) << minimal.error().describe();
  EXPECT_EQ(minimal->launch->min_interval, std::chrono::seconds(30));
  EXPECT_EQ(minimal->launch->refresh_interval, std::chrono::seconds(0));
  EXPECT_EQ(minimal->launch->working_directory, "");
  auto none = sessionConfigFromJson(Json::object());
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->launch);
  EXPECT_FALSE(sessionConfigToJson(*none).contains("launch"));
}

TEST(SessionConfig, BadLaunchCommandsAreRefusedWithTheReason) {
  auto refused = [](Json launch) {
    auto c = sessionConfigFromJson(Json{{"launch", std::move(launch)}});
    EXPECT_FALSE(c);
    if (c) return std::string();
    EXPECT_EQ(c.error().code, errc::invalid_argument);
    return c.error().message;
  };
  auto has = [](const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; };
  EXPECT_TRUE(has(refused("/bin/app"), "launch command must be a JSON object"));
  EXPECT_TRUE(has(refused(Json::object()), "argv is empty"));
  EXPECT_TRUE(has(refused({{"argv", Json::array()}}), "argv is empty"));
  EXPECT_TRUE(has(refused({{"argv", {1, 2}}}), "every item of argv must be a string"));
  EXPECT_TRUE(has(refused({{"argv", {"app"}}}), "\"app\" is not an absolute path"));
  EXPECT_TRUE(has(refused({{"argv", {std::string("/bin/a\0b", 9)}}}), "NUL byte"));
  EXPECT_TRUE(has(refused({{"argv", {"/bin/app"}}, {"working_directory", "tmp"}}), "must be an absolute path"));
  EXPECT_TRUE(has(refused({{"argv", {"/bin/app"}}, {"environment", {"A=B"}}}), "\"A=B\" in environment is not a variable name"));
  EXPECT_TRUE(has(refused({{"argv", {"/bin/app"}}, {"environment", {"9LIVES"}}}), "not a variable name"));
  EXPECT_TRUE(has(refused({{"argv", {"/bin/app"}}, {"environment", {"FERRY_LAUNCH_REASON"}}}), "is set by ferryd"));
  EXPECT_TRUE(has(refused({{"argv", {"/bin/app"}}, {"environment", "HOME"}}), "environment must be a list"));
  EXPECT_TRUE(has(refused({{"argv", {"/bin/app"}}, {"min_interval", 0}}), "min_interval must be a whole number of seconds from 1"));
  EXPECT_TRUE(has(refused({{"argv", {"/bin/app"}}, {"refresh_interval", -5}}), "refresh_interval must be"));
}

TEST(SessionId, OnlySafeCharacters) {
  EXPECT_TRUE(validateSessionId("com.example.app_1-x"));
  for (std::string bad : std::vector<std::string>{"", "../etc", "a b", "a/b", std::string(129, 'a'), std::string("a\0b", 3)})
    EXPECT_FALSE(validateSessionId(bad)) << bad;
}

TEST(TaskInfo, RoundTripsAndRefusesGarbage) {
  TaskInfo t;
  t.id = 9;
  t.session = "s";
  t.state = "failed";
  t.expected_total = 100;
  t.error = Error(errc::network, "down");
  auto back = taskInfoFromJson(taskInfoToJson(t));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, 9u);
  EXPECT_EQ(*back->expected_total, 100u);
  EXPECT_EQ(back->error->code, errc::network);
  EXPECT_FALSE(taskInfoFromJson(Json{{"id", "nine"}}));
  EXPECT_FALSE(taskInfoFromJson(Json(3)));
}

TEST(TaskInfo, EachWrongFieldTypeIsAProtocolErrorNamingIt) {
  TaskInfo one;
  one.id = 1;
  const Json good = taskInfoToJson(one);
  struct Case {
    const char* field;
    Json value;
    const char* says;
  } cases[] = {
      {"session", 5, "task: session must be a string"},
      {"bytes_written", -1, "task: bytes_written must be a whole number of 0 or more"},
      {"expected_total", "many", "task: expected_total must be a whole number of 0 or more"},
      {"http_status", 2.5, "task: http_status must be a whole number"},
      {"error", "boom", "task: error must be a JSON object"},
      {"priority", "high", "task: priority must be a number"},
      {"discretionary", "yes", "task: discretionary must be true or false"},
      {"begin_at", Json::array(), "task: begin_at must be a whole number"},
  };
  for (const auto& c : cases) {
    Json j = good;
    j[c.field] = c.value;
    auto t = taskInfoFromJson(j);
    ASSERT_FALSE(t) << j.dump();
    EXPECT_EQ(t.error().code, errc::protocol);
    EXPECT_EQ(t.error().message, c.says);
  }
  Json no_id = good;
  no_id.erase("id");
  ASSERT_FALSE(taskInfoFromJson(no_id));
  EXPECT_EQ(taskInfoFromJson(no_id).error().message, "task: id is missing");
}

TEST(ErrorJson, AMalformedErrorObjectIsAProtocolErrorNotACrash) {
  EXPECT_EQ(errorFromJson(Json{{"code", 7}, {"message", "x"}}).code, errc::protocol);
  EXPECT_EQ(errorFromJson(Json(3)).code, errc::protocol);
  const Error e = errorFromJson(errorJson(Error(errc::network, "down")));
  EXPECT_EQ(e.code, errc::network);
  EXPECT_EQ(e.message, "down");
}

TEST(LineBuffer, SplitsAcrossReadsAndBoundsUnfinishedLines) {
  LineBuffer b(16);
  b.append("{\"a\":");
  EXPECT_FALSE(b.next());
  b.append("1}\r\nsecond\nthi");
  EXPECT_EQ(*b.next(), "{\"a\":1}");
  EXPECT_EQ(*b.next(), "second");
  EXPECT_FALSE(b.next());
  EXPECT_FALSE(b.overflowed());
  b.append(std::string(20, 'x'));
  EXPECT_TRUE(b.overflowed());
}
