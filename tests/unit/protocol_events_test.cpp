// The event structs (protocol/events.hpp): each payload is the one ferryd writes, survives a round
// trip, and a field of the wrong type is an error naming the event and the field, never an exception.

#include <gtest/gtest.h>

#include "protocol/events.hpp"

using namespace ferry;
using namespace ferry::protocol;

namespace {

template <class E>
void expectPayloadRoundTrip(const E& event, const Json& payload) {
  EXPECT_EQ(event.encodePayload(), payload) << E::kName;
  auto decoded = E::decode(payload);
  ASSERT_TRUE(decoded) << payload.dump() << ": " << decoded.error().describe();
  EXPECT_EQ(*decoded, event) << payload.dump();
  // And by name, as libferry reads an event message (payload and envelope).
  Json message = payload;
  message.update(Json{{"type", "event"}, {"event", E::kName}, {"seq", 3}, {"session", "app"}, {"task", 9}});
  auto by_name = decodeEvent(E::kName, message);
  ASSERT_TRUE(by_name) << by_name.error().describe();
  EXPECT_EQ(eventName(*by_name), E::kName);
  EXPECT_EQ(encodePayload(*by_name), payload);
}

}  // namespace

TEST(EventStructs, EveryEventIsThePayloadFerrydWritesAndSurvivesARoundTrip) {
  expectPayloadRoundTrip(DidWriteData{10, 110, 1000},
                  Json{{"bytesWritten", 10}, {"totalBytesWritten", 110}, {"totalBytesExpectedToWrite", 1000}});
  expectPayloadRoundTrip(DidWriteData{10, 110, std::nullopt},
                  Json{{"bytesWritten", 10}, {"totalBytesWritten", 110}, {"totalBytesExpectedToWrite", -1}});
  expectPayloadRoundTrip(DidResumeAtOffset{4096, 8192}, Json{{"fileOffset", 4096}, {"expectedTotalBytes", 8192}});
  expectPayloadRoundTrip(DidResumeAtOffset{0, std::nullopt}, Json{{"fileOffset", 0}, {"expectedTotalBytes", -1}});
  expectPayloadRoundTrip(DidFinishDownloadingTo{"/state/delivered/7", true, 200, 5000},
                  Json{{"location", "/state/delivered/7"}, {"temporary", true}, {"statusCode", 200}, {"totalBytesWritten", 5000}});
  expectPayloadRoundTrip(DidComplete{std::nullopt, 200, std::nullopt, std::nullopt}, Json{{"error", nullptr}, {"statusCode", 200}});
  expectPayloadRoundTrip(DidComplete{Error(errc::cancelled, "the download was cancelled"), 0, "ferry-resume-v1.a.b", std::nullopt},
                  Json{{"error", {{"code", "cancelled"}, {"message", "the download was cancelled"}}},
                       {"statusCode", 0},
                       {"resumeData", "ferry-resume-v1.a.b"}});
  expectPayloadRoundTrip(DidSendBodyData{100, 300, 1000},
                  Json{{"bytesSent", 100}, {"totalBytesSent", 300}, {"totalBytesExpectedToSend", 1000}});
  expectPayloadRoundTrip(DidSendBodyData{100, 300, std::nullopt},
                  Json{{"bytesSent", 100}, {"totalBytesSent", 300}, {"totalBytesExpectedToSend", -1}});
  expectPayloadRoundTrip(DidRestartUpload{"the server forgot the upload"}, Json{{"reason", "the server forgot the upload"}});
  expectPayloadRoundTrip(DidReceiveResponse{201, {{"Location", "/u/1"}, {"ETag", "\"x\""}}},
                  Json{{"statusCode", 201},
                       {"headers", Json::array({Json::array({"Location", "/u/1"}), Json::array({"ETag", "\"x\""})})}});
  expectPayloadRoundTrip(DidReceiveResponse{204, {}}, Json{{"statusCode", 204}, {"headers", Json::array()}});
  expectPayloadRoundTrip(DidReceiveData{std::string("ok\0\xff", 4), false}, Json{{"data", "b2sA/w=="}, {"truncated", false}});
  expectPayloadRoundTrip(NeedNewBodyStream{"/state/streams/7-1.fifo", 1234}, Json{{"pipe", "/state/streams/7-1.fifo"}, {"length", 1234}});
  expectPayloadRoundTrip(NeedNewBodyStream{"/p", std::nullopt}, Json{{"pipe", "/p"}, {"length", nullptr}});
  expectPayloadRoundTrip(WillPerformHTTPRedirection{307, "https://b/x", "PUT", true},
                  Json{{"statusCode", 307}, {"location", "https://b/x"}, {"method", "PUT"}, {"keepsBody", true}});
  expectPayloadRoundTrip(TaskStateChanged{"running", "retry-backoff 30s"}, Json{{"state", "running"}, {"waiting_for", "retry-backoff 30s"}});
  expectPayloadRoundTrip(DidBecomeInvalid{std::nullopt}, Json{{"error", nullptr}});
}

