// In-process resume data (protocol/local_resume_data.hpp) with a segmented partial file: the file
// keeps its length, the record its ranges, the blob is version 2; a record whose ranges were
// altered is refused.

#include <gtest/gtest.h>

#include <fstream>

#include "common/base64.hpp"
#include "protocol/local_resume_data.hpp"
#include "support/fixtures.hpp"

using namespace ferry;
using namespace ferry::protocol;

namespace {

std::string blobVersion(const std::string& blob) {
  const std::string body = blob.substr(std::string("ferry-local-resume-v1.").size());
  auto json = base64UrlDecode(body.substr(0, body.find('.')));
  return json ? json->substr(json->find("\"v\":") + 4, 1) : "";
}

LocalResume sample(model::Segments segments, std::uint64_t offset) {
  LocalResume what;
  what.request.url = "http://127.0.0.1:1/f.bin";
  what.offset = offset;
  what.validators.etag = "\"e\"";
  what.expected_total = 100;
  what.segments = std::move(segments);
  return what;
}

}  // namespace

TEST(LocalResume, SegmentedFileKeepsItsLengthAndRanges) {
  test::TempDir dir;
  auto store = LocalResumeStore::open(dir / "resume");
  ASSERT_TRUE(store) << store.error().describe();
  test::writeFile(dir / "f.part", std::string(100, 'x'));
  const model::Segments segments{{0, 20, 50}, {50, 80, 100}};
  auto blob = store->keep(dir / "f.part", sample(segments, 50));
  ASSERT_TRUE(blob) << blob.error().describe();
  EXPECT_EQ(blobVersion(*blob), "2");
  auto taken = store->take(*blob, dir / "back.part");
  ASSERT_TRUE(taken) << taken.error().describe();
  EXPECT_EQ(taken->segments, segments);
  EXPECT_EQ(taken->offset, 50u);
  EXPECT_EQ(std::filesystem::file_size(dir / "back.part"), 100u);  // not cut to the offset

  // Without segments: cut to the offset, version 1 as before.
  test::writeFile(dir / "g.part", std::string(100, 'y'));
  auto plain = store->keep(dir / "g.part", sample({}, 30));
  ASSERT_TRUE(plain);
  EXPECT_EQ(blobVersion(*plain), "1");
  auto plain_back = store->take(*plain, dir / "g.back");
  ASSERT_TRUE(plain_back);
  EXPECT_TRUE(plain_back->segments.empty());
  EXPECT_EQ(std::filesystem::file_size(dir / "g.back"), 30u);
}

TEST(LocalResume, AlteredRangesInTheRecordAreRefused) {
  test::TempDir dir;
  auto store = LocalResumeStore::open(dir / "resume");
  ASSERT_TRUE(store);
  for (const std::string& damaged : {std::string("0:20:50,50:90:100"), std::string("0:20:50,60:80:100"),
                                     std::string("0:20:50,50:80:99"), std::string("junk")}) {
    test::writeFile(dir / "f.part", std::string(100, 'x'));
    auto blob = store->keep(dir / "f.part", sample({{0, 20, 50}, {50, 80, 100}}, 50));
    ASSERT_TRUE(blob);
    // The record is TOKEN.json next to TOKEN.partial; rewrite its ranges.
    for (const auto& entry : std::filesystem::directory_iterator(dir / "resume")) {
      if (entry.path().extension() != ".json") continue;
      std::string text = test::readFile(entry.path());
      const auto at = text.find("0:20:50,50:80:100");
      ASSERT_NE(at, std::string::npos) << text;
      text.replace(at, std::string("0:20:50,50:80:100").size(), damaged);
      std::ofstream(entry.path(), std::ios::trunc) << text;
    }
    auto refused = store->take(*blob, dir / "back.part");
    ASSERT_FALSE(refused) << damaged;
    EXPECT_EQ(refused.error().code, errc::resume_data_invalid) << damaged;
    for (const auto& entry : std::filesystem::directory_iterator(dir / "resume"))
      if (entry.path().extension() != "" ) std::filesystem::remove(entry.path());
  }
}
