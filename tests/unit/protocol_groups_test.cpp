// Download groups on the wire (protocol/groups.hpp, the group events): create_group, GroupInfo,
// didWriteGroupData, didCompleteGroup and a group's resume data survive a round trip; a group
// with one bad entry is refused whole with an error naming the entry; damaged resume data is a
// clear error, never an exception.

#include <gtest/gtest.h>

#include "common/base64.hpp"
#include "protocol/events.hpp"
#include "protocol/groups.hpp"

using namespace ferry;
using namespace ferry::protocol;

namespace {

GroupEntry entry(std::string url, std::string destination) {
  GroupEntry e;
  e.request.url = std::move(url);
  e.destination = std::move(destination);
  return e;
}

CreateGroup someGroup() {
  CreateGroup g;
  g.session = "com.example.app";
  g.name = "photos";
  g.description = "holiday";
  g.start = true;
  g.scheduling.priority = 0.75;
  g.tasks = {entry("https://example.com/a.jpg", "/home/u/a.jpg"), entry("https://example.com/b.jpg", "/home/u/b.jpg")};
  g.tasks[1].request.expected_digest = "sha-256=" + std::string(64, 'a');
  g.tasks[1].request.connections = 4;
  return g;
}

GroupInfo someGroupInfo() {
  GroupInfo g;
  g.id = 42;
  g.session = "com.example.app";
  g.name = "photos";
  g.description = "holiday";
  g.state = "failed";
  g.tasks = {43, 44};
  g.progress = {2, 1, 5000, 9000};
  g.error = Error(errc::http_error, "a file of the group failed");
  g.failures = {{44, "https://example.com/b.jpg", "/home/u/b.jpg", Error(errc::http_error, "HTTP 404")}};
  g.created_at = 1700000000;
  return g;
}

// The error create_group's decode gives for `message` (the test fails if it decodes).
Error refusal(const Json& message) {
  auto decoded = CreateGroup::decode(message);
  EXPECT_FALSE(decoded) << message.dump();
  return decoded ? Error() : decoded.error();
}

}  // namespace

TEST(GroupStructs, CreateGroupSurvivesARoundTrip) {
  const CreateGroup g = someGroup();
  const Json encoded = g.encode();
  EXPECT_EQ(encoded["type"], "create_group");
  EXPECT_EQ(encoded["tasks"].size(), 2u);
  EXPECT_EQ(encoded["tasks"][0]["destination"], "/home/u/a.jpg");
  auto decoded = CreateGroup::decode(encoded);
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(*decoded, g);

  CreateGroup again;
  again.resume_data = "ferry-group-v1:abc";
  auto decoded_again = CreateGroup::decode(again.encode());
  ASSERT_TRUE(decoded_again) << decoded_again.error().describe();
  EXPECT_EQ(*decoded_again, again);
}

