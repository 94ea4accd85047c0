// The resumable-upload protocols on their own, without a server: the fields each request carries
// and what an answer means (upload_protocol.hpp), and the upload part a job starts with
// (makeUploadPart), which chooses the protocol and checks the options against it.

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "engine/ietf_upload.hpp"
#include "engine/plain_upload.hpp"
#include "engine/tus_upload.hpp"
#include "engine/upload_flow.hpp"
#include "engine/upload_protocol.hpp"
#include "support/fixtures.hpp"

namespace ferry::engine {
namespace {

namespace ft = ferry::test;

using ProtocolFields = std::vector<std::string>;

UploadRequestFacts requestFacts(UploadStep step, std::optional<std::uint64_t> length, std::uint64_t offset = 0) {
  UploadRequestFacts f;
  f.step = step;
  f.body_length = length;
  f.offset = offset;
  return f;
}

ResumableUpload resumableOf(ResumableMode mode) {
  ResumableUpload r;
  r.mode = mode;
  return r;
}

// ---- the factory ----

TEST(UploadProtocolFactory, ChoosesTheProtocolOfTheMode) {
  auto plain = makeUploadProtocol(resumableOf(ResumableMode::none));
  EXPECT_NE(dynamic_cast<const PlainUpload*>(plain.get()), nullptr);
  auto ietf = makeUploadProtocol(resumableOf(ResumableMode::ietf));
  EXPECT_NE(dynamic_cast<const IetfUpload*>(ietf.get()), nullptr);
  auto tus = makeUploadProtocol(resumableOf(ResumableMode::tus));
  EXPECT_NE(dynamic_cast<const TusUpload*>(tus.get()), nullptr);
}

TEST(UploadProtocolFactory, PassesTheIetfVersionAndTusMetadata) {
  auto r = resumableOf(ResumableMode::ietf);
  r.ietf_interop_version = 6;
  EXPECT_EQ(makeUploadProtocol(r)->requestHeaders(requestFacts(UploadStep::probe, 10))[0], "Upload-Draft-Interop-Version: 6");
  r = resumableOf(ResumableMode::tus);
  r.tus_metadata = "filename ZmlsZS5iaW4=";
  EXPECT_EQ(makeUploadProtocol(r)->requestHeaders(requestFacts(UploadStep::create, 10)),
            (ProtocolFields{"Tus-Resumable: 1.0.0", "Upload-Length: 10", "Upload-Metadata: filename ZmlsZS5iaW4="}));
}

// ---- plain ----

TEST(PlainUploadProtocol, SendsTheApplicationsRequestAsItIs) {
  PlainUpload plain;
  EXPECT_FALSE(plain.resumable());
  EXPECT_EQ(plain.createMethod("POST"), "POST");
  EXPECT_TRUE(plain.createSendsBody());
  EXPECT_TRUE(plain.requestHeaders(requestFacts(UploadStep::create, 100)).empty());
  EXPECT_FALSE(plain.refuseOptions());
  EXPECT_FALSE(plain.refuseStreamBody());
  EXPECT_FALSE(plain.interimNamesResource(104));
  EXPECT_FALSE(plain.creationMadeResourceOnly(201));
  EXPECT_FALSE(plain.appendMayTakePart());
}

// ---- IETF ----

TEST(IetfUploadProtocol, CreationDeclaresCompleteAndTheLength) {
  IetfUpload v8(8);
  EXPECT_EQ(v8.requestHeaders(requestFacts(UploadStep::create, 1000)),
            (ProtocolFields{"Upload-Draft-Interop-Version: 8", "Upload-Complete: ?1", "Upload-Length: 1000"}));
  // A stream of unknown length: no Upload-Length.
  EXPECT_EQ(v8.requestHeaders(requestFacts(UploadStep::create, std::nullopt)),
            (ProtocolFields{"Upload-Draft-Interop-Version: 8", "Upload-Complete: ?1"}));
  // Interop 6 servers take the length from Content-Length.
  IetfUpload v6(6);
  EXPECT_EQ(v6.requestHeaders(requestFacts(UploadStep::create, 1000)),
            (ProtocolFields{"Upload-Draft-Interop-Version: 6", "Upload-Complete: ?1"}));
  EXPECT_EQ(v8.createMethod("PUT"), "PUT");
  EXPECT_TRUE(v8.createSendsBody());
}

TEST(IetfUploadProtocol, ProbeAndAppendFields) {
  IetfUpload v8(8);
  EXPECT_EQ(v8.requestHeaders(requestFacts(UploadStep::probe, 1000)), (ProtocolFields{"Upload-Draft-Interop-Version: 8"}));
  EXPECT_EQ(v8.requestHeaders(requestFacts(UploadStep::append, 1000, 400)),
            (ProtocolFields{"Upload-Draft-Interop-Version: 8", "Content-Type: application/partial-upload", "Upload-Offset: 400",
                    "Upload-Complete: ?1"}));
}

TEST(IetfUploadProtocol, SpeaksInteropSixAndEightOnly) {
  EXPECT_FALSE(IetfUpload(6).refuseOptions());
  EXPECT_FALSE(IetfUpload(8).refuseOptions());
  auto refused = IetfUpload(7).refuseOptions();
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->is(errc::invalid_argument));
  EXPECT_NE(refused->message.find("not 7"), std::string::npos);
}

TEST(IetfUploadProtocol, ReadsTheAnswers) {
  IetfUpload ietf(8);
  EXPECT_TRUE(ietf.resumable());
  EXPECT_TRUE(ietf.interimNamesResource(104));
  EXPECT_FALSE(ietf.interimNamesResource(100));
  EXPECT_FALSE(ietf.creationMadeResourceOnly(201));  // the creation's answer is the upload's
  EXPECT_FALSE(ietf.appendMayTakePart());
  EXPECT_FALSE(ietf.refuseStreamBody());
  // Complete when the server says so, whatever the offset.
  EXPECT_TRUE(ietf.probeFoundComplete({{"upload-complete", "?1"}}, 10, 1000));
  EXPECT_FALSE(ietf.probeFoundComplete({{"Upload-Complete", "?0"}}, 1000, 1000));
  EXPECT_FALSE(ietf.probeFoundComplete({}, 1000, 1000));
}

// ---- tus ----

TEST(TusUploadProtocol, CreationIsABodylessPostWithTheLength) {
  TusUpload tus("");
  EXPECT_EQ(tus.createMethod("PUT"), "POST");
  EXPECT_FALSE(tus.createSendsBody());
  EXPECT_EQ(tus.requestHeaders(requestFacts(UploadStep::create, 1000)), (ProtocolFields{"Tus-Resumable: 1.0.0", "Upload-Length: 1000"}));
  EXPECT_EQ(tus.requestHeaders(requestFacts(UploadStep::create, std::nullopt)),
            (ProtocolFields{"Tus-Resumable: 1.0.0", "Upload-Length: 0"}));
}

TEST(TusUploadProtocol, ProbeAndAppendFields) {
  TusUpload tus("key dmFsdWU=");
  EXPECT_EQ(tus.requestHeaders(requestFacts(UploadStep::probe, 1000)), (ProtocolFields{"Tus-Resumable: 1.0.0"}));
  EXPECT_EQ(tus.requestHeaders(requestFacts(UploadStep::append, 1000, 250)),
            (ProtocolFields{"Tus-Resumable: 1.0.0", "Content-Type: application/offset+octet-stream", "Upload-Offset: 250"}));
}

TEST(TusUploadProtocol, ReadsTheAnswers) {
  TusUpload tus("");
  EXPECT_TRUE(tus.resumable());
  EXPECT_FALSE(tus.interimNamesResource(104));
  EXPECT_TRUE(tus.creationMadeResourceOnly(201));
  EXPECT_TRUE(tus.creationMadeResourceOnly(200));
  EXPECT_FALSE(tus.creationMadeResourceOnly(403));
  EXPECT_TRUE(tus.appendMayTakePart());
  // Complete when the server has the whole length.
  EXPECT_TRUE(tus.probeFoundComplete({}, 1000, 1000));
  EXPECT_FALSE(tus.probeFoundComplete({{"Upload-Complete", "?1"}}, 999, 1000));
  EXPECT_FALSE(tus.probeFoundComplete({}, 0, std::nullopt));
  const Error missing = tus.creationWithoutResource(201, "http://h/files");
  EXPECT_TRUE(missing.is(errc::protocol));
  EXPECT_NE(missing.message.find("tus server answered 201"), std::string::npos);
}

TEST(TusUploadProtocol, RefusesStreamBodies) {
  auto refused = TusUpload("").refuseStreamBody();
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->is(errc::invalid_argument));
}

