// common/digest: the expected digest's spellings, the servers' headers, the EVP hasher.

#include <gtest/gtest.h>

#include "common/base64.hpp"
#include "common/digest.hpp"

namespace ferry {
namespace {

// SHA-256 and SHA-512 of "abc" (FIPS 180-2's examples).
const std::string kAbc256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kAbc512 =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

std::string hashOf(DigestAlgorithm algorithm, std::string_view bytes) {
  Hasher hasher(algorithm);
  hasher.update(bytes.data(), bytes.size());
  return hasher.finish();
}

TEST(CommonDigest, HasherGivesTheStandardsExamples) {
  EXPECT_EQ(hexEncode(hashOf(DigestAlgorithm::sha256, "abc")), kAbc256);
  EXPECT_EQ(hexEncode(hashOf(DigestAlgorithm::sha512, "abc")), kAbc512);
  Hasher split(DigestAlgorithm::sha256);
  split.update("a", 1);
  EXPECT_EQ(split.bytesHashed(), 1u);
  split.update("bc", 2);
  EXPECT_EQ(hexEncode(split.finish()), kAbc256);
  EXPECT_EQ(hexEncode(split.finish()), kAbc256);  // finish does not end it
  split.reset();
  EXPECT_EQ(split.bytesHashed(), 0u);
  split.update("abc", 3);
  EXPECT_EQ(hexEncode(split.finish()), kAbc256);
}

TEST(CommonDigest, ExpectedDigestInEverySpelling) {
  const std::string raw = hashOf(DigestAlgorithm::sha256, "abc");
  for (const std::string& text : {"sha-256=" + kAbc256, "SHA-256=" + kAbc256, "sha-256=" + std::string("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"),
                                  "sha-256=:" + base64Encode(raw) + ":", "sha-256=" + base64Encode(raw)}) {
    auto digest = parseExpectedDigest(text);
    ASSERT_TRUE(digest) << text << ": " << digest.error().message;
    EXPECT_EQ(digest->algorithm, DigestAlgorithm::sha256);
    EXPECT_EQ(digest->text(), "sha-256=" + kAbc256);
  }
  auto long_one = parseExpectedDigest("sha-512=" + kAbc512);
  ASSERT_TRUE(long_one);
  EXPECT_EQ(long_one->text(), "sha-512=" + kAbc512);
}

TEST(CommonDigest, MalformedExpectedDigestIsInvalidArgument) {
  for (const std::string& text : {std::string(""), std::string("sha-256"), "md5=" + std::string(32, '0'), "sha-1=" + std::string(40, '0'),
                                  "sha-256=" + kAbc256.substr(2), "sha-256=" + kAbc256 + "00", "sha-256=" + std::string(64, 'g'),
                                  "sha-512=" + kAbc256, std::string("sha-256=::"), std::string("sha-256=:not base64:")}) {
    auto digest = parseExpectedDigest(text);
    ASSERT_FALSE(digest) << text;
    EXPECT_EQ(digest.error().code, errc::invalid_argument);
    EXPECT_NE(digest.error().message.find("sha-256=HEX"), std::string::npos) << digest.error().message;
  }
}

TEST(CommonDigest, ServerHeaders) {
  const std::string raw256 = hashOf(DigestAlgorithm::sha256, "abc");
  const std::string raw512 = hashOf(DigestAlgorithm::sha512, "abc");
  auto repr = parseReprDigestHeader("sha-512=:" + base64Encode(raw512) + ":, unixsum=:AAA=:, sha-256=:" + base64Encode(raw256) +
                                    ":;param=1, sha-256=:broken");
  ASSERT_EQ(repr.size(), 2u);
  EXPECT_EQ(repr[0], (Digest{DigestAlgorithm::sha512, raw512}));
  EXPECT_EQ(repr[1], (Digest{DigestAlgorithm::sha256, raw256}));
  // Repr-Digest's values are byte sequences (":...:"); a bare base64 value is not one.
  EXPECT_TRUE(parseReprDigestHeader("sha-256=" + base64Encode(raw256)).empty());
  auto legacy = parseLegacyDigestHeader("MD5=kAFQmDzST7DWlj99KOF/cg==, SHA-256=" + base64Encode(raw256));
  ASSERT_EQ(legacy.size(), 1u);
  EXPECT_EQ(legacy[0], (Digest{DigestAlgorithm::sha256, raw256}));
  EXPECT_TRUE(parseLegacyDigestHeader("").empty());
  EXPECT_TRUE(parseLegacyDigestHeader("garbage without equals, ,,").empty());
}

}  // namespace
}  // namespace ferry
