// --blob-store values: the local directory, RADOS locations, and what malformed ones are told.
#include <gtest/gtest.h>

#include "blob_store.hpp"
#include "blob_store_url.hpp"

namespace vf {
namespace {

TEST(BlobStoreUrl, LocalByDefault) {
  for (const char* spec : {"", "local"}) {
    auto where = parseBlobStoreUrl(spec);
    ASSERT_TRUE(where) << spec;
    EXPECT_FALSE(*where) << spec;
  }
}

TEST(BlobStoreUrl, RadosLocation) {
  auto where = parseBlobStoreUrl("rados://videofarm?conf=/etc/ceph/prod.conf&id=videofarm");
  ASSERT_TRUE(where);
  ASSERT_TRUE(*where);
  EXPECT_EQ((*where)->pool, "videofarm");
  EXPECT_EQ((*where)->conf, "/etc/ceph/prod.conf");
  EXPECT_EQ((*where)->client_id, "videofarm");

  auto defaults = parseBlobStoreUrl("rados://movies");
  ASSERT_TRUE(defaults && *defaults);
  EXPECT_EQ((*defaults)->conf, "/etc/ceph/ceph.conf");
  EXPECT_EQ((*defaults)->client_id, "admin");

  auto prefixed = parseBlobStoreUrl("rados://movies?id=client.vf&conf=%2Fsrv%2Fceph%20a.conf");
  ASSERT_TRUE(prefixed && *prefixed);
  EXPECT_EQ((*prefixed)->client_id, "vf");
  EXPECT_EQ((*prefixed)->conf, "/srv/ceph a.conf");
}

TEST(BlobStoreUrl, MalformedValuesSayWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"s3://bucket", "unknown scheme \"s3\""},
      {"/srv/blobs", "is not a store URL"},
      {"rados://", "the pool is missing"},
      {"rados://?conf=/etc/ceph/ceph.conf", "the pool is missing"},
      {"rados://bad/pool", "is not 1..128 of"},
      {"rados://pool?conf=relative.conf", "conf must be an absolute path"},
      {"rados://pool?conf=", "conf must be an absolute path"},
      {"rados://pool?id=", "id \"\" is not"},
      {"rados://pool?id=a;b", "id \"a;b\" is not"},
      {"rados://pool?user=x", "unknown parameter \"user\""},
      {"rados://pool?id=a&id=b", "id is given twice"},
  };
  for (const auto& [spec, expected] : cases) {
    auto where = parseBlobStoreUrl(spec);
    ASSERT_FALSE(where) << spec;
    EXPECT_EQ(where.error().code, ferry::errc::invalid_argument) << spec;
    EXPECT_NE(where.error().message.find(expected), std::string::npos) << spec << ": " << where.error().message;
    EXPECT_NE(where.error().message.find("expected rados://POOL?conf="), std::string::npos) << spec;
  }
}

TEST(BlobStoreUrl, AnUnreachableClusterIsAnError) {
  // A ceph.conf that does not exist: refused before anything waits for a monitor.
  auto store = openBlobStore("rados://pool?conf=/nonexistent/ceph.conf", "/tmp");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("/nonexistent/ceph.conf"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace vf
