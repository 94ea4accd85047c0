// The request structs (protocol/requests.hpp): each one survives encode/decode unchanged, encodes
// what libferry has always sent, and a field of the wrong type is an error naming the field,
// never an exception.

#include <gtest/gtest.h>

#include <functional>

#include "protocol/requests.hpp"

using namespace ferry;
using namespace ferry::protocol;

namespace {

template <class Request>
void expectRoundTrip(const Request& request) {
  const Json encoded = request.encode();
  auto decoded = Request::decode(encoded);
  ASSERT_TRUE(decoded) << encoded.dump() << ": " << decoded.error().describe();
  EXPECT_EQ(*decoded, request) << encoded.dump();
  EXPECT_EQ(decoded->encode(), encoded);
}

model::HttpRequest someRequest(std::string method = "GET") {
  model::HttpRequest r;
  r.url = "https://example.com/f.bin";
  r.method = std::move(method);
  r.headers = {{"X-Token", "abc"}};
  r.stall_timeout = std::chrono::seconds(90);
  return r;
}

NewTaskOptions someTaskOptions() {
  NewTaskOptions o;
  o.session = "com.example.app";
  o.description = "nightly";
  o.start = true;
  o.scheduling.priority = 0.75;
  o.scheduling.discretionary = true;
  o.scheduling.begin_at = std::chrono::system_clock::time_point(std::chrono::seconds(1764000000));
  return o;
}

}  // namespace

TEST(RequestStructs, EveryRequestSurvivesARoundTrip) {
  SessionConfig config;
  config.max_concurrent = 3;
  config.launch = LaunchCommand{{"/usr/bin/app", "--background"}, "/", {"HOME"}, std::chrono::seconds(60), std::chrono::seconds(3600)};
  expectRoundTrip(Hello{"com.example.app", config, "libferry pid 7"});
  expectRoundTrip(Hello{std::nullopt, SessionConfig{}, "ferry control pid 8"});

  expectRoundTrip(CreateDownload{someRequest(), "/tmp/f.bin", someTaskOptions()});
  CreateDownload from_resume_data;
  from_resume_data.task.resume_data = "ferry-resume-v1.abc.def";
  expectRoundTrip(from_resume_data);

  CreateUpload upload;
  upload.request = someRequest("POST");
  upload.stream = true;
  upload.length = 1234;
  upload.resumable = "none";
  upload.redirects = "ask";
  upload.task = someTaskOptions();
  expectRoundTrip(upload);
  CreateUpload from_file;
  from_file.request = someRequest("PUT");
  from_file.file = "/tmp/up.bin";
  expectRoundTrip(from_file);
  CreateUpload spooled;
  spooled.request = someRequest("PUT");
  spooled.spool_from = "/tmp/spool";
  expectRoundTrip(spooled);
  CreateUpload resumed;
  resumed.task.resume_data = "ferry-resume-v1.abc.def";
  resumed.redirects = "follow";
  expectRoundTrip(resumed);

  for (auto verb : {TaskVerb::suspend, TaskVerb::resume, TaskVerb::cancel, TaskVerb::cancel_with_resume_data})
    expectRoundTrip(TaskCommand{verb, 42});
  expectRoundTrip(Ack{17, {}});
  expectRoundTrip(Ack{17, {18, 20}});
  CreateDownloads batch;
  batch.tasks.push_back(CreateDownload{someRequest(), "/tmp/a.bin", someTaskOptions()});
  batch.tasks.push_back(from_resume_data);
  expectRoundTrip(batch);
  expectRoundTrip(List{});
  expectRoundTrip(List{"com.example.app"});
  expectRoundTrip(Status{});
  expectRoundTrip(Limits{});
  expectRoundTrip(SetLimit{std::nullopt, 0});
  expectRoundTrip(SetLimit{"com.example.app", 5242880});
  expectRoundTrip(Watch{});
  expectRoundTrip(Watch{"com.example.app"});
  expectRoundTrip(BodyStreamOpened{9});
  expectRoundTrip(BodyStreamEnded{9, 1000});
  expectRoundTrip(DecideRedirect{9, false});
  expectRoundTrip(ExportResumeData{"ferry-resume-v1.abc.def"});
  expectRoundTrip(Invalidate{false});
  expectRoundTrip(Invalidate{true});
}