// ---- the part a job starts with ----

class UploadPartTest : public ::testing::Test {
 protected:
  UploadJob fileJob(ResumableMode mode) {
    ft::writeFile(dir_ / "body.bin", std::string(1000, 'x'));
    UploadJob job;
    job.id = 1;
    job.request.url = "http://127.0.0.1:1/upload";
    job.body = FileBody{dir_ / "body.bin", std::nullopt};
    job.resumable.mode = mode;
    return job;
  }
  UploadJob streamJob(ResumableMode mode) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    write_end_.reset(fds[1]);
    UploadJob job = fileJob(mode);
    job.body = StreamBody{UniqueFd(fds[0]), std::nullopt};
    return job;
  }

  ft::TempDir dir_;
  UniqueFd write_end_;
};

TEST_F(UploadPartTest, StartsWithTheCreationTheProtocolAsksFor) {
  UploadJob plain = fileJob(ResumableMode::none);
  auto part = makeUploadPart(plain);
  ASSERT_TRUE(part) << part.error().describe();
  EXPECT_EQ(part->step, UploadStep::create);
  EXPECT_EQ(part->method, "PUT");
  EXPECT_TRUE(part->send_body);
  EXPECT_EQ(part->body_length, 1000u);
  EXPECT_FALSE(part->protocol->resumable());

  UploadJob tus = fileJob(ResumableMode::tus);
  part = makeUploadPart(tus);
  ASSERT_TRUE(part) << part.error().describe();
  EXPECT_EQ(part->method, "POST");
  EXPECT_FALSE(part->send_body);
}

