// The notification hub: every observer gets every event, in subscription order; a dropped
// Subscription stops them; observers may unsubscribe from inside a callback.
#include <gtest/gtest.h>

#include "videofarm/events.hpp"

using namespace videofarm;

TEST(VideoFarmEvents, EveryObserverGetsEveryEventUntilItUnsubscribes) {
  auto hub = std::make_shared<EventHub>();
  std::vector<std::string> seen;
  auto first = hub->subscribe([&](const Event& e) { seen.push_back("1:" + describe(e)); });
  auto second = hub->subscribe([&](const Event& e) { seen.push_back("2:" + describe(e)); });
  hub->publish(UploadFinished{"3f2a9c0d4e5b6a71", 201});
  second.reset();
  hub->publish(DownloadFailed{"3f2a9c0d4e5b6a71", Role::thumbnail, Error("network", "refused"), true});
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "1:upload of 3f2a9c0d4e5b6a71 finished (201)");
  EXPECT_EQ(seen[1], "2:upload of 3f2a9c0d4e5b6a71 finished (201)");
  EXPECT_EQ(seen[2].rfind("1:download of 3f2a9c0d4e5b6a71 thumbnail failed: network: refused", 0), 0u) << seen[2];
}

TEST(VideoFarmEvents, AnObserverMayUnsubscribeItselfWhileCalled) {
  auto hub = std::make_shared<EventHub>();
  int calls = 0;
  Subscription self;
  self = hub->subscribe([&](const Event&) {
    ++calls;
    self.reset();
  });
  hub->publish(ListRefreshed{});
  hub->publish(ListRefreshed{});
  EXPECT_EQ(calls, 1);
}

TEST(VideoFarmEvents, ASubscriptionOutlivingItsHubIsHarmless) {
  Subscription s;
  {
    auto hub = std::make_shared<EventHub>();
    s = hub->subscribe([](const Event&) {});
  }
  s.reset();
  SUCCEED();
}
