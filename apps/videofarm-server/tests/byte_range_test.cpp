#include <gtest/gtest.h>

#include "byte_range.hpp"

namespace vf {
namespace {

using Kind = RangeDecision::Kind;

void expectPartial(std::string_view h, std::uint64_t size, std::uint64_t first, std::uint64_t last) {
  auto d = evaluateRange(h, size);
  ASSERT_EQ(d.kind, Kind::Partial) << h;
  EXPECT_EQ(d.first, first) << h;
  EXPECT_EQ(d.last, last) << h;
}

TEST(ByteRange, SingleRanges) {
  expectPartial("bytes=0-0", 100, 0, 0);
  expectPartial("bytes=10-19", 100, 10, 19);
  expectPartial("bytes=90-", 100, 90, 99);
  expectPartial("bytes=90-1000", 100, 90, 99);
  expectPartial("bytes=-10", 100, 90, 99);
  expectPartial("bytes=-1000", 100, 0, 99);
  expectPartial("BYTES= 5 - 6 ", 100, 5, 6);
  expectPartial("bytes=, 5-6", 100, 5, 6);
}

TEST(ByteRange, Unsatisfiable) {
  EXPECT_EQ(evaluateRange("bytes=100-", 100).kind, Kind::Unsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=-0", 100).kind, Kind::Unsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=0-", 0).kind, Kind::Unsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=5-2", 100).kind, Kind::Unsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=abc", 100).kind, Kind::Unsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=--5", 100).kind, Kind::Unsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=", 100).kind, Kind::Unsatisfiable);
  EXPECT_EQ(evaluateRange("bytes=99999999999999999999-", 100).kind, Kind::Unsatisfiable);
}

TEST(ByteRange, IgnoredOrWhole) {
  EXPECT_EQ(evaluateRange("items=0-5", 100).kind, Kind::Full);
  EXPECT_EQ(evaluateRange("bytes=0-5,10-20", 100).kind, Kind::Full);
  EXPECT_EQ(evaluateRange("bytes=0-5,0-5", 100).kind, Kind::Full);
}

}  // namespace
}  // namespace vf
