#include <gtest/gtest.h>

#include "store/row_codec.hpp"

using namespace ferry;
using namespace ferry::store;

namespace {

// What ferryd 0.1.0 wrote (tests/fixtures/state-0.1.0-schema3.sql): the format must not drift.
constexpr std::string_view kRequest0_1 =
    R"({"connect_timeout":30,"headers":[],"method":"GET","schedule":{"begin_at":4102444800,"discretionary":false,"priority":0.75},"stall_timeout":60,"url":"http://127.0.0.1:1/later.bin"})";
constexpr std::string_view kUpload0_1 =
    R"({"body":"/srv/up.bin","confirmed_offset":0,"identity":{"device":2049,"inode":77,"mtime_ns":1700000000000000000,"size":300000},"redirects":"follow","resumable":"none","spooled":false,"stream":false,"stream_length":null,"upload_url":""})";

}  // namespace

TEST(RowCodec, ReadsAndWritesTheFormatOf0_1_0ByteForByte) {
  auto request = decodeRequest(kRequest0_1);
  ASSERT_TRUE(request) << request.error().describe();
  EXPECT_EQ(request->request.url, "http://127.0.0.1:1/later.bin");
  EXPECT_DOUBLE_EQ(request->scheduling.priority, 0.75);
  ASSERT_TRUE(request->scheduling.begin_at);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(request->scheduling.begin_at->time_since_epoch()).count(), 4102444800);
  EXPECT_FALSE(request->upload);
  EXPECT_EQ(encodeRequest(*request), kRequest0_1);

  auto upload = decodeUpload(kUpload0_1);
  ASSERT_TRUE(upload) << upload.error().describe();
  EXPECT_EQ(upload->identity.inode, 77u);
  EXPECT_EQ(upload->mode, model::ResumableMode::none);
  EXPECT_EQ(encodeUpload(*upload), kUpload0_1);
}

TEST(RowCodec, ATokensRequestCarriesItsUploadAndRoundTrips) {
  StoredRequest stored;
  stored.request.url = "https://example.test/up";
  stored.request.method = "PUT";
  stored.request.headers = {{"X-A", "1"}, {"X-B", "two"}};
  stored.request.stall_timeout = std::chrono::seconds(5);
  stored.upload = StoredUpload{};
  stored.upload->body = "/spool/1.body";
  stored.upload->spooled = true;
  stored.upload->mode = model::ResumableMode::tus;
  stored.upload->redirects = model::RedirectPolicy::ask;
  stored.upload->upload_url = "https://example.test/files/abc";
  stored.upload->confirmed_offset = 1234;
  stored.upload->stream_length = 99;
  auto back = decodeRequest(encodeRequest(stored));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->request.method, "PUT");
  EXPECT_EQ(back->request.headers, stored.request.headers);
  EXPECT_EQ(back->request.stall_timeout, std::chrono::seconds(5));
  ASSERT_TRUE(back->upload);
  EXPECT_EQ(back->upload->mode, model::ResumableMode::tus);
  EXPECT_EQ(back->upload->redirects, model::RedirectPolicy::ask);
  EXPECT_EQ(back->upload->upload_url, "https://example.test/files/abc");
  EXPECT_EQ(back->upload->confirmed_offset, 1234u);
  EXPECT_EQ(back->upload->stream_length, std::optional<std::uint64_t>(99));
  EXPECT_TRUE(back->upload->spooled);
}