TEST(RequestStructs, EncodeWritesTheWireFormat) {
  EXPECT_EQ(TaskCommand({TaskVerb::cancel_with_resume_data, 5}).encode(),
            (Json{{"type", "cancel_with_resume_data"}, {"task", 5}}));
  EXPECT_EQ(Invalidate{true}.encode(), (Json{{"type", "invalidate_and_cancel"}}));
  EXPECT_EQ(Invalidate{false}.encode(), (Json{{"type", "finish_tasks_and_invalidate"}}));
  EXPECT_EQ((BodyStreamEnded{3, 10}.encode()), (Json{{"type", "body_stream_ended"}, {"task", 3}, {"bytes", 10}}));
  EXPECT_EQ((Hello{std::nullopt, SessionConfig{}, "ctl"}.encode()), (Json{{"type", "hello"}, {"version", kVersion}, {"client", "ctl"}}));
  // As libferry has always sent create_download: priority always, start and discretionary when set.
  CreateDownload d;
  d.request = someRequest();
  d.destination = "/tmp/x";
  EXPECT_EQ(d.encode(), (Json{{"type", "create_download"},
                              {"request", requestToJson(someRequest())},
                              {"destination", "/tmp/x"},
                              {"description", ""},
                              {"priority", 0.5}}));
}

