// libFuzzer target: every decoder a line from a client goes through (parseLine, then the request
// structs, the HTTP request, session configuration, task info and field readers; and the events
// libferry reads) must answer a clear error or a value for any bytes, never crash, and never
// accept a request the engine would later have to refuse.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/events.hpp"
#include "protocol/groups.hpp"
#include "protocol/line_buffer.hpp"
#include "protocol/messages.hpp"
#include "protocol/requests.hpp"
#include "protocol/scheduling.hpp"

using namespace ferry;

namespace {

void mustHaveAMessage(const Error& e) {
  if (e.code.empty() || e.message.empty()) __builtin_trap();  // every refusal says what is wrong
}

// ferryd decodes a request as its type says; here every decoder sees every message. What one
// accepts survives a round trip unchanged (libferry encodes, ferryd decodes).
template <class Request>
void decodeAsRequest(const protocol::Json& m) {
  auto request = Request::decode(m);
  if (!request) return mustHaveAMessage(request.error());
  auto again = Request::decode(request->encode());
  if (!again || !(*again == *request)) __builtin_trap();
}

void decodeAsEveryRequest(const protocol::Json& m) {
  using namespace protocol;
  decodeAsRequest<Hello>(m);
  decodeAsRequest<CreateDownload>(m);
  decodeAsRequest<CreateUpload>(m);
  decodeAsRequest<TaskCommand>(m);
  decodeAsRequest<Ack>(m);
  decodeAsRequest<List>(m);
  decodeAsRequest<Status>(m);
  decodeAsRequest<Limits>(m);
  decodeAsRequest<SetLimit>(m);
  decodeAsRequest<Watch>(m);
  decodeAsRequest<BodyStreamOpened>(m);
  decodeAsRequest<BodyStreamEnded>(m);
  decodeAsRequest<DecideRedirect>(m);
  decodeAsRequest<Invalidate>(m);
  decodeAsRequest<CreateGroup>(m);
}

void decodeMessage(std::string_view line) {
  auto message = protocol::parseLine(line);
  if (!message) return mustHaveAMessage(message.error());
  const auto& m = *message;
  if (!m.is_object() || !m.contains("type") || !m["type"].is_string()) __builtin_trap();
  decodeAsEveryRequest(m);
  if (auto name = m.find("event"); name != m.end() && name->is_string()) {
    // What is read survives a round trip unchanged (ferryd builds, libferry reads).
    auto event = protocol::decodeEvent(name->get<std::string>(), m);
    if (!event) {
      mustHaveAMessage(event.error());
    } else {
      auto again = protocol::decodeEvent(protocol::eventName(*event), protocol::encodePayload(*event));
      if (!again || !(*again == *event)) __builtin_trap();
    }
  }
  // A group's resume data comes back from applications: damaged is a clear error, read survives a round trip.
  if (auto blob = m.find("resume_data"); blob != m.end() && blob->is_string()) {
    auto data = protocol::decodeGroupResumeData(blob->get<std::string>());
    if (!data) mustHaveAMessage(data.error());
    else if (auto again = protocol::decodeGroupResumeData(protocol::encodeGroupResumeData(*data)); !again || !(*again == *data))
      __builtin_trap();
  }
  if (m.contains("request")) {
    auto request = protocol::requestFromJson(m["request"]);
    if (!request) {
      mustHaveAMessage(request.error());
    } else {
      // What is accepted survives a round trip unchanged (ferryd stores it as JSON).
      auto again = protocol::requestFromJson(protocol::requestToJson(*request));
      if (!again || again->url != request->url || again->method != request->method ||
          again->headers != request->headers)
        __builtin_trap();
      for (const auto& h : request->headers)
        if (h.name.find_first_of("\r\n") != std::string::npos || h.value.find_first_of("\r\n") != std::string::npos)
          __builtin_trap();  // no header may smuggle a request line
    }
  }
  // create_download/create_upload's scheduling fields and set_limit's rate.
  if (auto s = protocol::schedulingFromJson(m); !s) {
    mustHaveAMessage(s.error());
  } else if (s->priority < 0 || s->priority > 1 || (s->begin_at && protocol::beginAtSeconds(*s) > protocol::kMaxBeginAt)) {
    __builtin_trap();  // what is accepted is in range
  }
  if (auto limit = protocol::bandwidthLimitFromJson(m, "bytes_per_second"); !limit) mustHaveAMessage(limit.error());
  if (m.contains("configuration")) {
    auto c = protocol::sessionConfigFromJson(m["configuration"]);
    if (!c) {
      mustHaveAMessage(c.error());
    } else if (c->launch) {
      // An accepted launch command is stored as JSON and read back at start-up: unchanged, and
      // still within the rules ferryd enforced (an absolute program, variable names only).
      auto again = protocol::sessionConfigFromJson(protocol::sessionConfigToJson(*c));
      if (!again || !again->launch || again->launch->argv != c->launch->argv ||
          again->launch->environment != c->launch->environment ||
          again->launch->working_directory != c->launch->working_directory)
        __builtin_trap();
      if (c->launch->argv.empty() || c->launch->argv[0].empty() || c->launch->argv[0][0] != '/') __builtin_trap();
      for (const auto& name : c->launch->environment)
        if (name.find('=') != std::string::npos) __builtin_trap();
    }
  }
  if (m.contains("task_info")) {
    if (auto t = protocol::taskInfoFromJson(m["task_info"]); !t) mustHaveAMessage(t.error());
  }
  if (auto attach = m.find("attach"); attach != m.end() && attach->is_string()) {
    if (auto valid = protocol::validateSessionId(attach->get<std::string>()); !valid) mustHaveAMessage(valid.error());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Whole input as one line, then the same bytes as a stream cut into pieces, as a socket gives them.
  decodeMessage(bytes);
  protocol::LineBuffer buffer(4096);
  std::size_t at = 0;
  std::size_t step = size == 0 ? 1 : data[0] % 17 + 1;
  while (at < size) {
    auto piece = bytes.substr(at, step);
    at += piece.size();
    buffer.append(piece);
    while (auto line = buffer.next()) {
      if (line->find('\n') != std::string::npos) __builtin_trap();
      decodeMessage(*line);
    }
    if (buffer.overflowed()) break;  // ferryd closes such a connection
  }
  return 0;
}