TEST(RowCodec, ADamagedRowIsAnInternalErrorNotAGuess) {
  for (std::string_view bad : {std::string_view(""), std::string_view("[]"), std::string_view("{"),
                               std::string_view(R"({"url":5})"), std::string_view(R"({"method":"GET"})"),
                               std::string_view(R"({"url":"http://a/","headers":[["x"]]})"),
                               std::string_view(R"({"url":"http://a/","stall_timeout":"60"})"),
                               std::string_view(R"({"url":"http://a/","schedule":{"priority":"high"}})"),
                               std::string_view(R"({"url":"http://a/","upload":{"body":1}})")}) {
    auto r = decodeRequest(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::internal) << bad;
    EXPECT_NE(r.error().message.find("damaged"), std::string::npos) << r.error().message;
  }
  for (std::string_view bad : {std::string_view("null"), std::string_view(R"({"body":"/a"})"),
                               std::string_view(R"({"body":"/a","identity":{"size":-1}})"),
                               std::string_view(R"({"body":"/a","identity":{},"resumable":"maybe"})"),
                               std::string_view(R"({"body":"/a","identity":{},"spooled":"yes"})")}) {
    auto r = decodeUpload(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::internal) << bad;
  }
}

TEST(RowCodec, ASessionsConfigurationKeepsTheFormatOf0_1_0AndItsMarks) {
  constexpr std::string_view k0_1 = R"({"max_bytes_per_second":0,"max_concurrent":6,"max_per_host":4,"resource_timeout":604800})";
  auto session = decodeSession(k0_1);
  ASSERT_TRUE(session) << session.error().describe();
  EXPECT_EQ(session->config, model::SessionConfig{});
  EXPECT_FALSE(session->invalidating);
  EXPECT_EQ(encodeSession(*session), k0_1);

  StoredSession marked;
  marked.invalidating = true;
  marked.config.max_concurrent = 2;
  marked.config.launch = model::LaunchCommand{{"/usr/bin/app", "--events"}, "/srv", {"HOME"},
                                              std::chrono::seconds(5), std::chrono::seconds(600)};
  auto back = decodeSession(encodeSession(marked));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_TRUE(back->invalidating);
  EXPECT_EQ(back->config, marked.config);

  for (std::string_view bad : {std::string_view("7"), std::string_view(R"({"max_concurrent":"six"})"),
                               std::string_view(R"({"max_concurrent":0})"), std::string_view(R"({"launch":{"argv":[]}})"),
                               std::string_view(R"({"launch":{"argv":["/a"],"min_interval":"often"}})")}) {
    auto r = decodeSession(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::internal) << bad;
  }
}

TEST(RowCodec, ASessionsTransportSettingsAreKeptAndOldRowsGetTheDefaults) {
  StoredSession session;
  session.config.transport.proxy = "http://127.0.0.1:3128";
  session.config.transport.no_proxy = "localhost";
  session.config.transport.ca_file = "/srv/ca.pem";
  session.config.transport.client_certificate = "/srv/client.pem";
  session.config.transport.client_key = "/srv/client.key";
  session.config.transport.http2 = false;
  auto back = decodeSession(encodeSession(session));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->config.transport, session.config.transport);

  // A row without the field (ferryd 0.1.0, or a session without settings) decodes to the defaults,
  // and the defaults are not written: such rows stay byte for byte what they were.
  auto old = decodeSession(R"({"max_bytes_per_second":0,"max_concurrent":6,"max_per_host":4,"resource_timeout":604800})");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->config.transport, model::TransportSettings{});
  EXPECT_EQ(encodeSession(StoredSession{}).find("transport"), std::string::npos);

  auto damaged = decodeSession(R"({"max_concurrent":6,"transport":{"http2":"no"}})");
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, errc::internal);
}

TEST(RowCodec, AnExpectedDigestIsKeptOnlyWhenSet) {
  auto request = decodeRequest(kRequest0_1);
  ASSERT_TRUE(request);
  EXPECT_TRUE(request->request.expected_digest.empty());
  EXPECT_EQ(encodeRequest(*request).find("expected_digest"), std::string::npos);
  request->request.expected_digest = "sha-512=" + std::string(128, 'e');
  auto back = decodeRequest(encodeRequest(*request));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->request, request->request);
}

TEST(RowCodec, ConnectionsAndMirrorsAreKeptOnlyWhenSet) {
  auto request = decodeRequest(kRequest0_1);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->request.connections, 1);
  EXPECT_TRUE(request->request.mirrors.empty());
  EXPECT_EQ(encodeRequest(*request).find("connections"), std::string::npos);
  EXPECT_EQ(encodeRequest(*request).find("mirrors"), std::string::npos);
  request->request.connections = 6;
  request->request.mirrors = {"http://m1/f", "http://m2/f"};
  auto back = decodeRequest(encodeRequest(*request));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->request, request->request);
  EXPECT_FALSE(decodeRequest(R"({"url":"http://a/","mirrors":[1]})"));
}

TEST(RowCodec, WhatATaskAndASessionAskOfTheMachineIsKeptOnlyWhenNotTheDefault) {
  auto request = decodeRequest(kRequest0_1);
  ASSERT_TRUE(request);
  EXPECT_TRUE(request->scheduling.allows_expensive_network);  // 0.1.0's rows: the defaults
  EXPECT_TRUE(request->scheduling.allows_constrained_network);
  EXPECT_FALSE(request->scheduling.requires_external_power);
  request->scheduling.allows_expensive_network = false;
  request->scheduling.allows_constrained_network = false;
  request->scheduling.requires_external_power = true;
  auto back = decodeRequest(encodeRequest(*request));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->scheduling, request->scheduling);

  StoredSession session;
  EXPECT_EQ(encodeSession(session).find("network_access"), std::string::npos);
  session.config.allows_expensive_network_access = false;
  session.config.allows_constrained_network_access = false;
  auto stored = decodeSession(encodeSession(session));
  ASSERT_TRUE(stored) << stored.error().describe();
  EXPECT_FALSE(stored->config.allows_expensive_network_access);
  EXPECT_FALSE(stored->config.allows_constrained_network_access);

  auto damaged = decodeRequest(R"({"url":"http://x/","schedule":{"requires_external_power":"yes"}})");
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, errc::internal);
}