TEST(RequestStructs, DecodeKeepsTheDaemonsDefaults) {
  auto upload = CreateUpload::decode(Json{{"type", "create_upload"}, {"request", {{"url", "http://x/"}}}, {"file", "/f"}});
  ASSERT_TRUE(upload);
  EXPECT_EQ(upload->request->method, "PUT");  // an upload's default
  EXPECT_FALSE(upload->resumable);            // ferryd reads ietf
  auto hello = Hello::decode(Json{{"type", "hello"}, {"version", kVersion}});
  ASSERT_TRUE(hello);
  EXPECT_FALSE(hello->attach);
  for (const Json& version : {Json(99), Json("1"), Json(nullptr)}) {
    auto refused = Hello::decode(Json{{"type", "hello"}, {"version", version}, {"attach", 5}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, errc::version_mismatch) << version.dump();
  }
  auto missing = TaskCommand::decode(Json{{"type", "cancel"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "cancel: task is missing");
  auto with_resume_data = CreateUpload::decode(Json{{"type", "create_upload"}, {"resume_data", "x"}, {"stream", false}});
  ASSERT_FALSE(with_resume_data);
  EXPECT_EQ(with_resume_data.error().code, errc::invalid_argument);
  EXPECT_NE(with_resume_data.error().message.find("takes no stream"), std::string::npos);
}

namespace {

struct WrongType {
  std::string type;
  Json base;  // a valid message
  std::string field;
  Json value;
  std::string_view code = errc::protocol;
};

template <class Request>
Result<void> decodes(const Json& m) {
  auto r = Request::decode(m);
  if (!r) return tl::unexpected(r.error());
  return {};
}

const std::map<std::string, std::function<Result<void>(const Json&)>>& decoders() {
  static const std::map<std::string, std::function<Result<void>(const Json&)>> table{
      {"hello", decodes<Hello>},
      {"create_download", decodes<CreateDownload>},
      {"create_downloads", decodes<CreateDownloads>},
      {"create_upload", decodes<CreateUpload>},
      {"cancel", decodes<TaskCommand>},
      {"ack", decodes<Ack>},
      {"list", decodes<List>},
      {"set_limit", decodes<SetLimit>},
      {"watch", decodes<Watch>},
      {"body_stream_opened", decodes<BodyStreamOpened>},
      {"body_stream_ended", decodes<BodyStreamEnded>},
      {"decide_redirect", decodes<DecideRedirect>},
      {"export_resume_data", decodes<ExportResumeData>},
  };
  return table;
}

}  // namespace

TEST(RequestStructs, AWrongTypedFieldIsAnErrorNamingIt) {
  const Json hello{{"type", "hello"}, {"version", kVersion}, {"attach", "app"}};
  const Json download{{"type", "create_download"}, {"request", {{"url", "http://x/"}}}};
  const Json upload{{"type", "create_upload"}, {"request", {{"url", "http://x/"}}}, {"file", "/f"}};
  const Json task{{"type", "cancel"}, {"task", 1}};
  const std::string_view invalid = errc::invalid_argument;
  const std::vector<WrongType> cases = {
      {"hello", hello, "attach", 5},
      {"hello", hello, "client", Json::array()},
      {"hello", hello, "configuration", "fast", invalid},
      {"create_download", download, "session", 5},
      {"create_download", download, "resume_data", true},
      {"create_download", download, "request", "http://x/", invalid},
      {"create_download", download, "destination", 5},
      {"create_download", download, "description", Json::array({1})},
      {"create_download", download, "start", "yes"},
      {"create_download", download, "priority", "high", invalid},
      {"create_download", download, "discretionary", "yes", invalid},
      {"create_download", download, "begin_at", "tomorrow", invalid},
      {"create_upload", upload, "session", 5},
      {"create_upload", upload, "file", Json{{"a", 1}}},
      {"create_upload", upload, "spool_from", 5},
      {"create_upload", upload, "stream", "yes"},
      {"create_upload", upload, "length", -1},
      {"create_upload", upload, "resumable", 1},
      {"create_upload", upload, "redirects", false},
      {"create_upload", upload, "description", 5},
      {"create_upload", upload, "start", 1},
      {"cancel", task, "task", "seven"},
      {"ack", Json{{"type", "ack"}, {"seq", 1}}, "seq", "one"},
      {"ack", Json{{"type", "ack"}, {"seq", 1}}, "seqs", "two"},
      {"ack", Json{{"type", "ack"}, {"seq", 1}}, "seqs", Json::array({2, "three"})},
      {"create_downloads", Json{{"type", "create_downloads"}, {"tasks", Json::array({download})}}, "tasks", Json::object()},
      {"list", Json{{"type", "list"}}, "session", 5},
      {"set_limit", Json{{"type", "set_limit"}, {"bytes_per_second", 0}}, "bytes_per_second", "5M", invalid},
      {"set_limit", Json{{"type", "set_limit"}, {"bytes_per_second", 0}}, "session", 5, invalid},
      {"watch", Json{{"type", "watch"}}, "session", Json::object()},
      {"body_stream_opened", Json{{"type", "body_stream_opened"}, {"task", 1}}, "task", 1.5},
      {"body_stream_ended", Json{{"type", "body_stream_ended"}, {"task", 1}, {"bytes", 2}}, "task", "1"},
      {"body_stream_ended", Json{{"type", "body_stream_ended"}, {"task", 1}, {"bytes", 2}}, "bytes", "many"},
      {"decide_redirect", Json{{"type", "decide_redirect"}, {"task", 1}, {"follow", true}}, "task", -3},
      {"decide_redirect", Json{{"type", "decide_redirect"}, {"task", 1}, {"follow", true}}, "follow", "yes", invalid},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(decoders().at(c.type)(c.base)) << c.base.dump();
    Json m = c.base;
    m[c.field] = c.value;
    Result<void> r;
    EXPECT_NO_THROW(r = decoders().at(c.type)(m)) << m.dump();
    ASSERT_FALSE(r) << m.dump();
    EXPECT_EQ(r.error().code, c.code) << m.dump() << ": " << r.error().message;
    EXPECT_NE(r.error().message.find(c.field), std::string::npos) << m.dump() << ": " << r.error().message;
    if (c.code == errc::protocol) {  // the message is named too
      EXPECT_EQ(r.error().message.rfind(c.type + ": " + c.field + " must be ", 0), 0u) << r.error().message;
    }
  }
}

TEST(RequestStructs, ANonObjectOrAnotherTypeIsAnError) {
  EXPECT_FALSE(Ack::decode(Json::array()));
  EXPECT_FALSE(Status::decode(Json("status")));
  EXPECT_FALSE(TaskCommand::decode(Json{{"type", "list"}, {"task", 1}}));
  EXPECT_FALSE(Invalidate::decode(Json{{"type", "cancel"}}));
  auto i = Invalidate::decode(Json{{"type", "invalidate_and_cancel"}});
  ASSERT_TRUE(i);
  EXPECT_TRUE(i->cancel);
}

TEST(RequestStructs, ExportResumeDataNeedsItsBlob) {
  auto empty = ExportResumeData::decode(Json{{"type", "export_resume_data"}});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, "invalid-argument");
  auto wrong = ExportResumeData::decode(Json{{"type", "export_resume_data"}, {"resume_data", 5}});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("resume_data"), std::string::npos);
}

TEST(RequestStructs, ABeginDatePastWhatTheClockHoldsIsRefused) {
  // 17264000000 s is the year 2517: as nanoseconds since 1970 it overflows 64 bits.
  Json m{{"type", "create_download"}, {"request", {{"url", "http://x/"}}}, {"begin_at", 17264000000LL}};
  auto decoded = CreateDownload::decode(m);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, "invalid-argument");
  m["begin_at"] = 7258118399LL;  // 2199-12-31T23:59:59Z: the last accepted
  EXPECT_TRUE(CreateDownload::decode(m));
}

