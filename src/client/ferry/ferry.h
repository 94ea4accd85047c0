#ifndef FERRY_FERRY_H
#define FERRY_FERRY_H
/* libferry's C API: ferry::Session (ferry/session.hpp) for programs written in C, and for the
 * bindings of other languages (python/ferry is one). docs/c-api.md is its manual; in short:
 *
 *   - Every handle is opaque (ferry_session, ferry_configuration, ferry_request, ferry_options,
 *     ferry_task_list) and made and freed by this library. A handle that is NULL, already freed or
 *     never made here is refused with FERRY_E_INVALID_ARGUMENT: libferry keeps a table of the
 *     handles it gave out and never dereferences one it does not know.
 *   - Every function that can fail returns a ferry_code (FERRY_OK is 0). The failure's stable
 *     name (ferry_code_name) and a sentence saying what to do (ferry_last_error_message) are kept
 *     per thread until the next call on that thread.
 *   - Tasks are named by their identifier (uint64_t) within their session.
 *   - Events come back through a ferry_delegate: C function pointers and a void* user_data, called
 *     one at a time, in order, on a thread the session owns (never the caller's thread). Pointers
 *     a callback receives are valid only until it returns.
 *   - Text is UTF-8, NUL-terminated; bytes come with a length.
 *
 * ABI rules (docs/c-api.md, "ABI stability"): the numbers of ferry_code never change; structs an
 * application fills (ferry_delegate) start with their size, so that a newer libferry reads only
 * what an older application set; structs libferry fills (ferry_completion, ferry_response,
 * ferry_task_info) only ever grow at their end and are read through pointers libferry owns.
 */

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define FERRY_C_API __attribute__((visibility("default")))
#else
#define FERRY_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors ---------------------------------------------------------------------------------- */

/* Stable numbers; each is one of ferry::errc (ferry/error.hpp), whose name ferry_code_name gives. */
typedef enum ferry_code {
  FERRY_OK = 0,
  FERRY_E_INVALID_ARGUMENT = 1,
  FERRY_E_BAD_URL = 2,
  FERRY_E_UNSUPPORTED_SCHEME = 3,
  FERRY_E_HTTP_ERROR = 4,
  FERRY_E_TLS = 5,
  FERRY_E_NETWORK = 6,
  FERRY_E_TIMEOUT = 7,
  FERRY_E_RESOURCE_TIMEOUT = 8,
  FERRY_E_CANCELLED = 9,
  FERRY_E_IO = 10,
  FERRY_E_NO_SPACE = 11,
  FERRY_E_NOT_FOUND = 12,
  FERRY_E_ALREADY_ATTACHED = 13,
  FERRY_E_NOT_ATTACHED = 14,
  FERRY_E_PROTOCOL = 15,
  FERRY_E_VERSION_MISMATCH = 16,
  FERRY_E_RESUME_DATA_INVALID = 17,
  FERRY_E_RESUME_DATA_FOREIGN = 18,
  FERRY_E_RESUME_DATA_STALE = 19,
  FERRY_E_PERMISSION_DENIED = 20,
  FERRY_E_DAEMON_UNAVAILABLE = 21,
  FERRY_E_INVALID_STATE = 22,
  FERRY_E_SESSION_INVALIDATED = 23,
  FERRY_E_INTERNAL = 24,
  FERRY_E_SOURCE_CHANGED = 25,
  FERRY_E_NEEDS_NEW_BODY_STREAM = 26,
  FERRY_E_TOO_LARGE = 27,
  FERRY_E_INTEGRITY = 28
} ferry_code;

/* "invalid-argument", "network", ...: the code's stable name (as ferryctl and the IPC show it);
 * "unknown" for a number this library does not know. Static storage. */
FERRY_C_API const char* ferry_code_name(ferry_code code);
/* The last failure on this thread: its sentence, or "" after a success. Valid until the next call
 * into libferry on this thread. */
FERRY_C_API const char* ferry_last_error_message(void);
FERRY_C_API ferry_code ferry_last_error_code(void);

/* Frees memory libferry gave the caller (resume data, JSON text). NULL is ignored. */
FERRY_C_API void ferry_free(void* memory);

/* "0.1.0": the library's version (not the header's). */
FERRY_C_API const char* ferry_version(void);

/* ---- Files (ferry/files.hpp) ---------------------------------------------------------------- */

