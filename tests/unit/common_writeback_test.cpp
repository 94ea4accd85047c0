#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

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

namespace {

// The descriptors open in this process, as number -> what it names: a descriptor another test's
// thread closes meanwhile is not one this test opened.
std::map<std::string, std::string> openDescriptors() {
  std::map<std::string, std::string> open;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    open[entry.path().filename().string()] = std::filesystem::read_symlink(entry.path(), ec).string();
  }
  return open;
}

// Those of `after` that were not open in `before`.
std::vector<std::string> newDescriptors(const std::map<std::string, std::string>& before,
                                        const std::map<std::string, std::string>& after) {
  std::vector<std::string> added;
  for (const auto& [fd, target] : after) {
    auto it = before.find(fd);
    if (it == before.end() || it->second != target) added.push_back(fd + " -> " + target);
  }
  return added;
}

}  // namespace

TEST(Writeback, ThreadStartsWritebackAfterTheCallerClosedItsDescriptor) {
  test::TempDir dir;
  auto path = dir / "f";
  files::WritebackThread thread;
  const auto before = openDescriptors();
  {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd);
    const std::string block(64 * 1024, 'x');
    ASSERT_EQ(::write(fd.get(), block.data(), block.size()), static_cast<ssize_t>(block.size()));
    EXPECT_TRUE(thread.start(fd.get(), 0, block.size()));
  }  // closed before the thread may have run
  thread.drain();
  EXPECT_EQ(thread.startedCount(), 1u);
  // The directory iterator's own descriptor is gone by then.
  EXPECT_EQ(newDescriptors(before, openDescriptors()), std::vector<std::string>{}) << "the thread's copy of the descriptor is closed";
}

TEST(Writeback, ThreadThatIsBehindLeavesTheWorkToTheCaller) {
  test::TempDir dir;
  UniqueFd fd(::open((dir / "f").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd);
  files::WritebackThread full(0);  // never takes a request
  EXPECT_FALSE(full.start(fd.get(), 0, 4096));
  files::WritebackThread thread;
  EXPECT_FALSE(thread.start(-1, 0, 4096)) << "a descriptor that cannot be copied: done (and failed) at once";
  thread.drain();
  EXPECT_EQ(full.startedCount(), 0u);
  EXPECT_EQ(thread.startedCount(), 0u);
}

TEST(Writeback, StarterHandsItsChunksToItsThread) {
  test::TempDir dir;
  UniqueFd fd(::open((dir / "f").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd);
  files::WritebackThread thread;
  files::WritebackStarter writeback(0, 4096, &thread);
  const std::string block(5000, 'y');
  ASSERT_EQ(::write(fd.get(), block.data(), block.size()), static_cast<ssize_t>(block.size()));
  EXPECT_TRUE(writeback.wrote(fd.get(), block.size()));
  thread.drain();
  EXPECT_EQ(thread.startedCount(), 1u);
}
