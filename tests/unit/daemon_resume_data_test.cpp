#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daemon/resume_data.hpp"
#include "support/fixtures.hpp"

using namespace ferry;
using namespace ferry::daemon;

namespace {
ResumeData sample(const ResumeDataCodec& codec) { return {codec.keyId(), randomToken(), "sess", "https://a/b", 12345}; }
}  // namespace

TEST(ResumeData, RoundTripsAndKeyPersists) {
  test::TempDir dir;
  auto codec = ResumeDataCodec::open(dir / "key");
  ASSERT_TRUE(codec);
  struct stat st{};
  ASSERT_EQ(::stat((dir / "key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto data = sample(*codec);
  auto blob = codec->encode(data);
  auto again = ResumeDataCodec::open(dir / "key");  // same key from disk
  ASSERT_TRUE(again);
  auto back = again->decode(blob + "\n");
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->token, data.token);
  EXPECT_EQ(back->offset, 12345u);
  EXPECT_EQ(back->session, "sess");
  EXPECT_EQ(back->version, 1);
}

// Version 2 (a segmented partial file) is made and read; a version this ferryd does not know is
// refused, even when properly signed.
TEST(ResumeData, VersionTwoIsReadAndAnUnknownVersionRefused) {
  test::TempDir dir;
  auto codec = ResumeDataCodec::open(dir / "key");
  ASSERT_TRUE(codec);
  auto segmented = sample(*codec);
  segmented.version = 2;
  auto back = codec->decode(codec->encode(segmented));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->version, 2);
  auto newer = sample(*codec);
  newer.version = 3;
  auto refused = codec->decode(codec->encode(newer));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::resume_data_invalid);
  EXPECT_NE(refused.error().message.find("unknown version"), std::string::npos) << refused.error().message;
}

TEST(ResumeData, TamperedForeignAndGarbageGetTheirOwnCodes) {
  test::TempDir dir;
  auto codec = ResumeDataCodec::open(dir / "key");
  auto other = ResumeDataCodec::open(dir / "other-key");
  ASSERT_TRUE(codec && other);
  auto blob = codec->encode(sample(*codec));

  // Flip every character of the payload in turn: never accepted.
  auto first_dot = blob.find('.');
  for (std::size_t i = first_dot + 1; i < blob.size(); i += 7) {
    std::string t = blob;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    auto r = codec->decode(t);
    EXPECT_FALSE(r) << i;
  }
  auto foreign = other->decode(blob);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, errc::resume_data_foreign);

  for (std::string garbage : {std::string(), std::string("x"), std::string("ferry-resume-v1."),
                              std::string("ferry-resume-v1.abc"), std::string("ferry-resume-v1.@@.##"),
                              std::string("ferry-resume-v2.a.b"), std::string(20000, 'a')}) {
    auto r = codec->decode(garbage);
    ASSERT_FALSE(r) << garbage.substr(0, 30);
    EXPECT_EQ(r.error().code, errc::resume_data_invalid);
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(ResumeData, DamagedKeyFileIsAClearError) {
  test::TempDir dir;
  test::writeFile(dir / "key", "short");
  auto codec = ResumeDataCodec::open(dir / "key");
  ASSERT_FALSE(codec);
  EXPECT_NE(codec.error().message.find("damaged"), std::string::npos);
}
