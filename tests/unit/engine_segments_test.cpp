// Segmented downloads (issue 16): HttpRequest::connections > 1 splits an entity whose server
// serves ranges with a validator into segments fetched at once; segments given to a new job
// continue where they are; servers without ranges, or whose entity changed, are handled.

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "engine/segmented_attempt.hpp"
#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// The ranges nginx's access log shows for 206 answers ("206 bytes=A-B /file.bin" -> A).
std::set<std::uint64_t> rangeStarts(const std::string& log) {
  std::set<std::uint64_t> starts;
  static const std::regex line("206 bytes=([0-9]+)-([0-9]*) ");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it)
    starts.insert(std::stoull((*it)[1]));
  return starts;
}

std::size_t countOf(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class EngineSegments : public ::testing::Test {
 protected:
  EngineSegments() { std::filesystem::create_directories(dir_ / "www"); }

  std::optional<Finished> run(DownloadJob job) {
    Engine engine(events_.sink());
    engine.setGroupLimits("test", GroupLimits{6, 4});
    engine.start(std::move(job));
    return events_.waitFinished(1, std::chrono::seconds(60));
  }

  ft::TempDir dir_{"ferry-segments"};
  EventRecorder events_;
};

TEST(SegmentPlan, SplitsEquallyAfterAPrefixAndStealsHalfOfTheBiggest) {
  auto plan = planSegments(10 * kMiB, 0, 4);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan[0], (Segment{0, 0, 10 * kMiB / 4}));
  EXPECT_EQ(plan[3].end, 10 * kMiB);
  EXPECT_EQ(model::segmentsFromText(model::segmentsToText(plan), 10 * kMiB), plan);
  // Too small for two segments of kMinSegmentBytes: not split.
  EXPECT_TRUE(planSegments(kMiB + 5, 0, 4).empty());
  // A prefix already in the file is the first, done, segment.
  auto resumed = planSegments(10 * kMiB, 3 * kMiB, 2);
  ASSERT_EQ(resumed.size(), 3u);
  EXPECT_EQ(resumed[0], (Segment{0, 3 * kMiB, 3 * kMiB}));
  EXPECT_EQ(resumed[1].begin, 3 * kMiB);

  Segments segments{{0, 0, kMiB}, {kMiB, kMiB, 9 * kMiB}};
  auto stolen = stealHalf(segments, {true, true});
  ASSERT_TRUE(stolen);
  EXPECT_EQ(segments[1].end, 5 * kMiB);
  EXPECT_EQ(segments[*stolen], (Segment{5 * kMiB, 5 * kMiB, 9 * kMiB}));
  Segments small{{0, 0, kMiB}, {kMiB, kMiB, 2 * kMiB}};
  EXPECT_FALSE(stealHalf(small, {true, true}));
}

TEST(SegmentPlan, DamagedTextIsRefused) {
  for (const char* bad : {"x", "0:0", "0:5:4", "1:1:5", "0:0:5,6:6:9", "0:0:5,", "0:0:5;5:5:9", "0:0:0"})
    EXPECT_FALSE(model::segmentsFromText(bad)) << bad;
  EXPECT_FALSE(model::segmentsFromText("0:0:5,5:5:9", 10));  // not up to the length given
  EXPECT_EQ(model::segmentsFromText(""), Segments{});
}

TEST_F(EngineSegments, FourConnectionsFetchFourRangesAtOnceByteExact) {
  ft::writeRandomFile(dir_ / "www/file.bin", 16 * kMiB, 5);
  ft::NginxServer nginx(nginxOptions(dir_ / "www", "4m"));
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.request.connections = 4;
  auto finished = run(job);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
  EXPECT_EQ(finished->http_status, 200);
  EXPECT_EQ(finished->total_written, 16 * kMiB);
  EXPECT_TRUE(allDone(finished->segments));
  EXPECT_EQ(model::bytesFilled(finished->segments), 16 * kMiB);
  // The first request asked from 0, then one ranged request per segment (and more if a
  // connection that finished first took half of a slower one's rest).
  const std::string log = nginx.accessLogOnceItHas("bytes=12582912-16777215");
  const auto starts = rangeStarts(log);
  for (std::uint64_t start : {std::uint64_t{0}, 4 * kMiB, 8 * kMiB, 12 * kMiB}) EXPECT_EQ(starts.count(start), 1u) << log;
  EXPECT_EQ(countOf(log, "206 bytes=0-4194303 "), 1u) << log;
  // Progress reports the segments as they fill, and adds up to the file.
  std::uint64_t progressed = 0;
  for (const auto& p : events_.all<Progress>(1)) progressed += p.bytes_written;
  EXPECT_EQ(progressed, 16 * kMiB);
  EXPECT_GE(events_.all<Progress>(1).back().segments.size(), 4u);
}

