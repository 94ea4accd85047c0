// Pure pieces of the engine: header parsing, back-off, URL checks, admission control.

#include <gtest/gtest.h>

#include <random>

#include "engine/backoff.hpp"
#include "engine/http_headers.hpp"
#include "engine/scheduler.hpp"
#include "engine/url_check.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;

TEST(EngineHeaders, ParsesContentRange) {
  auto range = parseContentRange("bytes 100-199/1000");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 100u);
  EXPECT_EQ(range->last, 199u);
  EXPECT_EQ(range->complete_length, 1000u);

  range = parseContentRange(" Bytes 0-0/*");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 0u);
  EXPECT_FALSE(range->complete_length);

  range = parseContentRange("bytes */5000");
  ASSERT_TRUE(range);
  EXPECT_FALSE(range->first);
  EXPECT_EQ(range->complete_length, 5000u);
}

TEST(EngineHeaders, RejectsMalformedContentRange) {
  EXPECT_FALSE(parseContentRange(""));
  EXPECT_FALSE(parseContentRange("bytes 100-/1000"));
  EXPECT_FALSE(parseContentRange("bytes 200-100/1000"));
  EXPECT_FALSE(parseContentRange("bytes 0-1000/1000"));  // last beyond the length
  EXPECT_FALSE(parseContentRange("bytes */*"));
  EXPECT_FALSE(parseContentRange("items 0-1/2"));
  EXPECT_FALSE(parseContentRange("bytes 1x-2/3"));
}

TEST(EngineHeaders, KeepsOnlyStrongEtags) {
  EXPECT_EQ(strongEtag("\"abc\""), "\"abc\"");
  EXPECT_EQ(strongEtag("  \"abc\" "), "\"abc\"");
  EXPECT_EQ(strongEtag("W/\"abc\""), "");
  EXPECT_EQ(strongEtag("abc"), "");
}

TEST(EngineHeaders, IfRangePrefersEtag) {
  EXPECT_EQ(ifRangeValue({"\"e\"", "Wed, 21 Oct 2015 07:28:00 GMT"}), "\"e\"");
  EXPECT_EQ(ifRangeValue({"", "Wed, 21 Oct 2015 07:28:00 GMT"}), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(ifRangeValue({}), "");
}

TEST(EngineHeaders, RefusesRequestsThatCouldSmuggleLines) {
  HttpRequest request;
  request.headers = {{"Authorization", "Bearer x"}, {"X-Empty", ""}};
  EXPECT_TRUE(checkRequestSyntax(request));
  request.method = "PROPFIND";
  EXPECT_TRUE(checkRequestSyntax(request));

  for (const char* method : {"", "GET /x HTTP/1.1\r\nX: y", "G ET"}) {
    HttpRequest bad;
    bad.method = method;
    auto checked = checkRequestSyntax(bad);
    ASSERT_FALSE(checked) << method;
    EXPECT_EQ(checked.error().code, errc::invalid_argument);
  }
  HttpRequest bad_value;
  bad_value.headers = {{"X-A", "1\r\nHost: evil"}};
  EXPECT_FALSE(checkRequestSyntax(bad_value));
  HttpRequest bad_name;
  bad_name.headers = {{"X A:", "1"}};
  EXPECT_FALSE(checkRequestSyntax(bad_name));
}

TEST(EngineBackoff, DoublesWithJitterUpToTheCap) {
  RetryPolicy policy;
  policy.initial_backoff = 1000ms;
  policy.max_backoff = 8000ms;
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    for (int failures = 1; failures <= 10; ++failures) {
      auto full = std::min(1000ms * (1 << std::min(failures - 1, 20)), 8000ms);
      auto delay = backoffDelay(policy, failures, rng);
      EXPECT_GE(delay, full / 2) << failures;
      EXPECT_LE(delay, full) << failures;
    }
  }
  EXPECT_LE(backoffDelay(policy, 1000000, rng), 8000ms);
}

TEST(EngineBackoff, RetryAfterWins) {
  RetryPolicy policy;
  std::mt19937_64 rng(1);
  EXPECT_EQ(retryDelay(policy, 3, std::chrono::seconds(7), rng), 7000ms);
}

TEST(EngineUrl, AcceptsHttpAndBuildsHostKey) {
  auto checked = checkUrl("HTTPS://Example.COM/a?b=c");
  ASSERT_TRUE(checked) << checked.error().describe();
  EXPECT_EQ(checked->host_key, "https://example.com:443");
  checked = checkUrl("http://127.0.0.1:8080/x");
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->host_key, "http://127.0.0.1:8080");
}

TEST(EngineUrl, RejectsBadUrlsAndSchemes) {
  for (const char* url : {"", "not a url", "http://", "http://exa mple.com/", "//host/path"}) {
    auto checked = checkUrl(url);
    ASSERT_FALSE(checked) << url;
    EXPECT_EQ(checked.error().code, errc::bad_url) << url;
  }
  for (const char* url : {"ftp://example.com/file", "file:///etc/passwd", "gopher://x/", "foo://bar/"}) {
    auto checked = checkUrl(url);
    ASSERT_FALSE(checked) << url;
    EXPECT_EQ(checked.error().code, errc::unsupported_scheme) << url;
  }
}

TEST(EngineScheduler, AppliesGroupHostAndTotalLimits) {
  Scheduler scheduler(3);
  scheduler.setLimits("g", GroupLimits{2, 1});
  EXPECT_FALSE(scheduler.blockReason("g", "http://a:80"));
  scheduler.onStarted("g", "http://a:80");
  EXPECT_EQ(scheduler.blockReason("g", "http://a:80"), "connection-limit");
  EXPECT_FALSE(scheduler.blockReason("g", "http://b:80"));
  scheduler.onStarted("g", "http://b:80");
  EXPECT_EQ(scheduler.blockReason("g", "http://c:80"), "concurrency-limit");
  EXPECT_FALSE(scheduler.blockReason("other", "http://a:80"));  // limits are per group
  scheduler.onStarted("other", "http://a:80");
  EXPECT_EQ(scheduler.blockReason("third", "http://z:80"), "concurrency-limit");  // total of 3
  scheduler.onStopped("g", "http://a:80");
  EXPECT_FALSE(scheduler.blockReason("g", "http://a:80"));
}

}  // namespace
}  // namespace ferry::engine
