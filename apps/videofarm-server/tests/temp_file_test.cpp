// TempFile: what write() accepted is in the file, in order, whichever thread wrote each chunk.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "storage.hpp"

namespace vf {
namespace {

std::string readAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class TempFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("vf-tempfile-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

TEST_F(TempFileTest, BigAndSmallChunksLandInOrder) {
  // Big chunks go to the write-behind thread, small ones are written at once: a small one after a
  // big one must still land after it (it once overwrote the file's start).
  Storage storage(root_);
  auto file = TempFile::create(storage);
  ASSERT_TRUE(file) << file.error().describe();
  std::mt19937 rng(7);
  std::string expected;
  for (std::size_t size : {300000u, 10u, 70000u, 65535u, 65536u, 1u, 262144u, 4000u, 200000u}) {
    std::string chunk(size, '\0');
    for (auto& c : chunk) c = static_cast<char>(rng());
    ASSERT_TRUE(file->write(chunk));
    expected += chunk;
  }
  EXPECT_EQ(file->size(), expected.size());
  ASSERT_TRUE(file->sync());
  EXPECT_EQ(readAll(file->path()), expected);
}

TEST_F(TempFileTest, MovedWhileWritingKeepsEveryByte) {
  Storage storage(root_);
  auto created = TempFile::create(storage);
  ASSERT_TRUE(created);
  const std::string big(512 * 1024, 'b');
  ASSERT_TRUE(created->write(big));  // in flight on the other thread
  TempFile moved(std::move(*created));
  ASSERT_TRUE(moved.write("tail"));
  const auto target = root_ / "movie";
  ASSERT_TRUE(moved.commitTo(target));
  EXPECT_EQ(readAll(target), big + "tail");
}

TEST_F(TempFileTest, DestroyedWhileWritingLeavesNothing) {
  Storage storage(root_);
  std::filesystem::path path;
  {
    auto file = TempFile::create(storage);
    ASSERT_TRUE(file);
    path = file->path();
    ASSERT_TRUE(file->write(std::string(1 << 20, 'x')));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace vf