TEST_F(EngineSegments, GivenSegmentsContinueWhereEachIsAndAFreeConnectionStealsHalf) {
  ft::writeRandomFile(dir_ / "www/file.bin", 12 * kMiB, 6);
  ft::NginxServer nginx(nginxOptions(dir_ / "www", "4m"));
  const auto validators = validatorsOf(nginx.url("/file.bin"), dir_ / "head.part");
  // What a killed ferryd left: segment 1 has 1 MiB, segment 2 has none; bytes past them are junk.
  const std::string source = ft::readFile(dir_ / "www/file.bin");
  std::string file(12 * kMiB, 'z');
  std::copy(source.begin(), source.begin() + static_cast<long>(kMiB), file.begin());
  ft::writeFile(dir_ / "file.part", file);
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.request.connections = 2;
  job.validators = validators;
  job.segments = {{0, kMiB, 2 * kMiB}, {2 * kMiB, 2 * kMiB, 12 * kMiB}};
  job.resume_offset = kMiB;
  auto finished = run(job);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
  const auto responded = events_.all<Responded>(1).at(0);
  EXPECT_EQ(responded.offset, kMiB);
  // No request from 0: each segment from where it was. The first one ends soon; its connection
  // then takes half of what the second has left.
  const std::string log = nginx.accessLogOnceItHas("206 bytes=2097152-12582911 ");
  const auto starts = rangeStarts(log);
  EXPECT_TRUE(starts.count(kMiB) == 1 && starts.count(2 * kMiB) == 1 && starts.count(0) == 0) << log;
  EXPECT_GE(starts.size(), 3u) << "no segment was stolen:\n" << log;
  EXPECT_GT(finished->segments.size(), 2u);
}

TEST_F(EngineSegments, ChangedEntityDropsEverySegmentAndStartsOver) {
  ft::writeRandomFile(dir_ / "www/file.bin", 4 * kMiB, 7);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  ft::writeFile(dir_ / "file.part", std::string(4 * kMiB, 'z'));
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.request.connections = 2;
  job.validators.etag = "\"an-older-version\"";
  job.segments = {{0, kMiB, 2 * kMiB}, {2 * kMiB, 3 * kMiB, 4 * kMiB}};
  job.resume_offset = 2 * kMiB;
  auto finished = run(job);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
  // If-Range with the old ETag: whole answers, then from zero, split again.
  const std::string log = nginx.accessLogOnceItHas("206 bytes=2097152-4194303 ");
  EXPECT_NE(log.find("206 bytes=0- "), std::string::npos) << log;
}

TEST_F(EngineSegments, ServerWithoutRangesGivesOneConnectionAndSaysWhy) {
  ft::writeRandomFile(dir_ / "source.bin", 3 * kMiB, 8);
  FixtureServer server(dir_, dir_ / "source.bin", {"--no-range"});
  auto job = makeJob(1, server.url(), dir_ / "file.part");
  job.request.connections = 4;
  auto finished = run(job);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  EXPECT_TRUE(finished->segments.empty());
  const auto responded = events_.all<Responded>(1).at(0);
  EXPECT_NE(responded.single_connection_reason.find("does not serve byte ranges"), std::string::npos)
      << responded.single_connection_reason;
  EXPECT_EQ(server.logLines().size(), 1u) << server.log();
}

TEST_F(EngineSegments, ServerWithoutValidatorsGivesOneConnection) {
  ft::writeRandomFile(dir_ / "source.bin", 3 * kMiB, 9);
  FixtureServer server(dir_, dir_ / "source.bin", {"--no-validators"});
  auto job = makeJob(1, server.url(), dir_ / "file.part");
  job.request.connections = 4;
  auto finished = run(job);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));
  EXPECT_NE(events_.all<Responded>(1).at(0).single_connection_reason.find("ETag"), std::string::npos);
  EXPECT_EQ(server.logLines().size(), 1u) << server.log();
}

TEST_F(EngineSegments, DigestIsCheckedOverTheWholeFile) {
  ft::writeRandomFile(dir_ / "www/file.bin", 6 * kMiB, 10);
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  auto job = makeJob(1, nginx.url("/file.bin"), dir_ / "file.part");
  job.request.connections = 3;
  job.request.expected_digest = "sha-256=" + std::string(64, 'a');
  auto finished = run(job);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::integrity) << finished->error->describe();
  EXPECT_NE(finished->error->message.find(ft::sha256File(dir_ / "www/file.bin")), std::string::npos);

  EventRecorder again;
  Engine engine(again.sink());
  auto right = makeJob(2, nginx.url("/file.bin"), dir_ / "right.part");
  right.request.connections = 3;
  right.request.expected_digest = "sha-256=" + ft::sha256File(dir_ / "www/file.bin");
  engine.start(right);
  auto ok = again.waitFinished(2);
  ASSERT_TRUE(ok && !ok->error) << ok->error->describe();
  EXPECT_EQ(ok->segments.size(), 3u);
  EXPECT_EQ(ft::sha256File(dir_ / "right.part"), ft::sha256File(dir_ / "www/file.bin"));
}

