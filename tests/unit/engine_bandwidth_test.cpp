// How bandwidth limits are split among running transfers (engine/bandwidth.hpp): pure arithmetic.

#include <gtest/gtest.h>

#include "engine/bandwidth.hpp"

namespace ferry::engine {
namespace {

TEST(BandwidthShare, NoLimitsLeaveEveryTransferUnlimitedOrAtItsOwnCap) {
  auto rates = shareBandwidth({}, {{1, "a", 0}, {2, "a", 5000}});
  EXPECT_EQ(rates, (std::vector<std::uint64_t>{0, 5000}));
}

TEST(BandwidthShare, GlobalLimitIsSplitEquallyAmongAllTransfers) {
  BandwidthLimits limits;
  limits.global = 9000;
  auto rates = shareBandwidth(limits, {{1, "a", 0}, {2, "b", 0}, {3, "b", 0}});
  EXPECT_EQ(rates, (std::vector<std::uint64_t>{3000, 3000, 3000}));
}

TEST(BandwidthShare, ATransferCappedBelowItsShareLeavesTheRestToTheOthers) {
  BandwidthLimits limits;
  limits.global = 9000;
  auto rates = shareBandwidth(limits, {{1, "a", 1000}, {2, "b", 0}, {3, "b", 0}});
  EXPECT_EQ(rates, (std::vector<std::uint64_t>{1000, 4000, 4000}));
}

TEST(BandwidthShare, SessionLimitCoversOnlyItsSessionAndTheGlobalOneFillsUpTheOthers) {
  BandwidthLimits limits;
  limits.global = 10000;
  limits.per_group["slow"] = 2000;
  auto rates = shareBandwidth(limits, {{1, "slow", 0}, {2, "slow", 0}, {3, "fast", 0}});
  EXPECT_EQ(rates, (std::vector<std::uint64_t>{1000, 1000, 8000}));
}

TEST(BandwidthShare, SessionLimitAloneLeavesOtherSessionsUnlimited) {
  BandwidthLimits limits;
  limits.per_group["slow"] = 3000;
  auto rates = shareBandwidth(limits, {{1, "slow", 0}, {2, "other", 0}, {3, "slow", 0}});
  EXPECT_EQ(rates, (std::vector<std::uint64_t>{1500, 0, 1500}));
}

TEST(BandwidthShare, TinyLimitsNeverGiveZeroWhichWouldMeanUnlimited) {
  BandwidthLimits limits;
  limits.global = 2;
  auto rates = shareBandwidth(limits, {{1, "a", 0}, {2, "a", 0}, {3, "a", 0}});
  for (auto r : rates) EXPECT_GE(r, 1u);
}

TEST(BandwidthShare, SharesNeverAddUpToMoreThanTheLimitWhenItCanBeMet) {
  BandwidthLimits limits;
  limits.global = 1000003;
  std::vector<RateDemand> demands;
  for (std::uint64_t i = 0; i < 7; ++i) demands.push_back({i, i % 2 ? "odd" : "even", i * 50000});
  limits.per_group["odd"] = 120000;
  auto rates = shareBandwidth(limits, demands);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    EXPECT_GE(rates[i], 1u);
    if (demands[i].own_cap > 0) {
      EXPECT_LE(rates[i], demands[i].own_cap);
    }
    sum += rates[i];
  }
  EXPECT_LE(sum, limits.global);
  EXPECT_LE(rates[1] + rates[3] + rates[5], 120000u);
}

}  // namespace
}  // namespace ferry::engine
