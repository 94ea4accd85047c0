// EngineAdmission: which tasks ferryd hands to the engine now and in which order the others follow.

#include <gtest/gtest.h>

#include "daemon/engine_admission.hpp"

using ferry::daemon::EngineAdmission;

namespace {

EngineAdmission::Place place(std::uint64_t id, const std::string& host = "http://a:80", double priority = 0.5,
                             bool discretionary = false, const std::string& session = "s") {
  return EngineAdmission::Place{id, session, host, discretionary, priority};
}

// Enters ids [first, last] to `host`; returns how many were admitted.
int enterRange(EngineAdmission& admission, std::uint64_t first, std::uint64_t last, const std::string& host) {
  int admitted = 0;
  for (auto id = first; id <= last; ++id) admitted += admission.enter(place(id, host)) ? 1 : 0;
  return admitted;
}

}  // namespace

TEST(EngineAdmission, ASessionFillsItsHostWindowAndTheRestWait) {
  EngineAdmission admission;
  admission.setLimits("s", 2, 2);  // windows: max(32, 8) per session, max(16, 8) per host
  EXPECT_EQ(enterRange(admission, 1, 40, "http://a:80"), EngineAdmission::kMinHostWindow);
  EXPECT_EQ(admission.admittedCount(), 16u);
  EXPECT_EQ(admission.waitingCount(), 24u);
  // Another host has room of its own within the session's window.
  EXPECT_EQ(enterRange(admission, 41, 60, "http://b:80"), EngineAdmission::kMinSessionWindow - 16);
  EXPECT_EQ(admission.waitingCount(), 24u + 4u);
}

TEST(EngineAdmission, LeavingGivesTheRoomToTheBestWaitingTaskOfThatHost) {
  EngineAdmission admission;
  enterRange(admission, 1, 16, "http://a:80");
  EXPECT_FALSE(admission.enter(place(17, "http://a:80", 0.1)));
  EXPECT_FALSE(admission.enter(place(18, "http://a:80", 0.5, true)));  // discretionary: after all regular work
  EXPECT_FALSE(admission.enter(place(19, "http://a:80", 0.9)));
  EXPECT_FALSE(admission.enter(place(20, "http://a:80", 0.1)));
  EXPECT_EQ(admission.left(3), (std::vector<std::uint64_t>{19}));  // highest priority first
  EXPECT_EQ(admission.left(4), (std::vector<std::uint64_t>{17}));  // then creation order
  EXPECT_EQ(admission.left(5), (std::vector<std::uint64_t>{20}));
  EXPECT_EQ(admission.left(6), (std::vector<std::uint64_t>{18}));
  EXPECT_TRUE(admission.left(7).empty());
  EXPECT_EQ(admission.waitingCount(), 0u);
}

TEST(EngineAdmission, AFullHostDoesNotHoldBackAnotherHostsTasks) {
  EngineAdmission admission;
  enterRange(admission, 1, 16, "http://a:80");
  enterRange(admission, 17, 40, "http://a:80");  // all wait: a's window is full
  enterRange(admission, 41, 56, "http://b:80");  // the session's 32 are used up now
  EXPECT_FALSE(admission.enter(place(57, "http://b:80")));
  // A task of b leaves: b's waiting task takes the room although a's waited longer (a is full).
  EXPECT_EQ(admission.left(41), (std::vector<std::uint64_t>{57}));
  // A task of a leaves: a's first waiting task.
  EXPECT_EQ(admission.left(1), (std::vector<std::uint64_t>{17}));
}

TEST(EngineAdmission, WithdrawnTasksAreNeverAdmitted) {
  EngineAdmission admission;
  enterRange(admission, 1, 18, "http://a:80");
  admission.withdraw(place(17));
  admission.withdraw(place(99));  // never entered: nothing happens
  EXPECT_EQ(admission.waitingCount(), 1u);
  EXPECT_EQ(admission.left(1), (std::vector<std::uint64_t>{18}));
}

TEST(EngineAdmission, EnteringTwiceCountsOnceAndUnknownIdsLeaveNothing) {
  EngineAdmission admission;
  EXPECT_TRUE(admission.enter(place(1)));
  EXPECT_TRUE(admission.enter(place(1)));
  EXPECT_EQ(admission.admittedCount(), 1u);
  EXPECT_TRUE(admission.left(42).empty());
  EXPECT_TRUE(admission.left(1).empty());
  EXPECT_TRUE(admission.left(1).empty());
  EXPECT_EQ(admission.admittedCount(), 0u);
}

TEST(EngineAdmission, SessionsHaveTheirOwnWindows) {
  EngineAdmission admission;
  enterRange(admission, 1, 20, "http://a:80");
  EXPECT_TRUE(admission.enter(place(100, "http://a:80", 0.5, false, "other")));
}

TEST(EngineAdmission, WiderLimitsAdmitWaitingTasksAtOnce) {
  EngineAdmission admission;
  enterRange(admission, 1, 30, "http://a:80");
  EXPECT_EQ(admission.waitingCount(), 14u);
  admission.setLimits("s", 16, 16);  // windows 64 and 64
  auto admitted = admission.admitWaiting("s");
  EXPECT_EQ(admitted.size(), 14u);
  EXPECT_EQ(admitted.front(), 17u);
  EXPECT_EQ(admitted.back(), 30u);
  EXPECT_TRUE(admission.admitWaiting("nobody").empty());
}