// A batch's entries are decoded one by one: a malformed entry is that entry's error only.
TEST(RequestStructs, ABatchOfDownloadsKeepsEachEntrysError) {
  const Json good{{"request", {{"url", "http://x/a"}}}, {"destination", "/tmp/a"}};
  const Json wrong_type{{"request", {{"url", "http://x/b"}}}, {"destination", 5}};
  const Json bad_request{{"request", "http://x/c"}};
  auto batch = CreateDownloads::decode(
      Json{{"type", "create_downloads"}, {"tasks", Json::array({good, wrong_type, 7, bad_request, good})}});
  ASSERT_TRUE(batch) << batch.error().describe();
  ASSERT_EQ(batch->tasks.size(), 5u);
  EXPECT_TRUE(batch->tasks[0]);
  ASSERT_FALSE(batch->tasks[1]);
  EXPECT_EQ(batch->tasks[1].error().message, "create_download: destination must be a string");
  ASSERT_FALSE(batch->tasks[2]);
  EXPECT_EQ(batch->tasks[2].error().message, "create_downloads: tasks[2] must be an object");
  ASSERT_FALSE(batch->tasks[3]);
  EXPECT_EQ(batch->tasks[3].error().code, errc::invalid_argument);
  EXPECT_TRUE(batch->tasks[4]);
  EXPECT_EQ(batch->tasks[4]->destination, "/tmp/a");

  // The message itself must hold entries, and not too many.
  auto empty = CreateDownloads::decode(Json{{"type", "create_downloads"}, {"tasks", Json::array()}});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, errc::invalid_argument);
  auto missing = CreateDownloads::decode(Json{{"type", "create_downloads"}});
  ASSERT_FALSE(missing);
  Json many = Json::array();
  for (std::size_t i = 0; i <= CreateDownloads::kMaxEntries; ++i) many.push_back(good);
  auto too_many = CreateDownloads::decode(Json{{"type", "create_downloads"}, {"tasks", many}});
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("at most"), std::string::npos);
}
