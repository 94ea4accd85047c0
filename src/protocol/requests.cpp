#include "protocol/requests.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "protocol/field_reader.hpp"
#include "protocol/scheduling.hpp"

namespace ferry::protocol {
namespace {

// The message's type, to name it in errors (parseLine lets only messages with one through).
std::string typeOf(const Json& m) {
  if (m.is_object())
    if (auto t = m.find("type"); t != m.end() && t->is_string()) return t->get<std::string>().substr(0, 64);
  return "message";
}

Json messageOf(std::string_view type) { return Json{{"type", type}}; }

void putOptional(Json& j, const char* field, const std::optional<std::string>& value) {
  if (value) j[field] = *value;
}

// A message with only a task id: body_stream_opened, suspend, ...
Json taskMessage(std::string_view type, std::uint64_t task) { return Json{{"type", type}, {"task", task}}; }

std::optional<model::HttpRequest> readRequest(FieldReader& in) {
  const Json* request = in.value("request");
  if (!request) return std::nullopt;
  return in.take(requestFromJson(*request));
}

// The fields create_download and create_upload share, in the order ferryd has always read them
// (the first problem is the answer): session and resume data first, the rest after the body.
void readSessionAndResumeData(FieldReader& in, NewTaskOptions& o) {
  o.session = in.optionalString("session");
  o.resume_data = in.optionalString("resume_data");
}

void readTaskOptions(FieldReader& in, const Json& m, NewTaskOptions& o) {
  o.description = in.string("description");
  o.start = in.boolean("start");
  o.scheduling = in.take(schedulingFromJson(m)).value_or(model::Scheduling{});
}

// As libferry has always sent them: start and discretionary only when set, priority always.
void putTaskOptions(Json& j, const NewTaskOptions& o) {
  putOptional(j, "session", o.session);
  putOptional(j, "resume_data", o.resume_data);
  j["description"] = o.description;
  if (o.start) j["start"] = true;
  j["priority"] = o.scheduling.priority;
  if (o.scheduling.discretionary) j["discretionary"] = true;
  if (auto at = beginAtSeconds(o.scheduling)) j["begin_at"] = *at;
  putMachineNeeds(o.scheduling, j);
}

// list and watch: a message with an optional "session".
template <class Request>
Json encodeSessionFilter(const Request& r) {
  Json j = messageOf(Request::kType);
  putOptional(j, "session", r.session);
  return j;
}

template <class Request>
Result<Request> decodeSessionFilter(const Json& m) {
  FieldReader in(m, std::string(Request::kType));
  Request r;
  r.session = in.optionalString("session");
  return in.finish(std::move(r));
}

constexpr std::array<std::pair<TaskVerb, std::string_view>, 4> kVerbs{{
    {TaskVerb::suspend, type::suspend},
    {TaskVerb::resume, type::resume},
    {TaskVerb::cancel, type::cancel},
    {TaskVerb::cancel_with_resume_data, type::cancel_with_resume_data},
}};

}  // namespace

// ---------------------------------------------------------------- hello

Json Hello::encode() const {
  Json j{{"type", kType}, {"version", kVersion}};
  if (!client.empty()) j["client"] = client;
  if (attach) {
    j["attach"] = *attach;
    j["configuration"] = sessionConfigToJson(configuration);
  }
  return j;
}

Result<Hello> Hello::decode(const Json& m) {
  const auto version = m.find("version");
  if (version == m.end() || !version->is_number_integer() || version->get<std::int64_t>() != kVersion)
    return fail(errc::version_mismatch, "this ferryd speaks protocol version " + std::to_string(kVersion) +
                                            "; use a libferry of the same version");
  FieldReader in(m, "hello");
  Hello h;
  h.attach = in.optionalString("attach");
  if (const Json* configuration = in.value("configuration"); configuration && h.attach)
    h.configuration = in.take(sessionConfigFromJson(*configuration)).value_or(SessionConfig{});
  h.client = in.string("client");
  return in.finish(std::move(h));
}

// ---------------------------------------------------------------- creating tasks

Json CreateDownload::encode() const {
  Json j = messageOf(kType);
  if (request) j["request"] = requestToJson(*request);
  j["destination"] = destination;
  putTaskOptions(j, task);
  return j;
}

Result<CreateDownload> CreateDownload::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  CreateDownload d;
  readSessionAndResumeData(in, d.task);
  d.request = readRequest(in);
  d.destination = in.string("destination");
  readTaskOptions(in, m, d.task);
  return in.finish(std::move(d));
}