TEST(GroupStructs, OneBadEntryRefusesTheWholeGroupNamingIt) {
  Json relative = someGroup().encode();
  relative["tasks"][1]["destination"] = "b.jpg";
  auto e = refusal(relative);
  EXPECT_TRUE(e.is(errc::invalid_argument)) << e.describe();
  EXPECT_NE(e.message.find("tasks[1]"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("absolute destination"), std::string::npos) << e.message;

  Json twice = someGroup().encode();
  twice["tasks"][1]["destination"] = "/home/u/a.jpg";
  e = refusal(twice);
  EXPECT_NE(e.message.find("tasks[1]"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("named twice"), std::string::npos) << e.message;

  Json no_request = someGroup().encode();
  no_request["tasks"][0].erase("request");
  e = refusal(no_request);
  EXPECT_NE(e.message.find("tasks[0] needs a request"), std::string::npos) << e.message;

  Json not_object = someGroup().encode();
  not_object["tasks"][1] = "https://example.com/c";
  e = refusal(not_object);
  EXPECT_NE(e.message.find("tasks[1]"), std::string::npos) << e.message;

  Json wrong_type = someGroup().encode();
  wrong_type["tasks"][0]["destination"] = 7;
  e = refusal(wrong_type);
  EXPECT_NE(e.message.find("destination"), std::string::npos) << e.message;
}

TEST(GroupStructs, AGroupNeedsANameAndFiles) {
  Json unnamed = someGroup().encode();
  unnamed["name"] = "";
  EXPECT_NE(refusal(unnamed).message.find("name"), std::string::npos);
  Json long_name = someGroup().encode();
  long_name["name"] = std::string(kMaxGroupName + 1, 'n');
  EXPECT_NE(refusal(long_name).message.find("name"), std::string::npos);
  Json empty = someGroup().encode();
  empty["tasks"] = Json::array();
  EXPECT_NE(refusal(empty).message.find("needs tasks"), std::string::npos);
  Json not_array = someGroup().encode();
  not_array["tasks"] = "a.jpg";
  EXPECT_FALSE(CreateGroup::decode(not_array));
  Json both = someGroup().encode();
  both["resume_data"] = "ferry-group-v1:abc";
  EXPECT_NE(refusal(both).message.find("takes no name or tasks"), std::string::npos);
}

TEST(GroupStructs, GroupInfoAndItsEventsSurviveARoundTrip) {
  const GroupInfo g = someGroupInfo();
  auto decoded = groupInfoFromJson(groupInfoToJson(g));
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(*decoded, g);

  GroupInfo running = g;
  running.state = "running";
  running.error.reset();
  running.failures.clear();
  running.progress.bytes_expected.reset();
  auto decoded_running = groupInfoFromJson(groupInfoToJson(running));
  ASSERT_TRUE(decoded_running) << decoded_running.error().describe();
  EXPECT_EQ(*decoded_running, running);

  const DidWriteGroupData progress{{20, 3, 12345, std::nullopt}};
  auto write = decodeEvent(DidWriteGroupData::kName, progress.encodePayload());
  ASSERT_TRUE(write) << write.error().describe();
  EXPECT_EQ(std::get<DidWriteGroupData>(*write), progress);

  const DidCompleteGroup complete{g, "ferry-group-v1:abc"};
  Json message = complete.encodePayload();
  message.update(Json{{"type", "event"}, {"event", DidCompleteGroup::kName}, {"seq", 7}, {"session", "app"}, {"task", 42}});
  auto ended = decodeEvent(DidCompleteGroup::kName, message);
  ASSERT_TRUE(ended) << ended.error().describe();
  EXPECT_EQ(std::get<DidCompleteGroup>(*ended), complete);
  EXPECT_EQ(eventName(*ended), DidCompleteGroup::kName);
}

TEST(GroupStructs, AMalformedGroupOrGroupEventIsAnErrorNotAnException) {
  Json bad_tasks = groupInfoToJson(someGroupInfo());
  bad_tasks["tasks"] = Json::array({43, "x"});
  EXPECT_FALSE(groupInfoFromJson(bad_tasks));
  Json bad_failure = groupInfoToJson(someGroupInfo());
  bad_failure["failures"] = Json::array({"44"});
  EXPECT_FALSE(groupInfoFromJson(bad_failure));
  Json no_id = groupInfoToJson(someGroupInfo());
  no_id.erase("id");
  EXPECT_FALSE(groupInfoFromJson(no_id));
  EXPECT_FALSE(decodeEvent(DidCompleteGroup::kName, Json{{"resume_data", "x"}}));  // no group
  EXPECT_FALSE(decodeEvent(DidCompleteGroup::kName, Json{{"group", "42"}}));
  EXPECT_FALSE(decodeEvent(DidWriteGroupData::kName, Json{{"files_total", "20"}}));

  // A list reply: groups beside tasks; none is an empty list; a wrong type is an error.
  auto listed = groupListFromJson(Json{{"tasks", Json::array()}, {"groups", Json::array({groupInfoToJson(someGroupInfo())})}});
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), someGroupInfo());
  auto none = groupListFromJson(Json{{"tasks", Json::array()}});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(groupListFromJson(Json{{"groups", 3}}));
  EXPECT_FALSE(groupListFromJson(Json{{"groups", Json::array({Json{{"id", "x"}}})}}));
}

TEST(GroupStructs, GroupResumeDataSurvivesARoundTripAndDamageIsAClearError) {
  GroupResumeData data;
  data.name = "photos";
  data.description = "holiday";
  data.entries = {entry("https://example.com/a.jpg", "/home/u/a.jpg"), entry("", "/home/u/b.jpg")};
  data.entries[1].resume_data = "ferry-resume-v2.member";
  data.entries[1].request = {};
  const std::string blob = encodeGroupResumeData(data);
  EXPECT_TRUE(isGroupResumeData(blob));
  EXPECT_FALSE(isGroupResumeData("ferry-resume-v2.abc"));
  auto decoded = decodeGroupResumeData(blob);
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(*decoded, data);

  const auto damaged = [](std::string_view b) {
    auto r = decodeGroupResumeData(b);
    EXPECT_FALSE(r) << b;
    if (r) return std::string();
    EXPECT_TRUE(r.error().is(errc::resume_data_invalid)) << r.error().describe();
    EXPECT_NE(r.error().message.find("start the group again"), std::string::npos) << r.error().message;
    return r.error().message;
  };
  damaged("ferry-resume-v2.abc");                                      // a download's blob
  damaged(std::string(kGroupResumePrefix) + "!!!not base64");
  damaged(blob.substr(0, blob.size() - 7));                             // cut short
  damaged(std::string(kGroupResumePrefix) + base64Encode("[1, 2]"));  // not an object
  damaged(std::string(kGroupResumePrefix) + base64Encode(R"({"name": "", "tasks": []})"));
  const std::string relative = damaged(std::string(kGroupResumePrefix) +
      base64Encode(R"({"name": "p", "tasks": [{"destination": "a.jpg", "request": {"url": "https://e/a"}}]})"));
  EXPECT_NE(relative.find("tasks[0]"), std::string::npos) << relative;
  const std::string twice = damaged(std::string(kGroupResumePrefix) +
      base64Encode(R"({"name": "p", "tasks": [{"destination": "/a", "resume_data": "x"}, {"destination": "/a", "resume_data": "y"}]})"));
  EXPECT_NE(twice.find("named twice"), std::string::npos) << twice;
}