TEST_F(UploadPartTest, AKnownUploadUrlStartsWithAProbe) {
  UploadJob job = fileJob(ResumableMode::ietf);
  job.resumable.upload_url = "http://127.0.0.1:1/uploads/7";
  job.resumable.known_offset = 300;
  auto part = makeUploadPart(job);
  ASSERT_TRUE(part) << part.error().describe();
  EXPECT_EQ(part->step, UploadStep::probe);
  EXPECT_EQ(part->upload_url, "http://127.0.0.1:1/uploads/7");
  EXPECT_EQ(part->confirmed_offset, 300u);
}

TEST_F(UploadPartTest, RefusesOptionsTheProtocolCannotDo) {
  UploadJob plain = fileJob(ResumableMode::none);
  plain.resumable.upload_url = "http://127.0.0.1:1/uploads/7";
  auto part = makeUploadPart(plain);
  ASSERT_FALSE(part);
  EXPECT_TRUE(part.error().is(errc::invalid_argument));

  UploadJob ietf = fileJob(ResumableMode::ietf);
  ietf.resumable.ietf_interop_version = 5;
  part = makeUploadPart(ietf);
  ASSERT_FALSE(part);
  EXPECT_TRUE(part.error().is(errc::invalid_argument));

  UploadJob tus = streamJob(ResumableMode::tus);
  part = makeUploadPart(tus);
  ASSERT_FALSE(part);
  EXPECT_TRUE(part.error().is(errc::invalid_argument));
  EXPECT_NE(part.error().message.find("tus"), std::string::npos);
}

TEST_F(UploadPartTest, TakesAStreamForProtocolsThatSendItOnce) {
  UploadJob ietf = streamJob(ResumableMode::ietf);
  auto part = makeUploadPart(ietf);
  ASSERT_TRUE(part) << part.error().describe();
  EXPECT_TRUE(part->is_stream());
  EXPECT_FALSE(part->body_length);
}

}  // namespace
}  // namespace ferry::engine
