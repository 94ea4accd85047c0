// The scheduling fields of create_download/create_upload and bandwidth limits: what is accepted
// and the errors for what is not.

#include <gtest/gtest.h>

#include "protocol/scheduling.hpp"

using namespace ferry;
using namespace ferry::protocol;

TEST(SchedulingFields, DefaultsWhenAbsent) {
  auto s = schedulingFromJson(Json{{"type", "create_download"}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->priority, kDefaultPriority);
  EXPECT_FALSE(s->discretionary);
  EXPECT_FALSE(s->begin_at);
}

TEST(SchedulingFields, RoundTrip) {
  auto s = schedulingFromJson(Json{{"priority", 0.75}, {"discretionary", true}, {"begin_at", 1764000000}});
  ASSERT_TRUE(s);
  Json stored;
  schedulingToJson(*s, stored);
  EXPECT_EQ(stored, (Json{{"priority", 0.75}, {"discretionary", true}, {"begin_at", 1764000000}}));
  auto again = schedulingFromJson(stored);
  ASSERT_TRUE(again);
  EXPECT_EQ(beginAtSeconds(*again), 1764000000);
  EXPECT_EQ(again->priority, 0.75);
  EXPECT_TRUE(again->discretionary);
}

TEST(SchedulingFields, BadValuesAreInvalidArgumentsThatSayWhatIsAllowed) {
  const std::vector<std::pair<Json, std::string>> cases = {
      {Json{{"priority", 1.5}}, "priority must be a number from 0.0 (lowest) to 1.0 (highest)"},
      {Json{{"priority", -0.1}}, "priority must be a number from 0.0"},
      {Json{{"priority", "high"}}, "priority must be a number from 0.0"},
      {Json{{"discretionary", "yes"}}, "discretionary must be true or false"},
      {Json{{"begin_at", "tomorrow"}}, "begin_at must be a whole number of seconds since 1970-01-01T00:00:00Z"},
      {Json{{"begin_at", -5}}, "begin_at must be a whole number"},
      {Json{{"begin_at", 1.5}}, "begin_at must be a whole number"},
      {Json{{"begin_at", 1e300}}, "begin_at must be a whole number"},
  };
  for (const auto& [message, says] : cases) {
    auto s = schedulingFromJson(message);
    ASSERT_FALSE(s) << message.dump();
    EXPECT_EQ(s.error().code, errc::invalid_argument);
    EXPECT_NE(s.error().message.find(says), std::string::npos) << s.error().message;
  }
}

TEST(SchedulingFields, WhatATaskAsksOfTheMachine) {
  auto plain = schedulingFromJson(Json{{"priority", 0.5}});
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->allows_expensive_network);
  EXPECT_TRUE(plain->allows_constrained_network);
  EXPECT_FALSE(plain->requires_external_power);
  Json written;
  putMachineNeeds(*plain, written);
  EXPECT_TRUE(written.is_null());  // the defaults are not sent: older ferryds read the same message

  auto careful = schedulingFromJson(Json{{"allows_expensive_network_access", false},
                                         {"allows_constrained_network_access", false},
                                         {"requires_external_power", true}});
  ASSERT_TRUE(careful);
  putMachineNeeds(*careful, written);
  auto again = schedulingFromJson(written);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *careful);

  auto wrong = schedulingFromJson(Json{{"requires_external_power", "yes"}});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, errc::invalid_argument);
  EXPECT_NE(wrong.error().message.find("requires_external_power must be true or false"), std::string::npos);
  auto config = sessionConfigFromJson(Json{{"allows_expensive_network_access", 0}});
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("allows_expensive_network_access must be true or false"), std::string::npos);
}

TEST(BandwidthLimitField, AcceptsZeroAndTheRangeAndRefusesTheRest) {
  EXPECT_EQ(bandwidthLimitFromJson(Json{{"bytes_per_second", 0}}, "bytes_per_second"), 0u);
  EXPECT_EQ(bandwidthLimitFromJson(Json{{"bytes_per_second", 5242880}}, "bytes_per_second"), 5242880u);
  for (const Json& bad : {Json{{"bytes_per_second", -1}}, Json{{"bytes_per_second", 1023}}, Json{{"bytes_per_second", "5M"}},
                          Json{{"bytes_per_second", 1.5}}, Json{{"bytes_per_second", 1ULL << 51}}, Json::object()}) {
    auto r = bandwidthLimitFromJson(bad, "bytes_per_second");
    ASSERT_FALSE(r) << bad.dump();
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_NE(r.error().message.find("bytes_per_second must be a whole number of bytes per second"), std::string::npos);
  }
}