/* Moves the file at `from` to `to` (replacing it) so that the move survives a crash: rename and an
 * fsync of `to`'s directory, or, when `to` is on another file system, a copy into
 * `to`.ferry-partial, fdatasync, rename and fsync, then `from` removed. What a
 * did_finish_downloading_to callback does with its `location` (removed when the callback returns).
 * FERRY_E_NOT_FOUND, FERRY_E_PERMISSION_DENIED, FERRY_E_NO_SPACE, FERRY_E_IO. */
FERRY_C_API ferry_code ferry_move_file_durably(const char* from, const char* to);

/* ---- Session configuration (ferry::Configuration) ------------------------------------------ */

typedef struct ferry_configuration ferry_configuration;

/* A background session: tasks run in ferryd and outlive this process; `identifier` names it. */
FERRY_C_API ferry_code ferry_configuration_background(const char* identifier, ferry_configuration** out);
/* An in-process session (URLSessionConfiguration.default); ephemeral keeps no cookies. */
FERRY_C_API ferry_code ferry_configuration_default(ferry_configuration** out);
FERRY_C_API ferry_code ferry_configuration_ephemeral(ferry_configuration** out);
FERRY_C_API ferry_code ferry_configuration_free(ferry_configuration* configuration);

/* The setters of ferry::Configuration (its comments say what each means). */
FERRY_C_API ferry_code ferry_configuration_set_socket_path(ferry_configuration* c, const char* path);
FERRY_C_API ferry_code ferry_configuration_set_start_daemon(ferry_configuration* c, int start);
FERRY_C_API ferry_code ferry_configuration_set_max_concurrent_transfers(ferry_configuration* c, int n);
FERRY_C_API ferry_code ferry_configuration_set_max_connections_per_host(ferry_configuration* c, int n);
FERRY_C_API ferry_code ferry_configuration_set_resource_timeout(ferry_configuration* c, int64_t seconds);
FERRY_C_API ferry_code ferry_configuration_set_max_bytes_per_second(ferry_configuration* c, uint64_t rate);
FERRY_C_API ferry_code ferry_configuration_set_proxy(ferry_configuration* c, const char* url);
FERRY_C_API ferry_code ferry_configuration_set_ca_file(ferry_configuration* c, const char* path);
FERRY_C_API ferry_code ferry_configuration_set_http2(ferry_configuration* c, int yes);
/* Background sessions: 0 holds the session's tasks while the network is metered (expensive) or
 * marked metered by the user (constrained); default 1 (Configuration::allowsExpensiveNetworkAccess). */
FERRY_C_API ferry_code ferry_configuration_set_allows_expensive_network_access(ferry_configuration* c, int yes);
FERRY_C_API ferry_code ferry_configuration_set_allows_constrained_network_access(ferry_configuration* c, int yes);
/* Relaunch (background sessions): argv[0] absolute, `argc` entries; working_directory may be NULL. */
FERRY_C_API ferry_code ferry_configuration_set_launch_command(ferry_configuration* c, const char* const* argv,
                                                              size_t argc, const char* working_directory);
/* In-process sessions. */
FERRY_C_API ferry_code ferry_configuration_set_max_data_task_bytes(ferry_configuration* c, uint64_t bytes);
FERRY_C_API ferry_code ferry_configuration_set_resume_directory(ferry_configuration* c, const char* path);
FERRY_C_API ferry_code ferry_configuration_set_download_redirects(ferry_configuration* c, const char* policy);

/* ---- Requests and task options (ferry::Request, DownloadOptions, UploadOptions) ------------- */

typedef struct ferry_request ferry_request;
FERRY_C_API ferry_code ferry_request_new(const char* url, ferry_request** out);
FERRY_C_API ferry_code ferry_request_free(ferry_request* request);
FERRY_C_API ferry_code ferry_request_set_method(ferry_request* request, const char* method);
/* Appends one header (names may repeat; order is kept). */
FERRY_C_API ferry_code ferry_request_add_header(ferry_request* request, const char* name, const char* value);
FERRY_C_API ferry_code ferry_request_set_timeouts(ferry_request* request, int64_t connect_seconds, int64_t stall_seconds);