Json CreateDownloads::encode() const {
  Json entries = Json::array();
  for (const auto& t : tasks) {
    if (!t) continue;
    Json entry = t->encode();
    entry.erase("type");
    entries.push_back(std::move(entry));
  }
  return Json{{"type", kType}, {"tasks", std::move(entries)}};
}

Result<CreateDownloads> CreateDownloads::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  CreateDownloads d;
  const Json* entries = in.array("tasks");
  if (in.ok() && (!entries || entries->empty()))
    in.problem(Error(errc::invalid_argument, "create_downloads needs tasks: an array of create_download fields"));
  if (in.ok() && entries->size() > kMaxEntries)
    in.problem(Error(errc::invalid_argument, "create_downloads takes at most " + std::to_string(kMaxEntries) +
                                                 " tasks per message; send the rest in another"));
  if (!in.ok()) return in.finish(std::move(d));
  d.tasks.reserve(entries->size());
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const Json& entry = (*entries)[i];
    if (!entry.is_object()) {
      d.tasks.push_back(fail(errc::protocol, "create_downloads: tasks[" + std::to_string(i) + "] must be an object"));
      continue;
    }
    d.tasks.push_back(CreateDownload::decode(entry));
  }
  return d;
}

Json CreateUpload::encode() const {
  Json j = messageOf(kType);
  if (request) j["request"] = requestToJson(*request);
  putOptional(j, "resumable", resumable);
  if (!file.empty()) j["file"] = file;
  if (!spool_from.empty()) j["spool_from"] = spool_from;
  if (stream) j["stream"] = true;
  if (length) j["length"] = *length;
  putOptional(j, "redirects", redirects);
  putTaskOptions(j, task);
  return j;
}

Result<CreateUpload> CreateUpload::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  CreateUpload u;
  readSessionAndResumeData(in, u.task);
  if (u.task.resume_data && in.ok()) {
    for (const char* field : {"request", "file", "spool_from", "stream", "length"})
      if (m.contains(field)) {
        in.problem(Error(errc::invalid_argument, std::string("create_upload with resume_data takes no ") + field +
                                                     ": the resume data names the request and the body"));
        break;
      }
  }
  u.request = readRequest(in);
  if (const Json* request = in.value("request"); u.request && !request->contains("method"))
    u.request->method = "PUT";  // an upload's default
  u.file = in.string("file");
  u.spool_from = in.string("spool_from");
  u.stream = in.boolean("stream");
  u.length = in.optionalUnsigned("length");
  u.resumable = in.optionalString("resumable");
  u.redirects = in.optionalString("redirects");
  readTaskOptions(in, m, u.task);
  return in.finish(std::move(u));
}

// ---------------------------------------------------------------- task commands and answers

std::string_view TaskCommand::type() const {
  for (const auto& [v, name] : kVerbs)
    if (v == verb) return name;
  return type::resume;
}

Json TaskCommand::encode() const { return taskMessage(type(), task); }

Result<TaskCommand> TaskCommand::decode(const Json& m) {
  const std::string name = typeOf(m);
  FieldReader in(m, name);
  TaskCommand c;
  const auto* found = std::find_if(kVerbs.begin(), kVerbs.end(), [&](const auto& v) { return v.second == name; });
  if (found == kVerbs.end()) in.problem(name + " is not a task command (suspend, resume, cancel, cancel_with_resume_data)");
  else c.verb = found->first;
  c.task = in.requiredUnsigned("task");
  return in.finish(c);
}

Json BodyStreamOpened::encode() const { return taskMessage(kType, task); }

Result<BodyStreamOpened> BodyStreamOpened::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  BodyStreamOpened o;
  o.task = in.requiredUnsigned("task");
  return in.finish(o);
}

