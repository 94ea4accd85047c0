// The local-directory blob store: what is committed is read back exactly with stable validators,
// what is not committed leaves nothing, uploads keep what was synced and drop what was not.
#include <gtest/gtest.h>

#include <unistd.h>

#include <random>

#include "blob_store.hpp"
#include "storage.hpp"

namespace vf {
namespace {

std::string bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(gen());
  return out;
}

std::string readAll(BlobReader& reader) {
  std::string out(reader.info().size, '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    auto n = reader.read(done, out.data() + done, std::min<std::size_t>(100000, out.size() - done));
    EXPECT_TRUE(n);
    if (!n || *n == 0) break;
    done += *n;
  }
  out.resize(done);
  return out;
}

std::size_t entries(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

class LocalBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("vf-blobs-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    store_ = openLocalBlobStore(root_.string());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(LocalBlobStoreTest, CommittedBlobReadsBackWithItsValidators) {
  const std::string movie = bytes(3 << 20, 1);
  auto writer = store_->create();
  ASSERT_TRUE(writer);
  for (std::size_t at = 0; at < movie.size(); at += 256 * 1024)
    ASSERT_TRUE((*writer)->write(std::string_view(movie).substr(at, 256 * 1024)));
  EXPECT_EQ((*writer)->size(), movie.size());
  ASSERT_FALSE(store_->open("0123456789abcdef", BlobKind::Movie));  // invisible until committed
  ASSERT_TRUE((*writer)->commitAs("0123456789abcdef", BlobKind::Movie));
  writer->reset();

  auto reader = store_->open("0123456789abcdef", BlobKind::Movie);
  ASSERT_TRUE(reader);
  EXPECT_EQ((*reader)->info().size, movie.size());
  EXPECT_GE((*reader)->fd(), 0);  // sendfile(2) from it
  EXPECT_EQ(readAll(**reader), movie);
  const std::string etag = (*reader)->info().etag;
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ((*store_->open("0123456789abcdef", BlobKind::Movie))->info().etag, etag);  // stable

  // Replaced: a new tag, the new bytes; a reader of the old one keeps reading the old bytes.
  auto next = store_->create();
  ASSERT_TRUE((*next)->write("shorter"));
  ASSERT_TRUE((*next)->commitAs("0123456789abcdef", BlobKind::Movie));
  auto replaced = store_->open("0123456789abcdef", BlobKind::Movie);
  EXPECT_NE((*replaced)->info().etag, etag);
  EXPECT_EQ(readAll(**replaced), "shorter");
  EXPECT_EQ(readAll(**reader), movie);
  EXPECT_EQ(entries(root_ / "tmp"), 0u);
}

TEST_F(LocalBlobStoreTest, UncommittedBlobLeavesNothing) {
  {
    auto writer = store_->create();
    ASSERT_TRUE((*writer)->write(bytes(1 << 20, 2)));
    ASSERT_TRUE((*writer)->sync());
    EXPECT_EQ(entries(root_ / "tmp"), 1u);
  }
  EXPECT_EQ(entries(root_ / "tmp"), 0u);
  auto missing = store_->open("0123456789abcdef", BlobKind::Thumbnail);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ferry::errc::not_found);
}

TEST_F(LocalBlobStoreTest, UploadIsCutBackToItsRecordedOffsetAndBecomesTheMovie) {
  const std::string token = randomId(kUploadTokenDigits);
  const std::string movie = bytes(100000, 3);
  ASSERT_TRUE(store_->createUpload(token));
  {
    auto writer = store_->openUpload(token, 0);
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->write(movie.substr(0, 60000)));
    ASSERT_TRUE((*writer)->sync());
  }
  // Only 40000 were recorded: the 20000 past them are dropped when the upload is reopened.
  auto writer = store_->openUpload(token, 40000);
  ASSERT_TRUE(writer);
  EXPECT_EQ((*writer)->size(), 40000u);
  EXPECT_EQ(std::filesystem::file_size(root_ / "uploads" / token), 40000u);
  ASSERT_TRUE((*writer)->write(movie.substr(40000, 30000)));
  ASSERT_TRUE((*writer)->cutBack(50000));  // a failed sync: back to what was durable
  ASSERT_TRUE((*writer)->write(movie.substr(50000)));
  ASSERT_TRUE((*writer)->commitAs("fedcba9876543210", BlobKind::Movie));
  auto reader = store_->open("fedcba9876543210", BlobKind::Movie);
  ASSERT_TRUE(reader);
  EXPECT_EQ(readAll(**reader), movie);
  EXPECT_FALSE(std::filesystem::exists(root_ / "uploads" / token));
  EXPECT_TRUE(store_->removeUpload(token, "fedcba9876543210"));  // nothing left to remove is no failure
}

TEST_F(LocalBlobStoreTest, RemovingAVideoAndAnUpload) {
  for (BlobKind kind : {BlobKind::Movie, BlobKind::Thumbnail}) {
    auto writer = store_->create();
    ASSERT_TRUE((*writer)->write("x"));
    ASSERT_TRUE((*writer)->commitAs("0123456789abcdef", kind));
  }
  const std::string token = randomId(kUploadTokenDigits);
  ASSERT_TRUE(store_->createUpload(token));
  ASSERT_TRUE(store_->removeVideo("0123456789abcdef"));
  ASSERT_TRUE(store_->removeUpload(token, "fedcba9876543210"));
  EXPECT_FALSE(store_->open("0123456789abcdef", BlobKind::Movie));
  EXPECT_FALSE(store_->open("0123456789abcdef", BlobKind::Thumbnail));
  EXPECT_EQ(entries(root_ / "videos"), 0u);
  EXPECT_EQ(entries(root_ / "uploads"), 0u);
  EXPECT_TRUE(store_->removeVideo("0123456789abcdef"));  // again: nothing to remove
  auto gone = store_->openUpload(token, 0);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ferry::errc::not_found);
}

}  // namespace
}  // namespace vf
