#include <gtest/gtest.h>

#include "common/files.hpp"
#include "support/fixtures.hpp"

using namespace ferry;

TEST(Files, TruncateCutsLongerFileAndLeavesShorterOne) {
  test::TempDir dir;
  auto p = dir / "f";
  test::writeFile(p, "0123456789");
  ASSERT_TRUE(files::truncateTo(p, 4));
  EXPECT_EQ(test::readFile(p), "0123");
  ASSERT_TRUE(files::truncateTo(p, 100));
  EXPECT_EQ(test::readFile(p), "0123");
}

TEST(Files, RenameDurablyMovesAndMissingSourceIsNotFound) {
  test::TempDir dir;
  test::writeFile(dir / "a", "x");
  ASSERT_TRUE(files::renameDurably(dir / "a", dir / "b"));
  EXPECT_EQ(test::readFile(dir / "b"), "x");
  auto r = files::renameDurably(dir / "a", dir / "c");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::not_found);
}

TEST(Files, FileSizeOfDirectoryIsAnError) {
  test::TempDir dir;
  auto r = files::fileSize(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io);
}

TEST(Files, SyncDataOfMissingFileIsNotFound) {
  test::TempDir dir;
  auto r = files::syncData(dir / "nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::not_found);
}
