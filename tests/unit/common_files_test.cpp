#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "common/files.hpp"
#include "common/unique_fd.hpp"
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

TEST(Files, WriteAllWritesAtTheOffsetAndLeavesThePositionAlone) {
  test::TempDir dir;
  auto p = dir / "f";
  test::writeFile(p, "0123456789");
  UniqueFd fd(::open(p.c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(fd);
  ASSERT_TRUE(files::writeAll(fd.get(), std::string_view("ab"), 4, p));
  ASSERT_TRUE(files::writeAll(fd.get(), std::string_view("XYZ"), 10, p));  // past the end: extends
  EXPECT_EQ(::lseek(fd.get(), 0, SEEK_CUR), 0);
  EXPECT_EQ(test::readFile(p), "0123ab6789XYZ");
}

TEST(Files, WriteAllToAReadOnlyDescriptorSaysWhichFile) {
  test::TempDir dir;
  auto p = dir / "ro";
  test::writeFile(p, "x");
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  auto r = files::writeAll(fd.get(), std::string_view("y"), 0, p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("write " + p.string()), std::string::npos) << r.error().message;
  const files::WriteResult raw = files::writeAll(fd.get(), "y", 1, 0);
  EXPECT_EQ(raw.error, EBADF);
  EXPECT_EQ(raw.written, 0u);
}

TEST(Files, FileIdentityChangesWhenTheFileIsRewrittenAndRefusesADirectory) {
  test::TempDir dir;
  auto p = dir / "f";
  test::writeFile(p, "one");
  auto first = files::fileIdentity(p);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->size, 3u);
  test::writeFile(p, "three");
  auto second = files::fileIdentity(p);
  ASSERT_TRUE(second);
  EXPECT_NE(*first, *second);
  auto of_dir = files::fileIdentity(dir.path());
  ASSERT_FALSE(of_dir);
  EXPECT_EQ(of_dir.error().code, errc::invalid_argument);
  EXPECT_NE(of_dir.error().message.find("is not a regular file"), std::string::npos);
  auto missing = files::fileIdentity(dir / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
}

// What ferryd's delivery and libferry's ferry::moveFileDurably do with a finished file.
TEST(Files, MoveDurablyRenamesWithinAFileSystemAndReplacesTheTarget) {
  test::TempDir dir;
  test::writeFile(dir / "a", "new");
  test::writeFile(dir / "b", "old");
  ASSERT_TRUE(files::moveDurably(dir / "a", dir / "b"));
  EXPECT_EQ(test::readFile(dir / "b"), "new");
  EXPECT_FALSE(std::filesystem::exists(dir / "a"));
  auto missing = files::moveDurably(dir / "a", dir / "c");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
  EXPECT_NE(missing.error().message.find((dir / "a").string()), std::string::npos) << missing.error().message;
}

TEST(Files, MoveDurablyCopiesAcrossFileSystemsAndRemovesTheSource) {
  // /dev/shm is a memory file system; the test directory is on the disk (skip where they are one).
  test::TempDir dir;
  auto shm = std::filesystem::path("/dev/shm") / ("ferry-move-test-" + std::to_string(::getpid()));
  struct stat a{}, b{};
  if (::stat("/dev/shm", &a) != 0 || ::stat(dir.path().c_str(), &b) != 0 || a.st_dev == b.st_dev)
    GTEST_SKIP() << "/dev/shm and " << dir.path() << " are not two file systems here";
  const std::string bytes(3 * 1024 * 1024 + 7, 'x');
  test::writeFile(shm, bytes);
  ASSERT_TRUE(files::moveDurably(shm, dir / "moved"));
  EXPECT_EQ(test::readFile(dir / "moved"), bytes);
  EXPECT_FALSE(std::filesystem::exists(shm));
  EXPECT_FALSE(std::filesystem::exists(dir / "moved.ferry-partial"));
}

TEST(Files, WriteDurablyReplacesTheWholeContentWithTheGivenMode) {
  test::TempDir dir;
  test::writeFile(dir / "token.json", "an older and longer content");
  test::writeFile(dir / "token.json.ferry-partial", "a crash's leftover");
  ::chmod((dir / "token.json.ferry-partial").c_str(), 0644);
  ASSERT_TRUE(files::writeDurably(dir / "token.json", "secret", 0600));
  EXPECT_EQ(test::readFile(dir / "token.json"), "secret");
  struct stat st{};
  ASSERT_EQ(::stat((dir / "token.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(dir / "token.json.ferry-partial"));
  auto nowhere = files::writeDurably(dir / "no" / "such" / "dir", "x", 0600);
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code, errc::not_found);
}