/* One options handle serves downloads and uploads; each reads what applies to it. */
typedef struct ferry_options ferry_options;
FERRY_C_API ferry_code ferry_options_new(ferry_options** out);
FERRY_C_API ferry_code ferry_options_free(ferry_options* options);
/* Downloads: where the finished file is renamed to (then it is kept). */
FERRY_C_API ferry_code ferry_options_set_destination(ferry_options* options, const char* path);
FERRY_C_API ferry_code ferry_options_set_description(ferry_options* options, const char* description);
/* Created running (no ferry_task_resume needed). Default: created suspended, as in URLSession. */
FERRY_C_API ferry_code ferry_options_set_start(ferry_options* options, int start);
FERRY_C_API ferry_code ferry_options_set_priority(ferry_options* options, double priority);
FERRY_C_API ferry_code ferry_options_set_discretionary(ferry_options* options, int discretionary);
/* Held until then (seconds since the epoch); 0 clears it. */
FERRY_C_API ferry_code ferry_options_set_earliest_begin(ferry_options* options, int64_t unix_seconds);
/* What the task asks of the machine (background sessions): 0 holds it while the network is
 * metered / marked metered by the user (default 1); 1 makes it wait on battery and in power-saver. */
FERRY_C_API ferry_code ferry_options_set_allows_expensive_network_access(ferry_options* options, int yes);
FERRY_C_API ferry_code ferry_options_set_allows_constrained_network_access(ferry_options* options, int yes);
FERRY_C_API ferry_code ferry_options_set_requires_external_power(ferry_options* options, int yes);
/* Downloads: the digest the file must have, "sha-256=HEX", "sha-512=HEX" or "sha-256=:BASE64:"
 * (DownloadOptions::expected_digest); "" clears it. A malformed one is FERRY_E_INVALID_ARGUMENT
 * here; a file that does not match (twice) ends the task with FERRY_E_INTEGRITY. */
FERRY_C_API ferry_code ferry_options_set_expected_digest(ferry_options* options, const char* digest);
/* Downloads: at most this many connections at once, each its own byte range (aria2's -x), 1
 * (default) to 16 (DownloadOptions::connections); used when the server serves ranges of a file
 * with a validator, else one. Out of range is FERRY_E_INVALID_ARGUMENT. */
FERRY_C_API ferry_code ferry_options_set_connections(ferry_options* options, int connections);
/* Downloads: one more URL of the same file (same length and ETag or Last-Modified), at most 8
 * (DownloadOptions::mirrors): byte ranges are fetched from it as well, at least one connection
 * per URL; a mirror that fails or serves another file is dropped (ferryd logs why). NULL, "" or a
 * ninth is FERRY_E_INVALID_ARGUMENT (the options keep the others), one that is not http:// or
 * https:// FERRY_E_BAD_URL. The URL is copied. */
FERRY_C_API ferry_code ferry_options_add_mirror(ferry_options* options, const char* url);
/* Downloads: no mirrors (the default). */
FERRY_C_API ferry_code ferry_options_clear_mirrors(ferry_options* options);
/* Uploads: "ietf" (default), "tus" or "none". */
FERRY_C_API ferry_code ferry_options_set_resumable(ferry_options* options, const char* protocol);
/* Uploads: "follow" (default) or "refuse". */
FERRY_C_API ferry_code ferry_options_set_redirects(ferry_options* options, const char* policy);

/* ---- Events (ferry::SessionDelegate) -------------------------------------------------------- */

typedef struct ferry_session ferry_session;

typedef struct ferry_header {
  const char* name;
  const char* value;
} ferry_header;

/* How a task ended (ferry::Completion). Owned by libferry, valid during the callback. */
typedef struct ferry_completion {
  ferry_code error;           /* FERRY_OK: success */
  const char* error_message;  /* "" on success */
  long status_code;           /* the final HTTP status (0: none) */
  const char* resume_data;    /* a failed download's resume data, or NULL */
  size_t resume_data_size;
} ferry_completion;

/* Every member may be NULL (that event is not wanted). `size` must be sizeof(ferry_delegate) of
 * the header the application was built with: members past it are never read. */
