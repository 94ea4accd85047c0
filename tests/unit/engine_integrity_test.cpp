// Integrity (issue 16): the expected digest and the server's Repr-Digest/Digest are checked as the
// bytes arrive; a mismatch fetches once more from zero, a second one ends with `integrity`.

#include <gtest/gtest.h>

#include "common/base64.hpp"
#include "common/digest.hpp"
#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

constexpr std::uint64_t kSize = 700000;

// RFC 9530's spelling of `file`'s SHA-256, tied to the tests' own hash (fixtures.cpp).
std::string sha256Base64Of(const std::filesystem::path& file) {
  const std::string bytes = ft::readFile(file);
  Hasher hasher(DigestAlgorithm::sha256);
  hasher.update(bytes.data(), bytes.size());
  const std::string digest = hasher.finish();
  EXPECT_EQ(hexEncode(digest), ft::sha256File(file));
  return base64Encode(digest);
}

std::size_t countLines(const std::vector<std::string>& lines, const std::string& line) {
  return static_cast<std::size_t>(std::count(lines.begin(), lines.end(), line));
}

class EngineIntegrity : public ::testing::Test {
 protected:
  EngineIntegrity() { ft::writeRandomFile(dir_ / "source.bin", kSize, 11); }

  std::optional<Finished> download(FixtureServer& server, const std::string& digest, std::uint64_t resume_offset = 0,
                                   const Validators& validators = {}) {
    Engine engine(events_.sink());
    auto job = makeJob(1, server.url(), dir_ / "file.part");
    job.request.expected_digest = digest;
    job.resume_offset = resume_offset;
    job.validators = validators;
    engine.start(job);
    return events_.waitFinished(1);
  }

  ft::TempDir dir_{"ferry-integrity"};
  EventRecorder events_;
};

TEST_F(EngineIntegrity, RightDigestPassesInHexAndBase64) {
  FixtureServer server(dir_, dir_ / "source.bin");
  auto finished = download(server, "sha-256=" + ft::sha256File(dir_ / "source.bin"));
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  EXPECT_EQ(eventLetters(events_.eventsOf(1)), "W R P F");  // no refetch, no retry

  EventRecorder again;
  Engine engine(again.sink());
  auto job = makeJob(2, server.url(), dir_ / "b64.part");
  job.request.expected_digest = "SHA-256=:" + sha256Base64Of(dir_ / "source.bin") + ":";
  engine.start(job);
  auto second = again.waitFinished(2);
  ASSERT_TRUE(second && !second->error) << second->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "b64.part"), ft::sha256File(dir_ / "source.bin"));
}

TEST_F(EngineIntegrity, WrongDigestRefetchesOnceThenEndsWithIntegrity) {
  FixtureServer server(dir_, dir_ / "source.bin");
  const std::string wrong = "sha-256=" + std::string(64, 'a');
  auto finished = download(server, wrong);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::integrity);
  EXPECT_NE(finished->error->message.find(wrong), std::string::npos) << finished->error->message;
  EXPECT_NE(finished->error->message.find("sha-256=" + ft::sha256File(dir_ / "source.bin")), std::string::npos)
      << finished->error->message;
  EXPECT_FALSE(finished->resumable);
  // Exactly two whole GETs: the first, and the one refetch from zero (no Range after a mismatch).
  const auto log = server.logLines();
  EXPECT_EQ(log.size(), 2u) << server.log();
  EXPECT_EQ(countLines(log, "GET /file.bin range=- if-range=- status=200"), 2u) << server.log();
  // The refetch is told (Retrying with the reason), then the second answer from byte 0.
  const auto retrying = events_.all<Retrying>(1);
  ASSERT_EQ(retrying.size(), 1u);
  EXPECT_EQ(retrying[0].error.code, errc::integrity);
  const auto responded = events_.all<Responded>(1);
  ASSERT_EQ(responded.size(), 2u);
  EXPECT_EQ(responded[1].offset, 0u);
}

TEST_F(EngineIntegrity, WrongReprDigestIsCaughtAndARightOnePasses) {
  const std::string wrong = base64Encode(std::string(32, '\x01'));
  FixtureServer liar(dir_, dir_ / "source.bin", {"--header", "Repr-Digest: sha-256=:" + wrong + ":"});
  auto caught = download(liar, "");
  ASSERT_TRUE(caught && caught->error);
  EXPECT_EQ(caught->error->code, errc::integrity);
  EXPECT_NE(caught->error->message.find("Repr-Digest says sha-256=" + hexEncode(std::string(32, '\x01'))), std::string::npos)
      << caught->error->message;
  EXPECT_EQ(liar.logLines().size(), 2u) << liar.log();

  EventRecorder again;
  const std::string right = sha256Base64Of(dir_ / "source.bin");
  // Other algorithms and members we cannot read prove nothing and are left out.
  FixtureServer honest(dir_, dir_ / "source.bin",
                       {"--header", "Repr-Digest: md5=:AAAAAAAAAAAAAAAAAAAAAA==:, sha-256=:" + right + ":"});
  Engine engine(again.sink());
  auto job = makeJob(2, honest.url(), dir_ / "honest.part");
  engine.start(job);
  auto passed = again.waitFinished(2);
  ASSERT_TRUE(passed && !passed->error) << passed->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "honest.part"), ft::sha256File(dir_ / "source.bin"));
}

