#pragma once
// Rows of ferryd's durable state. JSON-valued columns are kept as text: the store does not
// interpret them (the daemon encodes requests and event payloads with the protocol's codecs).

#include <cstdint>
#include <optional>
#include <string>

namespace ferry::store {

struct SessionRow {
  std::string id;
  std::string configuration_json;  // the session's Configuration as JSON
  std::int64_t created_at = 0;     // unix seconds
};

struct TaskRow {
  std::uint64_t id = 0;           // stable across restarts, unique in the daemon
  std::string session;            // SessionRow::id
  std::string kind = "download";  // "download" or "upload"
  std::string state;              // the daemon's TaskState name ("running", "suspended", "completed", ...)
  std::string request_json;       // HttpRequest as JSON
  std::string destination;        // absolute path the finished file is renamed to, or empty
  std::string partial;            // partial file, relative to the state directory
  std::uint64_t durable_offset = 0;  // never beyond bytes fdatasync'd in `partial`
  std::optional<std::uint64_t> expected_total;
  std::string etag;           // validators of the bytes in `partial`
  std::string last_modified;
  int suspend_count = 0;
  std::int64_t created_at = 0;         // unix seconds
  std::int64_t resource_deadline = 0;  // unix seconds
  std::string error_code;              // when it ended without success
  std::string error_message;
  long http_status = 0;
  std::string result_path;  // where the finished file is (destination or delivered/...)
  std::string description;  // the application's label for the task
  std::string upload_json;  // uploads: body source, resumable upload URL and offset (daemon's JSON); '' for downloads
  // A segmented download's durable ranges ("begin:next:end,...", model/segments.hpp; durable_offset
  // is their sum); '' when the durable bytes are the file's first durable_offset.
  std::string segments;
  std::uint64_t group_id = 0;  // GroupRow::id of its download group; 0: none
};

// A download group (daemon/task_group.hpp): its members are the tasks with its id as group_id.
struct GroupRow {
  std::uint64_t id = 0;  // from the task id sequence
  std::string session;
  std::string name;
  std::string description;
  std::string state;         // running | completed | failed | cancelled
  std::int64_t created_at = 0;
  std::string outcome_json;  // once ended: its error, failed members and progress (daemon's JSON)
};

struct EventRow {
  std::uint64_t seq = 0;  // global, increasing; delivery order within a session
  std::string session;
  std::uint64_t task_id = 0;
  std::string type;          // "didFinishDownloadingTo", "didComplete", ...
  std::string payload_json;  // the event's fields as JSON
};

// A session's launcher state (daemon/app_launcher): the background refresh schedule and the
// relaunch back-off, kept so that neither resets when ferryd restarts. Times are unix milliseconds.
struct LaunchScheduleRow {
  std::string session;
  std::int64_t next_refresh_at = 0;  // when the next background refresh is due; 0: none scheduled
  std::int64_t last_refresh_at = 0;  // the last refresh launch; 0: never
  std::int64_t last_launch_at = 0;   // the last launch of any reason; 0: never
  int failures = 0;                  // launches in a row that exited without attaching
  std::int64_t launches = 0;         // launches in all
};

// Resume data handed out by cancelByProducingResumeData: single use.
struct ResumeTokenRow {
  std::string token;  // random, hex
  std::string session;
  std::uint64_t source_task = 0;
  std::string partial;  // relative to the state directory
  std::uint64_t offset = 0;
  std::string etag;
  std::string last_modified;
  std::string request_json;
  std::int64_t created_at = 0;
  bool used = false;
  std::string segments;  // as TaskRow::segments
};

}  // namespace ferry::store
