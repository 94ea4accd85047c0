// WriteBehind: pwrites on another thread, in order, with their errors.

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <future>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "common/write_behind.hpp"
#include "support/fixtures.hpp"

namespace ferry::files {
namespace {

TEST(WriteBehind, WritesEveryChunkAtItsOffset) {
  ::ferry::test::TempDir dir;
  const auto path = dir / "f";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd);
  std::vector<std::string> chunks;
  for (char c = 'a'; c <= 'h'; ++c) chunks.emplace_back(100000 + (c - 'a'), c);
  std::vector<std::future<WriteResult>> done;
  std::uint64_t offset = 0;
  {
    WriteBehind writer;
    for (const auto& chunk : chunks) {
      done.push_back(writer.write(fd.get(), chunk.data(), chunk.size(), offset));
      offset += chunk.size();
    }
    for (std::size_t i = 0; i < done.size(); ++i) {
      const WriteResult r = done[i].get();
      EXPECT_EQ(r.error, 0);
      EXPECT_EQ(r.written, chunks[i].size());
    }
  }
  std::string expected;
  for (const auto& chunk : chunks) expected += chunk;
  EXPECT_EQ(::ferry::test::readFile(path), expected);
}

TEST(WriteBehind, ReportsTheErrnoOfAFailedWrite) {
  UniqueFd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(full);
  WriteBehind writer;
  const std::string bytes(70000, 'x');
  const WriteResult r = writer.write(full.get(), bytes.data(), bytes.size(), 0).get();
  EXPECT_EQ(r.error, ENOSPC);
  EXPECT_EQ(r.written, 0u);

  ::ferry::test::TempDir dir;
  UniqueFd read_only(::open((dir / "r").c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(read_only);
  EXPECT_EQ(writer.write(read_only.get(), bytes.data(), bytes.size(), 0).get().error, EBADF);
}

TEST(WriteBehind, DestructorFinishesWhatIsQueued) {
  ::ferry::test::TempDir dir;
  const auto path = dir / "f";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd);
  const std::string bytes(1 << 20, 'z');
  std::vector<std::future<WriteResult>> done;
  {
    WriteBehind writer;
    for (int i = 0; i < 16; ++i) done.push_back(writer.write(fd.get(), bytes.data(), bytes.size(), i * bytes.size()));
  }
  for (auto& d : done) {
    ASSERT_EQ(d.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_EQ(d.get().error, 0);
  }
  EXPECT_EQ(std::filesystem::file_size(path), 16u << 20);
}

}  // namespace
}  // namespace ferry::files
