// The launcher's rate limit and back-off rule (daemon/app_launcher.hpp); the behaviour with real
// processes is in tests/integration/relaunch_test.cpp.

#include <gtest/gtest.h>

#include "daemon/app_launcher.hpp"

using namespace ferry::daemon;
using std::chrono::seconds;

TEST(LaunchNotBefore, NeverLaunchedMayLaunchAtOnce) {
  EXPECT_EQ(launchNotBefore(0, 0, seconds(30), seconds(3600)), 0);
  EXPECT_EQ(launchNotBefore(0, 5, seconds(30), seconds(3600)), 0);
}

TEST(LaunchNotBefore, MinIntervalAfterTheLastLaunchThenDoublingPerFailure) {
  const std::int64_t last = 1'700'000'000'000;
  EXPECT_EQ(launchNotBefore(last, 0, seconds(30), seconds(3600)), last + 30'000);
  EXPECT_EQ(launchNotBefore(last, 1, seconds(30), seconds(3600)), last + 60'000);
  EXPECT_EQ(launchNotBefore(last, 2, seconds(30), seconds(3600)), last + 120'000);
  EXPECT_EQ(launchNotBefore(last, 6, seconds(30), seconds(3600)), last + 1'920'000);
}

TEST(LaunchNotBefore, BackoffIsCappedButNeverBelowTheInterval) {
  const std::int64_t last = 1'700'000'000'000;
  EXPECT_EQ(launchNotBefore(last, 7, seconds(30), seconds(3600)), last + 3'600'000);
  EXPECT_EQ(launchNotBefore(last, 1'000'000, seconds(30), seconds(3600)), last + 3'600'000);  // no overflow
  EXPECT_EQ(launchNotBefore(last, 3, seconds(7200), seconds(3600)), last + 7'200'000);
  EXPECT_EQ(launchNotBefore(last, 0, seconds(86400), seconds(3600)), last + 86'400'000);
}