typedef struct ferry_delegate {
  size_t size;
  void* user_data;
  void (*did_write_data)(void* user_data, ferry_session* session, uint64_t task, int64_t bytes_written,
                         int64_t total_bytes_written, int64_t total_bytes_expected /* -1: unknown */);
  void (*did_resume_at_offset)(void* user_data, ferry_session* session, uint64_t task, int64_t file_offset,
                               int64_t expected_total_bytes);
  /* `location` is removed when this returns, unless the application moved it or the download has
   * a destination (then it is that destination and stays). */
  void (*did_finish_downloading_to)(void* user_data, ferry_session* session, uint64_t task, const char* location);
  void (*did_send_body_data)(void* user_data, ferry_session* session, uint64_t task, int64_t bytes_sent,
                             int64_t total_bytes_sent, int64_t total_bytes_expected);
  void (*did_receive_response)(void* user_data, ferry_session* session, uint64_t task, long status_code,
                               const ferry_header* headers, size_t header_count);
  void (*did_receive_data)(void* user_data, ferry_session* session, uint64_t task, const char* data, size_t size);
  void (*did_complete)(void* user_data, ferry_session* session, uint64_t task, const ferry_completion* completion);
  /* Every event queued while no process was attached has been delivered. */
  void (*did_finish_events)(void* user_data, ferry_session* session);
  /* After ferry_session_finish_tasks_and_invalidate / _invalidate_and_cancel: error is FERRY_OK
   * (message "") unless the session ended for a reason. */
  void (*did_become_invalid)(void* user_data, ferry_session* session, ferry_code error, const char* message);
} ferry_delegate;

/* ---- Sessions (ferry::Session) -------------------------------------------------------------- */

/* Background: connects to ferryd (starting it when the configuration allows) and attaches; queued
 * events start arriving at once. `delegate` is copied (NULL: no events); its user_data must stay
 * valid until ferry_session_free returns. The configuration may be freed afterwards. */
FERRY_C_API ferry_code ferry_session_create(const ferry_configuration* configuration, const ferry_delegate* delegate,
                                            ferry_session** out);
/* Background: detaches (tasks go on in ferryd). In-process: its tasks stop. Waits for a running
 * callback to return; refused (FERRY_E_INVALID_STATE) from inside one of this session's callbacks. */
FERRY_C_API ferry_code ferry_session_free(ferry_session* session);
/* Waits until every event queued at attach time was delivered (1), or `timeout_ms` passed (0). */
FERRY_C_API int ferry_session_wait_for_events_drained(ferry_session* session, int64_t timeout_ms);

/* Task creation: on success *task_id names the new task (created suspended unless options say
 * start). `options` may be NULL (defaults). */
FERRY_C_API ferry_code ferry_session_download(ferry_session* session, const ferry_request* request,
                                              const ferry_options* options, uint64_t* task_id);
FERRY_C_API ferry_code ferry_session_download_with_resume_data(ferry_session* session, const char* resume_data,
                                                               size_t size, const ferry_options* options,
                                                               uint64_t* task_id);
/* Many downloads in few round trips (C++: Session::downloadTasks): a background session sends
 * them to ferryd in messages of up to 1,000, each committed in one transaction. Entry i is
 * requests[i] with options[i] (`options` may be NULL, and so may any options[i]: defaults). Each
 * entry has its own outcome: task_ids[i] is its new task (0 when refused) and codes[i] FERRY_OK or
 * why it was refused (a malformed URL, a destination whose directory does not exist, ...); the
 * others are created all the same. Returns FERRY_OK when every entry was created, else the first
 * refused entry's code, with its sentence in ferry_last_error_message(). */
FERRY_C_API ferry_code ferry_session_download_many(ferry_session* session, const ferry_request* const* requests,
                                                   const ferry_options* const* options, size_t count,
                                                   uint64_t* task_ids, ferry_code* codes);
/* A download group (C++: Session::downloadGroup; background sessions only): requests[i] is fetched
 * to destinations[i] (each file its own; absolute, or relative to the current directory), as one
 * job named `name`, all or nothing: no file is put at its destination until every one is
 * downloaded and verified. `options` (may be NULL) gives the group its description, start and
 * scheduling, and every file its connections. One bad entry refuses the whole group (its sentence
 * names "tasks[i]"); an in-process session refuses groups (FERRY_E_INVALID_STATE). *group_id is the
 * group's id, for ferry_group_suspend, ferry_group_resume and ferry_group_cancel. The members' own
 * events reach the delegate (each file's did_complete); the group as a whole (its progress, its
 * end and which file failed) is the C++ API's (SessionDelegate::didCompleteGroup) and ferryctl's. */
FERRY_C_API ferry_code ferry_session_download_group(ferry_session* session, const char* name,
                                                    const ferry_request* const* requests,
                                                    const char* const* destinations, size_t count,
                                                    const ferry_options* options, uint64_t* group_id);