TEST_F(EngineSegments, MirrorsShareTheSegmentsAndThoseThatFailOrDifferAreDropped) {
  ft::writeRandomFile(dir_ / "www/file.bin", 16 * kMiB, 12);
  // A good mirror: the same file with the same time, so the same ETag (nginx: mtime-size).
  ft::copyWithItsTime(dir_ / "www/file.bin", dir_ / "good/file.bin");
  std::filesystem::create_directories(dir_ / "other");
  ft::writeRandomFile(dir_ / "other/file.bin", 16 * kMiB + 1, 13);
  ft::NginxServer primary(nginxOptions(dir_ / "www", "4m"));
  ft::NginxServer good(nginxOptions(dir_ / "good", "4m"));
  ft::NginxServer other(nginxOptions(dir_ / "other", "4m"));
  auto failing_options = nginxOptions(dir_ / "www");
  failing_options.extra_server_config = "location / { return 500; }";
  ft::NginxServer failing(failing_options);

  auto job = makeJob(1, primary.url("/file.bin"), dir_ / "file.part");
  job.request.mirrors = {failing.url("/file.bin"), other.url("/file.bin"), good.url("/file.bin")};
  auto finished = run(job);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
  // One connection per URL was asked for (connections 1, three mirrors): four segments.
  EXPECT_GE(finished->segments.size(), 4u);
  const auto dropped = events_.all<MirrorDropped>(1);
  ASSERT_EQ(dropped.size(), 2u);
  std::map<std::string, std::string> reasons;
  for (const auto& d : dropped) reasons[d.url] = d.reason;
  EXPECT_NE(reasons[failing.url("/file.bin")].find("500"), std::string::npos) << reasons[failing.url("/file.bin")];
  EXPECT_NE(reasons[other.url("/file.bin")].find("not the same one"), std::string::npos) << "[" << reasons[other.url("/file.bin")] << "]";
  EXPECT_EQ(reasons.count(good.url("/file.bin")), 0u);
  EXPECT_GE(countOf(good.accessLogOnceItHas("206 bytes="), "206 bytes="), 1u) << good.accessLog();
}

// The request's own URL is one URL among the others: failing at the first answer, it is dropped
// and a mirror makes the plan; the download fails only when every URL has.
TEST_F(EngineSegments, TheRequestsOwnUrlFailingIsDroppedForAMirror) {
  ft::writeRandomFile(dir_ / "www/file.bin", 8 * kMiB, 21);
  ft::copyWithItsTime(dir_ / "www/file.bin", dir_ / "good/file.bin");
  ft::NginxServer good(nginxOptions(dir_ / "good", "8m"));
  auto failing_options = nginxOptions(dir_ / "www");
  failing_options.extra_server_config = "location / { return 404; }";
  ft::NginxServer failing(failing_options);

  auto job = makeJob(1, failing.url("/file.bin"), dir_ / "file.part");
  job.request.mirrors = {good.url("/file.bin")};
  auto finished = run(job);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
  const auto dropped = events_.all<MirrorDropped>(1);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].url, failing.url("/file.bin"));
  EXPECT_NE(dropped[0].reason.find("404"), std::string::npos) << dropped[0].reason;

  // Every URL failing: the download's error, after each was tried.
  EventRecorder second;
  Engine engine(second.sink());
  engine.setGroupLimits("test", GroupLimits{6, 4});
  auto both_fail = makeJob(2, failing.url("/file.bin"), dir_ / "second.part");
  both_fail.request.mirrors = {failing.url("/other.bin")};
  engine.start(std::move(both_fail));
  auto ended = second.waitFinished(2, std::chrono::seconds(60));
  ASSERT_TRUE(ended && ended->error);
  EXPECT_EQ(ended->error->code, errc::http_error);
  EXPECT_EQ(second.all<MirrorDropped>(2).size(), 1u);  // the first; the last URL's failure is the download's
}

// A mirror far slower than the others is dropped with its rate in the reason, and its segment
// continues from a fast URL (without the rule it would hold the download for minutes).
TEST_F(EngineSegments, AMirrorFarSlowerThanTheOthersIsDropped) {
  ft::writeRandomFile(dir_ / "www/file.bin", 48 * kMiB, 22);
  ft::copyWithItsTime(dir_ / "www/file.bin", dir_ / "slow/file.bin");
  ft::NginxServer primary(nginxOptions(dir_ / "www", "8m"));
  ft::NginxServer slow(nginxOptions(dir_ / "slow", "64k"));

  auto job = makeJob(1, primary.url("/file.bin"), dir_ / "file.part");
  job.request.connections = 3;
  job.request.mirrors = {slow.url("/file.bin")};
  auto finished = run(job);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "www/file.bin"));
  const auto dropped = events_.all<MirrorDropped>(1);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].url, slow.url("/file.bin"));
  EXPECT_NE(dropped[0].reason.find("too slow"), std::string::npos) << dropped[0].reason;
}

TEST_F(EngineSegments, ABadMirrorUrlEndsTheJobAtOnce) {
  auto job = makeJob(1, "http://127.0.0.1:1/file.bin", dir_ / "file.part");
  job.request.mirrors = {"ftp://127.0.0.1/file.bin"};
  auto finished = run(job);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::unsupported_scheme);
  EXPECT_NE(finished->error->message.find("Mirror ftp://127.0.0.1/file.bin"), std::string::npos) << finished->error->message;
}

}  // namespace
}  // namespace ferry::engine::test