TEST_F(EngineIntegrity, LegacyDigestOnAWholeAnswerIsCheckedContentDigestIsNot) {
  const std::string wrong = base64Encode(std::string(32, '\x02'));
  FixtureServer legacy(dir_, dir_ / "source.bin", {"--header", "Digest: SHA-256=" + wrong});
  auto caught = download(legacy, "");
  ASSERT_TRUE(caught && caught->error);
  EXPECT_EQ(caught->error->code, errc::integrity);
  EXPECT_NE(caught->error->message.find("Digest says"), std::string::npos) << caught->error->message;

  // Content-Digest describes the content (of a 206: the range only): never used.
  EventRecorder again;
  FixtureServer content(dir_, dir_ / "source.bin", {"--header", "Content-Digest: sha-256=:" + wrong + ":"});
  Engine engine(again.sink());
  engine.start(makeJob(2, content.url(), dir_ / "content.part"));
  auto passed = again.waitFinished(2);
  ASSERT_TRUE(passed && !passed->error) << passed->error->describe();
}

// A new job continuing a file (ferryd restarted, a resumed task): the prefix is hashed from the
// file once, the rest as it arrives, with a Repr-Digest on the 206 checked too.
TEST_F(EngineIntegrity, ResumedDownloadHashesItsPrefixOnce) {
  const std::string right = sha256Base64Of(dir_ / "source.bin");
  FixtureServer server(dir_, dir_ / "source.bin", {"--header", "Repr-Digest: sha-256=:" + right + ":"});
  const auto validators = validatorsOf(server.url(), dir_ / "head.part");
  ft::writeFile(dir_ / "file.part", prefixOf(dir_ / "source.bin", 300000));
  auto finished = download(server, "sha-256=" + ft::sha256File(dir_ / "source.bin"), 300000, validators);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(finished->http_status, 206);
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  EXPECT_EQ(countLines(server.logLines(), "GET /file.bin range=bytes=300000- if-range=" + validators.etag + " status=206"), 1u)
      << server.log();
}

// A prefix that is not the server's bytes (a disk that lied, another program): the check at the
// end catches it, and the refetch from zero repairs it.
TEST_F(EngineIntegrity, CorruptPrefixIsRepairedByTheRefetch) {
  FixtureServer server(dir_, dir_ / "source.bin");
  const auto validators = validatorsOf(server.url(), dir_ / "head.part");
  std::string prefix = prefixOf(dir_ / "source.bin", 300000);
  prefix[1234] = static_cast<char>(prefix[1234] ^ 0x55);
  ft::writeFile(dir_ / "file.part", prefix);
  auto finished = download(server, "sha-256=" + ft::sha256File(dir_ / "source.bin"), 300000, validators);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  const auto log = server.logLines();
  ASSERT_GE(log.size(), 2u) << server.log();
  EXPECT_EQ(log.back(), "GET /file.bin range=- if-range=- status=200") << server.log();
}

// A file already whole (the server answers 416 "bytes */N" at our offset) is checked too: read
// once from the file, and refetched when it is not the right one.
TEST_F(EngineIntegrity, AFileAlreadyWholeIsCheckedToo) {
  FixtureServer server(dir_, dir_ / "source.bin");
  const auto validators = validatorsOf(server.url(), dir_ / "head.part");
  std::string whole = ft::readFile(dir_ / "source.bin");
  whole[kSize - 10] = static_cast<char>(whole[kSize - 10] ^ 0x01);
  ft::writeFile(dir_ / "file.part", whole);
  auto finished = download(server, "sha-256=" + ft::sha256File(dir_ / "source.bin"), kSize, validators);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  const auto log = server.logLines();
  EXPECT_EQ(countLines(log, "GET /file.bin range=bytes=" + std::to_string(kSize) + "- if-range=" + validators.etag + " status=416"), 1u)
      << server.log();
  EXPECT_EQ(log.back(), "GET /file.bin range=- if-range=- status=200") << server.log();
}

TEST_F(EngineIntegrity, MalformedDigestIsRefusedAtStart) {
  FixtureServer server(dir_, dir_ / "source.bin");
  auto finished = download(server, "sha-256=xyz");
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::invalid_argument);
  EXPECT_TRUE(server.logLines().empty());
}

}  // namespace
}  // namespace ferry::engine::test
