// How the requests of an upload's attempt (HEAD then PATCH) become one metrics entry, and the
// cap on the number of entries (engine/attempt_metrics.hpp).

#include <gtest/gtest.h>

#include "engine/attempt_metrics.hpp"

namespace ferry::engine::test {
namespace {

using std::chrono::microseconds;

model::AttemptMetrics request(long status, bool reused, microseconds connect, microseconds first_byte,
                              microseconds total, std::uint64_t sent) {
  model::AttemptMetrics m;
  m.url = "http://127.0.0.1:1/u/" + std::to_string(status);
  m.status = status;
  m.http_version = "1.1";
  m.remote_address = "127.0.0.1";
  m.remote_port = 1;
  m.reused_connection = reused;
  m.connect = connect;
  m.first_byte = first_byte;
  m.total = total;
  m.bytes_sent = sent;
  return m;
}

TEST(AttemptMetrics, RequestsOfOneAttemptMergeIntoOneEntry) {
  model::TaskMetrics metrics;
  recordAttemptMetrics(metrics, request(200, false, microseconds(50), microseconds(300), microseconds(400), 0), false, 32);
  recordAttemptMetrics(metrics, request(204, true, microseconds(0), microseconds(900), microseconds(1000), 5000), true, 32);
  ASSERT_EQ(metrics.attempts.size(), 1u);
  const auto& a = metrics.attempts[0];
  EXPECT_EQ(a.status, 204);  // the last request's
  EXPECT_EQ(a.url, "http://127.0.0.1:1/u/204");
  EXPECT_EQ(a.connect, microseconds(50));      // the first request made the connection
  EXPECT_EQ(a.first_byte, microseconds(300));  // the first request's first byte
  EXPECT_EQ(a.total, microseconds(1400));
  EXPECT_EQ(a.bytes_sent, 5000u);
  EXPECT_FALSE(a.reused_connection);

  recordAttemptMetrics(metrics, request(503, true, microseconds(0), microseconds(10), microseconds(20), 0), false, 32);
  ASSERT_EQ(metrics.attempts.size(), 2u);
  EXPECT_TRUE(metrics.attempts[1].reused_connection);
}

TEST(AttemptMetrics, OnlyTheLastAttemptsAreKept) {
  model::TaskMetrics metrics;
  for (long i = 0; i < 40; ++i)
    recordAttemptMetrics(metrics, request(500 + i, false, microseconds(1), microseconds(2), microseconds(3), 0), false, 32);
  ASSERT_EQ(metrics.attempts.size(), 32u);
  EXPECT_EQ(metrics.attempts.front().status, 508);
  EXPECT_EQ(metrics.attempts.back().status, 539);
}

}  // namespace
}  // namespace ferry::engine::test