Json BodyStreamEnded::encode() const { return Json{{"type", kType}, {"task", task}, {"bytes", bytes}}; }

Result<BodyStreamEnded> BodyStreamEnded::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  BodyStreamEnded e;
  e.task = in.requiredUnsigned("task");
  e.bytes = in.requiredUnsigned("bytes");
  return in.finish(e);
}

Json DecideRedirect::encode() const { return Json{{"type", kType}, {"task", task}, {"follow", follow}}; }

Result<DecideRedirect> DecideRedirect::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  DecideRedirect d;
  d.task = in.requiredUnsigned("task");
  const Json* follow = in.value("follow");
  if (!follow || !follow->is_boolean())
    in.problem(Error(errc::invalid_argument, "decide_redirect needs follow: true (follow) or false (refuse)"));
  else d.follow = follow->get<bool>();
  return in.finish(d);
}

Json ExportResumeData::encode() const { return Json{{"type", kType}, {"resume_data", resume_data}}; }

Result<ExportResumeData> ExportResumeData::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  ExportResumeData d;
  d.resume_data = in.string("resume_data");
  if (in.ok() && d.resume_data.empty()) in.problem(Error(errc::invalid_argument, "export_resume_data needs resume_data"));
  return in.finish(d);
}

Json Ack::encode() const {
  Json j{{"type", kType}, {"seq", seq}};
  if (!seqs.empty()) j["seqs"] = seqs;
  return j;
}

Result<Ack> Ack::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  Ack a;
  a.seq = in.requiredUnsigned("seq");
  if (const Json* more = in.array("seqs")) {
    if (more->size() > kMaxSeqs)
      in.problem(Error(errc::invalid_argument, "ack takes at most " + std::to_string(kMaxSeqs) + " seqs per message"));
    for (const Json& s : *more) {
      if (!in.ok()) break;
      if (!s.is_number_unsigned()) in.problem("ack: seqs must be event sequence numbers (unsigned integers)");
      else a.seqs.push_back(s.get<std::uint64_t>());
    }
  }
  return in.finish(std::move(a));
}

// ---------------------------------------------------------------- sessions, status and limits

Json List::encode() const { return encodeSessionFilter(*this); }

Result<List> List::decode(const Json& m) { return decodeSessionFilter<List>(m); }

Json Watch::encode() const { return encodeSessionFilter(*this); }

Result<Watch> Watch::decode(const Json& m) { return decodeSessionFilter<Watch>(m); }

Json Status::encode() const { return messageOf(kType); }

Result<Status> Status::decode(const Json& m) { return FieldReader(m, std::string(kType)).finish(Status{}); }

Json Limits::encode() const { return messageOf(kType); }

Result<Limits> Limits::decode(const Json& m) { return FieldReader(m, std::string(kType)).finish(Limits{}); }

Json SetLimit::encode() const {
  Json j{{"type", kType}, {"bytes_per_second", bytes_per_second}};
  putOptional(j, "session", session);
  return j;
}

Result<SetLimit> SetLimit::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  SetLimit s;
  if (m.is_object()) s.bytes_per_second = in.take(bandwidthLimitFromJson(m, "bytes_per_second")).value_or(0);
  if (const Json* session = in.value("session")) {
    if (!session->is_string()) in.problem(Error(errc::invalid_argument, "session must be a session identifier"));
    else s.session = session->get<std::string>();
  }
  return in.finish(std::move(s));
}

std::string_view Invalidate::type() const {
  return cancel ? type::invalidate_and_cancel : type::finish_tasks_and_invalidate;
}

Json Invalidate::encode() const { return messageOf(type()); }

Result<Invalidate> Invalidate::decode(const Json& m) {
  const std::string name = typeOf(m);
  FieldReader in(m, name);
  Invalidate i;
  i.cancel = name == type::invalidate_and_cancel;
  if (!i.cancel && name != type::finish_tasks_and_invalidate)
    in.problem(name + " is not an invalidation (finish_tasks_and_invalidate, invalidate_and_cancel)");
  return in.finish(i);
}

}  // namespace ferry::protocol