TEST(EventStructs, TheEnvelopeIsRead) {
  auto e = EventEnvelope::decode(
      Json{{"type", "event"}, {"event", "didComplete"}, {"seq", 12}, {"session", "app"}, {"task", 4}, {"queued", true}});
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, (EventEnvelope{"didComplete", 12, "app", 4, true}));
  auto wrong = EventEnvelope::decode(Json{{"type", "event"}, {"event", "didComplete"}, {"seq", "12"}});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message, "event message: seq must be a whole number of 0 or more");
}

TEST(EventStructs, AnUnknownEventIsAnError) {
  auto r = decodeEvent("didSomethingNew", Json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::protocol);
  EXPECT_NE(r.error().message.find("didSomethingNew"), std::string::npos);
}

TEST(EventStructs, AWrongTypedFieldIsAnErrorNamingTheEventAndTheField) {
  struct Case {
    std::string_view event;
    std::string field;
    Json value;
  };
  const std::vector<Case> cases = {
      {DidWriteData::kName, "bytesWritten", -1},
      {DidWriteData::kName, "totalBytesWritten", "many"},
      {DidWriteData::kName, "totalBytesExpectedToWrite", "unknown"},
      {DidResumeAtOffset::kName, "fileOffset", 1.5},
      {DidResumeAtOffset::kName, "expectedTotalBytes", true},
      {DidFinishDownloadingTo::kName, "location", 5},
      {DidFinishDownloadingTo::kName, "temporary", "yes"},
      {DidFinishDownloadingTo::kName, "statusCode", "200"},
      {DidFinishDownloadingTo::kName, "totalBytesWritten", Json::array()},
      {DidComplete::kName, "error", "boom"},
      {DidComplete::kName, "statusCode", 2.5},
      {DidComplete::kName, "resumeData", 7},
      {DidSendBodyData::kName, "bytesSent", "1"},
      {DidSendBodyData::kName, "totalBytesSent", -2},
      {DidSendBodyData::kName, "totalBytesExpectedToSend", Json::object()},
      {DidRestartUpload::kName, "reason", 1},
      {DidReceiveResponse::kName, "statusCode", "201"},
      {DidReceiveResponse::kName, "headers", "Location: /u/1"},
      {DidReceiveResponse::kName, "headers", Json::array({Json::array({"a", 1})})},
      {DidReceiveData::kName, "data", 5},
      {DidReceiveData::kName, "data", "not base64!"},
      {DidReceiveData::kName, "truncated", "no"},
      {NeedNewBodyStream::kName, "pipe", 3},
      {NeedNewBodyStream::kName, "length", "long"},
      {WillPerformHTTPRedirection::kName, "statusCode", "307"},
      {WillPerformHTTPRedirection::kName, "location", 1},
      {WillPerformHTTPRedirection::kName, "method", false},
      {WillPerformHTTPRedirection::kName, "keepsBody", 1},
      {TaskStateChanged::kName, "state", 1},
      {TaskStateChanged::kName, "waiting_for", Json::array()},
      {DidBecomeInvalid::kName, "error", 5},
  };
  for (const auto& c : cases) {
    Json payload{{c.field, c.value}};
    Result<Event> r;
    EXPECT_NO_THROW(r = decodeEvent(c.event, payload)) << payload.dump();
    ASSERT_FALSE(r) << c.event << " " << payload.dump();
    EXPECT_EQ(r.error().code, errc::protocol);
    EXPECT_EQ(r.error().message.rfind(std::string(c.event) + ": " + c.field + " must be ", 0), 0u) << r.error().message;
  }
}