FERRY_C_API ferry_code ferry_group_suspend(ferry_session* session, uint64_t group);
FERRY_C_API ferry_code ferry_group_resume(ferry_session* session, uint64_t group);
FERRY_C_API ferry_code ferry_group_cancel(ferry_session* session, uint64_t group);
/* Uploads `path` (method PUT unless the request names another than GET). */
FERRY_C_API ferry_code ferry_session_upload_file(ferry_session* session, const ferry_request* request, const char* path,
                                                 const ferry_options* options, uint64_t* task_id);
/* Uploads `size` bytes at `data` (copied before this returns; NULL with size 0 is an empty body). */
FERRY_C_API ferry_code ferry_session_upload_data(ferry_session* session, const ferry_request* request, const void* data,
                                                 size_t size, const ferry_options* options, uint64_t* task_id);
FERRY_C_API ferry_code ferry_session_upload_with_resume_data(ferry_session* session, const char* resume_data,
                                                             size_t size, const ferry_options* options,
                                                             uint64_t* task_id);
/* In-process sessions: the answer in memory (did_receive_response, did_receive_data, did_complete). */
FERRY_C_API ferry_code ferry_session_data_task(ferry_session* session, const ferry_request* request, uint64_t* task_id);

/* What a data task's completion handler gets (ferry::Response). Owned by libferry. */
typedef struct ferry_response {
  long status_code;
  const ferry_header* headers;
  size_t header_count;
  const char* body;
  size_t body_size;
} ferry_response;
/* response is NULL when the task failed (error names why), else error is FERRY_OK. */
typedef void (*ferry_response_handler)(void* user_data, const ferry_response* response, ferry_code error,
                                       const char* error_message);
/* In-process sessions: a data task that starts at once and ends in `handler` (on the delegate
 * thread) instead of the delegate's response, data and completion events. */
FERRY_C_API ferry_code ferry_session_data(ferry_session* session, const ferry_request* request,
                                          ferry_response_handler handler, void* user_data, uint64_t* task_id);

/* Task commands. */
FERRY_C_API ferry_code ferry_task_resume(ferry_session* session, uint64_t task);
FERRY_C_API ferry_code ferry_task_suspend(ferry_session* session, uint64_t task);
FERRY_C_API ferry_code ferry_task_cancel(ferry_session* session, uint64_t task);
/* Cancels and hands back resume data (free it with ferry_free). FERRY_E_INVALID_STATE when the task
 * has none (it is cancelled all the same). */
FERRY_C_API ferry_code ferry_task_cancel_producing_resume_data(ferry_session* session, uint64_t task,
                                                               char** resume_data, size_t* size);

FERRY_C_API ferry_code ferry_session_finish_tasks_and_invalidate(ferry_session* session);
FERRY_C_API ferry_code ferry_session_invalidate_and_cancel(ferry_session* session);

/* ---- Tasks as ferryd reports them (ferry::TaskInfo) ----------------------------------------- */

typedef struct ferry_task_info {
  uint64_t id;
  const char* session;
  const char* kind;         /* download | upload | data */
  const char* state;        /* suspended | running | finalizing | completed | failed | cancelled */
  const char* waiting_for;  /* why it moves no bytes now; "" when it does */
  const char* url;
  const char* destination;
  const char* description;
  uint64_t bytes_written;
  int64_t expected_total;   /* -1: unknown */
  long http_status;
  ferry_code error;         /* why it ended without success; FERRY_OK otherwise */
  const char* error_message;
  int suspend_count;
  int64_t created_at;       /* seconds since the epoch */
  double priority;
  int discretionary;
  int64_t begin_at;         /* seconds since the epoch; 0: none */
} ferry_task_info;

typedef struct ferry_task_list ferry_task_list;
FERRY_C_API ferry_code ferry_session_get_all_tasks(ferry_session* session, ferry_task_list** out);
FERRY_C_API size_t ferry_task_list_size(const ferry_task_list* list);
/* NULL past the end or for a bad list. Valid until the list is freed. */
FERRY_C_API const ferry_task_info* ferry_task_list_at(const ferry_task_list* list, size_t index);
FERRY_C_API ferry_code ferry_task_list_free(ferry_task_list* list);

/* ---- The daemon (ferry::Control::status) ---------------------------------------------------- */

/* ferryd's status as JSON text (version, pid, uptime, sessions, tasks by state, bandwidth; the
 * fields of `ferryctl status --json`). socket_path NULL: the default socket. Free with ferry_free. */
FERRY_C_API ferry_code ferry_daemon_status(const char* socket_path, int start_daemon, char** json);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_FERRY_H */
