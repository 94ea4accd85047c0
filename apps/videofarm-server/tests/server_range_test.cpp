// Differential test: the same Range / If-Range requests to our server and to nginx serving the
// very same file must get the same status and Content-Range.
#include <gtest/gtest.h>

#include "server_fixture.hpp"

namespace vf::test {
namespace {
using ferry::test::NginxServer;

struct Case {
  std::vector<std::string> headers;
};

TEST(VideoFarmServerRanges, SameAnswersAsNginx) {
  ServerProcess server;
  std::string id = createVideo(server, "ranges", false);
  auto movie = mediaDir() / "sample-3s.mp4";
  ASSERT_EQ(curl({"-T", movie.string(), server.url("/videos/" + id + "/movie")}).status, 201);
  NginxServer nginx({server.dataDir() / "videos", "", ""});

  const std::string ours = server.url("/videos/" + id + "/movie");
  const std::string theirs = nginx.url("/" + id + "/movie");
  auto head = curl({"-I", ours});
  const std::string last_modified = head.header("last-modified");
  ASSERT_EQ(curl({"-I", theirs}).header("last-modified"), last_modified);
  const std::string size = head.header("content-length");

  std::vector<std::vector<std::string>> cases = {
      {},
      {"Range: bytes=0-0"},
      {"Range: bytes=0-99"},
      {"Range: bytes=100-"},
      {"Range: bytes=-100"},
      {"Range: bytes=-99999999"},
      {"Range: bytes=0-"},
      {"Range: bytes=0-99999999"},
      {"Range: bytes=" + size + "-"},
      {"Range: bytes=99999999-"},
      {"Range: bytes=99999999-100000000"},
      {"Range: bytes=abc"},
      {"Range: bytes=5-2"},
      {"Range: items=0-5"},
      {"Range: bytes=-0"},
      {"Range: bytes=0-5", "If-Range: " + last_modified},
      {"Range: bytes=0-5", "If-Range: Mon, 01 Jan 2001 00:00:00 GMT"},
      {"Range: bytes=0-5", "If-Range: \"not-the-etag\""},
      {"Range: bytes=10-20", "If-Range: " + last_modified},
  };
  for (const auto& headers : cases) {
    std::vector<std::string> args;
    for (const auto& h : headers) {
      args.push_back("-H");
      args.push_back(h);
    }
    auto a = args;
    a.push_back(ours);
    auto b = args;
    b.push_back(theirs);
    auto mine = curl(a);
    auto ref = curl(b);
    std::string what = headers.empty() ? "(no headers)" : headers[0] + (headers.size() > 1 ? " + " + headers[1] : "");
    EXPECT_EQ(mine.status, ref.status) << what;
    EXPECT_EQ(mine.header("content-range"), ref.header("content-range")) << what;
    if (mine.status == 200 || mine.status == 206) {
      EXPECT_EQ(mine.body, ref.body) << what;
    }
  }

  // Several ranges: nginx answers multipart/byteranges; we answer with the whole body.
  auto multi = curl({"-H", "Range: bytes=0-5,10-20", ours});
  EXPECT_EQ(multi.status, 200);
  EXPECT_EQ(multi.header("content-length"), size);

  // If-Range with our strong ETag.
  auto etag = head.header("etag");
  auto hit = curl({"-H", "Range: bytes=1-2", "-H", "If-Range: " + etag, ours});
  EXPECT_EQ(hit.status, 206);
  EXPECT_EQ(hit.header("content-range"), "bytes 1-2/" + size);
  auto weak = curl({"-H", "Range: bytes=1-2", "-H", "If-Range: W/" + etag, ours});
  EXPECT_EQ(weak.status, 200);
}

}  // namespace
}  // namespace vf::test
