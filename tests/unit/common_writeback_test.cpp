#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "common/unique_fd.hpp"
#include "common/writeback.hpp"
#include "support/fixtures.hpp"

using namespace ferry;

TEST(Writeback, StartsOncePerChunkOfNewBytes) {
  test::TempDir dir;
  auto path = dir / "f";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd);
  files::WritebackStarter writeback(0, 4096);
  const std::string block(1500, 'x');
  std::uint64_t end = 0;
  auto write = [&] {
    ASSERT_EQ(::write(fd.get(), block.data(), block.size()), static_cast<ssize_t>(block.size()));
    end += block.size();
  };
  write();
  EXPECT_FALSE(writeback.wrote(fd.get(), end));
  write();
  EXPECT_FALSE(writeback.wrote(fd.get(), end));
  write();  // 4500 bytes: one chunk and a bit
  EXPECT_TRUE(writeback.wrote(fd.get(), end));
  EXPECT_EQ(writeback.startedUpTo(), 4500u);
  write();
  EXPECT_FALSE(writeback.wrote(fd.get(), end));
  EXPECT_EQ(writeback.startedUpTo(), 4500u);
}

TEST(Writeback, CutBackFileCountsFromTheCut) {
  files::WritebackStarter writeback(10000, 4096);
  EXPECT_FALSE(writeback.wrote(-1, 12000));  // the bytes below 10000 are durable already
  writeback.restartAt(2000);
  EXPECT_TRUE(writeback.wrote(-1, 6096));  // a bad fd: only a hint, nothing to report
  EXPECT_EQ(writeback.startedUpTo(), 6096u);
  EXPECT_TRUE(writeback.wrote(-1, 5000));  // cut back unannounced: from the start again
  EXPECT_EQ(writeback.startedUpTo(), 5000u);
}
