#pragma once
// The requests ferryd accepts (docs/ipc.md), one struct each. encode() writes the message as a
// client sends it (with its "type", without the "id" the connection adds); decode() reads one
// through a FieldReader and never throws: a field of the wrong type is a protocol error naming the
// message and the field ("create_download: destination must be a string"). Fields with rules of
// their own keep their own errors (the request, the session configuration, the scheduling fields,
// bandwidth limits: invalid-argument). ferryd decodes before it dispatches (daemon.cpp, route).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "model/http_request.hpp"
#include "model/scheduling.hpp"
#include "protocol/messages.hpp"

namespace ferry::protocol {

struct Hello {
  static constexpr std::string_view kType = type::hello;
  std::optional<std::string> attach;  // the background session to attach to; none: a control client
  SessionConfig configuration;        // sent and read with `attach` only
  std::string client;                 // who is speaking, for logs
  bool operator==(const Hello&) const = default;

  Json encode() const;
  // A hello without this protocol version (missing, or of another type) is version-mismatch,
  // before any other field is read: its other fields may mean something else.
  static Result<Hello> decode(const Json& m);
};

// The fields create_download and create_upload share.
struct NewTaskOptions {
  std::optional<std::string> session;  // a control client names the session; an attached one may
  std::optional<std::string> resume_data;
  std::string description;
  bool start = false;
  model::Scheduling scheduling;  // priority, discretionary, begin_at (protocol/scheduling.hpp)
  bool operator==(const NewTaskOptions&) const = default;
};

struct CreateDownload {
  static constexpr std::string_view kType = type::create_download;
  std::optional<model::HttpRequest> request;  // none: resume_data names it
  std::string destination;
  NewTaskOptions task;
  bool operator==(const CreateDownload&) const = default;

  Json encode() const;
  static Result<CreateDownload> decode(const Json& m);
};

// Many create_download entries in one message, created in one store transaction (issue 15: a
// batch of small downloads costs one round trip, not one each). Each entry is decoded on its own:
// a malformed entry is that entry's error, the others are created. The reply's "tasks" has one
// entry per request, in order: {"task": TaskInfo} or {"error": {code, message}}.
struct CreateDownloads {
  static constexpr std::string_view kType = type::create_downloads;
  // Entries per message: a client splits longer batches (and the 1 MiB line limit holds anyway).
  static constexpr std::size_t kMaxEntries = 10000;
  std::vector<Result<CreateDownload>> tasks;
  bool operator==(const CreateDownloads&) const = default;

  Json encode() const;  // the entries that are errors are not sent
  static Result<CreateDownloads> decode(const Json& m);
};

struct CreateUpload {
  static constexpr std::string_view kType = type::create_upload;
  // An upload's method defaults to PUT (decode fills it in when the request names none).
  std::optional<model::HttpRequest> request;
  std::string file;        // the body: a file ferryd reads,
  std::string spool_from;  // a private temporary file ferryd copies first,
  bool stream = false;     // or a stream from the attached application
  std::optional<std::uint64_t> length;  // a stream's length, when known
  std::optional<std::string> resumable;  // ietf (none given) | tus | none
  std::optional<std::string> redirects;  // follow | refuse | ask
  NewTaskOptions task;
  bool operator==(const CreateUpload&) const = default;

  Json encode() const;
  // With resume_data, none of request, file, spool_from, stream and length may be given
  // (invalid-argument): the resume data names the request and the body.
  static Result<CreateUpload> decode(const Json& m);
};

enum class TaskVerb { suspend, resume, cancel, cancel_with_resume_data };

// suspend, resume, cancel and cancel_with_resume_data: the verb is the message's type.
struct TaskCommand {
  TaskVerb verb = TaskVerb::resume;
  std::uint64_t task = 0;
  bool operator==(const TaskCommand&) const = default;

  std::string_view type() const;
  Json encode() const;
  static Result<TaskCommand> decode(const Json& m);
};

// One event acknowledged (`seq`), or several at once (`seqs`; libferry sends the acknowledgements
// that gathered while its delegate ran as one message).
struct Ack {
  static constexpr std::string_view kType = type::ack;
  static constexpr std::size_t kMaxSeqs = 10000;
  std::uint64_t seq = 0;
  std::vector<std::uint64_t> seqs;  // more, after seq (sent only when there are several)
  bool operator==(const Ack&) const = default;

  Json encode() const;
  static Result<Ack> decode(const Json& m);
};

struct List {
  static constexpr std::string_view kType = type::list;
  std::optional<std::string> session;  // a control client's filter; an attached client sees its own
  bool operator==(const List&) const = default;

  Json encode() const;
  static Result<List> decode(const Json& m);
};

struct Status {
  static constexpr std::string_view kType = type::status;
  bool operator==(const Status&) const = default;

  Json encode() const;
  static Result<Status> decode(const Json& m);
};

struct Limits {
  static constexpr std::string_view kType = type::limits;
  bool operator==(const Limits&) const = default;

  Json encode() const;
  static Result<Limits> decode(const Json& m);
};

struct SetLimit {
  static constexpr std::string_view kType = type::set_limit;
  std::optional<std::string> session;  // none: the global limit
  std::uint64_t bytes_per_second = 0;  // 0: none (protocol/scheduling.hpp has the range)
  bool operator==(const SetLimit&) const = default;

  Json encode() const;
  static Result<SetLimit> decode(const Json& m);
};

struct Watch {
  static constexpr std::string_view kType = type::watch;
  std::optional<std::string> session;  // none: every session
  bool operator==(const Watch&) const = default;

  Json encode() const;
  static Result<Watch> decode(const Json& m);
};

struct BodyStreamOpened {
  static constexpr std::string_view kType = type::body_stream_opened;
  std::uint64_t task = 0;
  bool operator==(const BodyStreamOpened&) const = default;

  Json encode() const;
  static Result<BodyStreamOpened> decode(const Json& m);
};

struct BodyStreamEnded {
  static constexpr std::string_view kType = type::body_stream_ended;
  std::uint64_t task = 0;
  std::uint64_t bytes = 0;  // how many the application wrote into the pipe
  bool operator==(const BodyStreamEnded&) const = default;

  Json encode() const;
  static Result<BodyStreamEnded> decode(const Json& m);
};

struct DecideRedirect {
  static constexpr std::string_view kType = type::decide_redirect;
  std::uint64_t task = 0;
  bool follow = true;  // false: refuse (the 3xx is the answer)
  bool operator==(const DecideRedirect&) const = default;

  Json encode() const;
  static Result<DecideRedirect> decode(const Json& m);
};

// Hands a download's resume data over to an in-process session of the same user: ferryd moves the
// partial file into the user's resume directory and answers with the in-process blob
// (protocol/local_resume_data.hpp); its own blob is spent.
struct ExportResumeData {
  static constexpr std::string_view kType = type::export_resume_data;
  std::string resume_data;
  bool operator==(const ExportResumeData&) const = default;

  Json encode() const;
  static Result<ExportResumeData> decode(const Json& m);
};

// finish_tasks_and_invalidate (cancel false) and invalidate_and_cancel (cancel true).
struct Invalidate {
  bool cancel = false;
  bool operator==(const Invalidate&) const = default;

  std::string_view type() const;
  Json encode() const;
  static Result<Invalidate> decode(const Json& m);
};

}  // namespace ferry::protocol
