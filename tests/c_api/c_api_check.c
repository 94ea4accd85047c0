/* ferry-c-api-check: libferry's C API (ferry/ferry.h) used from C11, one scenario per run. The
 * CApi.* tests (c_api_test.cpp) start the servers and ferryd, run a scenario, and check what it
 * printed and the files it left. Every failed check prints "FAIL: ..." and the run exits 1.
 *
 *   ferry-c-api-check handles                      NULL and bad handles, every setter, names,
 *                                                  ferry_move_file_durably
 *   ferry-c-api-check hand-over URL DEST           background download handed over, listed; exits
 *   ferry-c-api-check collect                      attaches again: the events, then invalidates
 *   ferry-c-api-check upload URL FILE              upload from bytes and from FILE
 *   ferry-c-api-check resume-data URL DEST         cancel with resume data, continue from it
 *   ferry-c-api-check in-process URL               default session: data tasks, task commands
 *   ferry-c-api-check status                       ferryd's status as JSON
 * The socket is $FERRY_SOCKET; the background session is "com.example.c-api". */

#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep under -std=c11 */

#include <ferry/ferry.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond, ...)                          \
  do {                                            \
    if (!(cond)) {                                \
      printf("FAIL: %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
      failures++;                                 \
    }                                             \
  } while (0)

/* A call that must succeed: on failure, print the library's sentence. */
#define OK(call) CHECK((call) == FERRY_OK, "%s: %s: %s", #call, ferry_code_name(ferry_last_error_code()), ferry_last_error_message())
/* A call that must fail with `code` and say something. */
#define REFUSED(code, call)                                                                                   \
  do {                                                                                                        \
    ferry_code got_ = (call);                                                                                 \
    CHECK(got_ == (code), "%s gave %s (%s), not %s", #call, ferry_code_name(got_), ferry_last_error_message(), \
          ferry_code_name(code));                                                                             \
    CHECK(got_ == FERRY_OK || ferry_last_error_message()[0] != '\0', "%s failed without a message", #call);  \
  } while (0)

/* ---- What the delegate saw, guarded for the session's delegate thread ---- */

typedef struct Events {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  int completed;
  ferry_code last_error;
  long last_status;
  char* resume_data;
  size_t resume_data_size;
  int64_t last_written;
  int64_t resumed_at;
  int responses;
  size_t data_bytes;
  int drained;
  int invalid;
} Events;

static void events_init(Events* e) {
  memset(e, 0, sizeof *e);
  pthread_mutex_init(&e->mutex, NULL);
  pthread_cond_init(&e->changed, NULL);
  e->resumed_at = -1;
}

static void events_destroy(Events* e) {
  free(e->resume_data);
  pthread_cond_destroy(&e->changed);
  pthread_mutex_destroy(&e->mutex);
}

/* Waits until *counter reaches `at_least` (60 s at most); 1 when it did. */
static int events_wait(Events* e, const int* counter, int at_least) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&e->mutex);
  int rc = 0;
  while (*counter < at_least && rc == 0) rc = pthread_cond_timedwait(&e->changed, &e->mutex, &deadline);
  int reached = *counter >= at_least;
  pthread_mutex_unlock(&e->mutex);
  return reached;
}

static void on_write(void* user_data, ferry_session* session, uint64_t task, int64_t written, int64_t total,
                     int64_t expected) {
  (void)session, (void)task, (void)written, (void)expected;
  Events* e = user_data;
  pthread_mutex_lock(&e->mutex);
  e->last_written = total;
  pthread_cond_broadcast(&e->changed);
  pthread_mutex_unlock(&e->mutex);
}

static void on_resume(void* user_data, ferry_session* session, uint64_t task, int64_t offset, int64_t expected) {
  (void)session, (void)expected;
  Events* e = user_data;
  pthread_mutex_lock(&e->mutex);
  e->resumed_at = offset;
  pthread_mutex_unlock(&e->mutex);
  printf("resume %llu at %lld\n", (unsigned long long)task, (long long)offset);
}

static void on_finish(void* user_data, ferry_session* session, uint64_t task, const char* location) {
  (void)user_data, (void)session;
  printf("finished %llu at %s\n", (unsigned long long)task, location);
}

static void on_sent(void* user_data, ferry_session* session, uint64_t task, int64_t sent, int64_t total,
                    int64_t expected) {
  (void)user_data, (void)session, (void)task, (void)sent, (void)total, (void)expected;
}

static void on_response(void* user_data, ferry_session* session, uint64_t task, long status,
                        const ferry_header* headers, size_t count) {
  (void)session;
  Events* e = user_data;
  int has_content_type = 0;
  for (size_t i = 0; i < count; i++) has_content_type |= strcmp(headers[i].name, "content-type") == 0 ||
                                                         strcmp(headers[i].name, "Content-Type") == 0;
  printf("response %llu %ld content-type=%d\n", (unsigned long long)task, status, has_content_type);
  pthread_mutex_lock(&e->mutex);
  e->responses++;
  pthread_mutex_unlock(&e->mutex);
}

static void on_data(void* user_data, ferry_session* session, uint64_t task, const char* data, size_t size) {
  (void)session, (void)task, (void)data;
  Events* e = user_data;
  pthread_mutex_lock(&e->mutex);
  e->data_bytes += size;
  pthread_mutex_unlock(&e->mutex);
}

static void on_complete(void* user_data, ferry_session* session, uint64_t task, const ferry_completion* c) {
  (void)session;
  Events* e = user_data;
  printf("complete %llu %s %ld\n", (unsigned long long)task, c->error == FERRY_OK ? "ok" : ferry_code_name(c->error),
         c->status_code);
  pthread_mutex_lock(&e->mutex);
  e->last_error = c->error;
  e->last_status = c->status_code;
  if (c->resume_data) {
    free(e->resume_data);
    e->resume_data = malloc(c->resume_data_size);
    if (e->resume_data) memcpy(e->resume_data, c->resume_data, c->resume_data_size);
    e->resume_data_size = c->resume_data_size;
  }
  e->completed++;
  pthread_cond_broadcast(&e->changed);
  pthread_mutex_unlock(&e->mutex);
}

static void on_drained(void* user_data, ferry_session* session) {
  (void)session;
  Events* e = user_data;
  printf("drained\n");
  pthread_mutex_lock(&e->mutex);
  e->drained++;
  pthread_cond_broadcast(&e->changed);
  pthread_mutex_unlock(&e->mutex);
}

static void on_invalid(void* user_data, ferry_session* session, ferry_code error, const char* message) {
  Events* e = user_data;
  /* Freeing a session inside its own callback is refused, not a deadlock. */
  CHECK(ferry_session_free(session) == FERRY_E_INVALID_STATE, "ferry_session_free inside a callback: %s",
        ferry_last_error_message());
  printf("invalid %s%s\n", error == FERRY_OK ? "ok" : ferry_code_name(error), message);
  pthread_mutex_lock(&e->mutex);
  e->invalid++;
  pthread_cond_broadcast(&e->changed);
  pthread_mutex_unlock(&e->mutex);
}

static ferry_delegate delegate_for(Events* e) {
  ferry_delegate d;
  memset(&d, 0, sizeof d);
  d.size = sizeof d;
  d.user_data = e;
  d.did_write_data = on_write;
  d.did_resume_at_offset = on_resume;
  d.did_finish_downloading_to = on_finish;
  d.did_send_body_data = on_sent;
  d.did_receive_response = on_response;
  d.did_receive_data = on_data;
  d.did_complete = on_complete;
  d.did_finish_events = on_drained;
  d.did_become_invalid = on_invalid;
  return d;
}

/* The background session of these scenarios, on $FERRY_SOCKET. */
static ferry_session* open_background(Events* e) {
  ferry_configuration* config = NULL;
  OK(ferry_configuration_background("com.example.c-api", &config));
  const char* socket = getenv("FERRY_SOCKET");
  if (socket) OK(ferry_configuration_set_socket_path(config, socket));
  OK(ferry_configuration_set_start_daemon(config, 0));
  ferry_delegate d = delegate_for(e);
  ferry_session* session = NULL;
  OK(ferry_session_create(config, &d, &session));
  OK(ferry_configuration_free(config));
  return session;
}

/* A background scenario's start and end: its events, its session, and the exit code. */
static ferry_session* begin_background(Events* e) {
  events_init(e);
  return open_background(e);
}

static int end_scenario(Events* e, ferry_session* session) {
  OK(ferry_session_free(session));
  events_destroy(e);
  return failures == 0 ? 0 : 1;
}

static ferry_request* request_for(const char* url) {
  ferry_request* request = NULL;
  OK(ferry_request_new(url, &request));
  OK(ferry_request_add_header(request, "X-Ferry-Test", "c-api"));
  OK(ferry_request_set_timeouts(request, 10, 30));
  return request;
}

/* ---- Scenarios ---- */

/* Every entry point with NULL and with handles that are not live; every setter once. */
/* ferry_move_file_durably: a file moved (its bytes at the target, the source gone), NULL and
 * missing sources refused with their codes. */
static void check_move_file(void) {
  char from[] = "/tmp/ferry-c-api-move-XXXXXX";
  int fd = mkstemp(from);
  CHECK(fd >= 0, "mkstemp");
  if (fd < 0) return;
  CHECK(write(fd, "moved bytes", 11) == 11, "write the file to move");
  close(fd);
  char to[sizeof from + 8];
  snprintf(to, sizeof to, "%s.moved", from);
  OK(ferry_move_file_durably(from, to));
  FILE* moved = fopen(to, "r");
  char got[32] = {0};
  CHECK(moved && fread(got, 1, sizeof got - 1, moved) == 11 && strcmp(got, "moved bytes") == 0, "moved bytes");
  if (moved) fclose(moved);
  CHECK(access(from, F_OK) != 0, "the source is gone after the move");
  REFUSED(FERRY_E_NOT_FOUND, ferry_move_file_durably(from, to));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_move_file_durably(NULL, to));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_move_file_durably(to, NULL));
  unlink(to);
}

static int scenario_handles(void) {
  CHECK(strcmp(ferry_code_name(FERRY_OK), "ok") == 0, "name of FERRY_OK");
  CHECK(strcmp(ferry_code_name(FERRY_E_NETWORK), "network") == 0, "name of FERRY_E_NETWORK");
  CHECK(strcmp(ferry_code_name(FERRY_E_TOO_LARGE), "too-large") == 0, "name of FERRY_E_TOO_LARGE");
  CHECK(strcmp(ferry_code_name(FERRY_E_INTEGRITY), "integrity") == 0, "name of FERRY_E_INTEGRITY");
  CHECK(strcmp(ferry_code_name((ferry_code)999), "unknown") == 0, "name of 999");
  CHECK(strlen(ferry_version()) > 0, "version");
  ferry_free(NULL);
  check_move_file();

  /* A pointer libferry never made, and one it freed. */
  char not_a_handle[64] = {0};
  ferry_configuration* bogus_config = (ferry_configuration*)not_a_handle;
  ferry_session* bogus_session = (ferry_session*)not_a_handle;
  ferry_request* bogus_request = (ferry_request*)not_a_handle;
  ferry_options* bogus_options = (ferry_options*)not_a_handle;
  ferry_task_list* bogus_list = (ferry_task_list*)not_a_handle;

  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_background(NULL, NULL));
  ferry_configuration* config = NULL;
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_background(NULL, &config));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_background("", &config));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_default(NULL));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_ephemeral(NULL));
  OK(ferry_configuration_background("com.example.c-api.handles", &config));
  CHECK(strcmp(ferry_last_error_message(), "") == 0, "a success leaves no message");
  CHECK(ferry_last_error_code() == FERRY_OK, "a success leaves FERRY_OK");
  OK(ferry_configuration_set_socket_path(config, "/nonexistent/ferry/ferryd.sock"));
  OK(ferry_configuration_set_start_daemon(config, 0));
  OK(ferry_configuration_set_max_concurrent_transfers(config, 4));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_set_max_concurrent_transfers(config, 0));
  OK(ferry_configuration_set_max_connections_per_host(config, 2));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_set_max_connections_per_host(config, -1));
  OK(ferry_configuration_set_resource_timeout(config, 3600));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_set_resource_timeout(config, 0));
  OK(ferry_configuration_set_max_bytes_per_second(config, 1 << 20));
  OK(ferry_configuration_set_proxy(config, "direct"));
  OK(ferry_configuration_set_ca_file(config, "/etc/ssl/certs/ca-certificates.crt"));
  OK(ferry_configuration_set_http2(config, 1));
  const char* argv[] = {"/bin/true", "--flag"};
  OK(ferry_configuration_set_launch_command(config, argv, 2, NULL));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_set_launch_command(config, argv, 0, NULL));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_set_launch_command(config, NULL, 1, NULL));
  OK(ferry_configuration_set_max_data_task_bytes(config, 1024));
  OK(ferry_configuration_set_resume_directory(config, "/tmp"));
  OK(ferry_configuration_set_download_redirects(config, "follow"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_set_proxy(config, NULL));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_set_socket_path(bogus_config, "/x"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_set_http2(NULL, 1));

  /* No daemon on that socket, and none may be started: a clear error, no session. */
  ferry_session* session = NULL;
  REFUSED(FERRY_E_DAEMON_UNAVAILABLE, ferry_session_create(config, NULL, &session));
  CHECK(session == NULL, "no session after a failed create");
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_create(config, NULL, NULL));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_create(NULL, NULL, &session));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_create(bogus_config, NULL, &session));
  ferry_delegate tiny;
  memset(&tiny, 0, sizeof tiny);
  tiny.size = 1; /* not a ferry_delegate */
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_create(config, &tiny, &session));
  OK(ferry_configuration_free(config));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_free(config)); /* twice */
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_configuration_set_http2(config, 1)); /* freed */

  ferry_request* request = NULL;
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_request_new(NULL, &request));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_request_new("http://127.0.0.1/", NULL));
  OK(ferry_request_new("http://127.0.0.1/", &request));
  OK(ferry_request_set_method(request, "POST"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_request_set_method(request, ""));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_request_add_header(request, NULL, "v"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_request_add_header(request, "", "v"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_request_add_header(bogus_request, "a", "v"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_request_set_timeouts(request, 0, 10));
  OK(ferry_request_free(request));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_request_free(request));

  ferry_options* options = NULL;
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_new(NULL));
  OK(ferry_options_new(&options));
  OK(ferry_options_set_destination(options, "/tmp/x"));
  OK(ferry_options_set_description(options, "a label"));
  OK(ferry_options_set_start(options, 1));
  OK(ferry_options_set_priority(options, 0.75));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_priority(options, 1.5));
  OK(ferry_options_set_discretionary(options, 1));
  OK(ferry_options_set_allows_expensive_network_access(options, 0));
  OK(ferry_options_set_allows_constrained_network_access(options, 0));
  OK(ferry_options_set_requires_external_power(options, 1));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_requires_external_power(bogus_options, 1));
  OK(ferry_options_set_earliest_begin(options, 0));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_earliest_begin(options, -5));
  OK(ferry_options_set_resumable(options, "tus"));
  OK(ferry_options_set_redirects(options, "refuse"));
  OK(ferry_options_set_expected_digest(options, "sha-256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  OK(ferry_options_set_expected_digest(options, "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:"));
  OK(ferry_options_set_expected_digest(options, ""));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_expected_digest(options, "sha-256=abc"));
  CHECK(strstr(ferry_last_error_message(), "sha-256=HEX") != NULL, "malformed digest message: %s", ferry_last_error_message());
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_expected_digest(options, "md5=00"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_expected_digest(options, NULL));
  OK(ferry_options_set_connections(options, 1));
  OK(ferry_options_set_connections(options, 16));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_connections(options, 0));
  CHECK(strstr(ferry_last_error_message(), "from 1 to 16") != NULL, "connections message: %s", ferry_last_error_message());
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_connections(options, 17));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_connections(options, -1));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_connections(bogus_options, 4));
  for (int i = 0; i < 8; ++i) OK(ferry_options_add_mirror(options, "http://127.0.0.1:9/mirror.bin"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_add_mirror(options, "http://127.0.0.1:9/ninth.bin"));
  CHECK(strstr(ferry_last_error_message(), "at most 8 mirrors") != NULL, "mirrors message: %s", ferry_last_error_message());
  OK(ferry_options_clear_mirrors(options));
  OK(ferry_options_add_mirror(options, "http://127.0.0.1:9/again.bin"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_add_mirror(options, ""));
  CHECK(strstr(ferry_last_error_message(), "mirror is empty") != NULL, "empty mirror message: %s", ferry_last_error_message());
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_add_mirror(options, NULL));
  REFUSED(FERRY_E_BAD_URL, ferry_options_add_mirror(options, "ftp://127.0.0.1/m.bin"));
  OK(ferry_options_add_mirror(options, "HTTPS://127.0.0.1:9/upper.bin"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_add_mirror(bogus_options, "http://127.0.0.1:9/m.bin"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_clear_mirrors(bogus_options));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_set_destination(bogus_options, "/tmp/x"));
  OK(ferry_options_free(options));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_options_free(options));

  /* Sessions that do not exist. */
  uint64_t id = 0;
  char* blob = NULL;
  size_t blob_size = 0;
  ferry_task_list* list = NULL;
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_free(NULL));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_free(bogus_session));
  CHECK(ferry_session_wait_for_events_drained(bogus_session, 10) == 0, "wait on a bad session");
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_download(bogus_session, NULL, NULL, &id));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_download_with_resume_data(NULL, "x", 1, NULL, &id));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_upload_file(bogus_session, NULL, "/etc/hostname", NULL, &id));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_upload_data(bogus_session, NULL, "x", 1, NULL, &id));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_upload_with_resume_data(bogus_session, "x", 1, NULL, &id));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_data_task(bogus_session, NULL, &id));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_data(bogus_session, NULL, NULL, NULL, &id));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_task_resume(bogus_session, 1));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_task_suspend(NULL, 1));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_task_cancel(bogus_session, 1));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_group_cancel(bogus_session, 1));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_group_suspend(bogus_session, 1));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_group_resume(bogus_session, 1));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_task_cancel_producing_resume_data(bogus_session, 1, &blob, &blob_size));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_task_cancel_producing_resume_data(bogus_session, 1, NULL, &blob_size));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_finish_tasks_and_invalidate(bogus_session));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_invalidate_and_cancel(NULL));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_get_all_tasks(bogus_session, &list));
  CHECK(ferry_task_list_size(bogus_list) == 0, "size of a bad list");
  CHECK(ferry_task_list_at(bogus_list, 0) == NULL, "entry of a bad list");
  CHECK(ferry_task_list_at(NULL, 0) == NULL, "entry of NULL");
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_task_list_free(bogus_list));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_daemon_status(NULL, 0, NULL));
  char* json = NULL;
  REFUSED(FERRY_E_DAEMON_UNAVAILABLE, ferry_daemon_status("/nonexistent/ferry/ferryd.sock", 0, &json));
  CHECK(json == NULL, "no JSON after a failure");
  return failures == 0 ? 0 : 1;
}

/* "listed ID KIND STATE DESCRIPTION destination=PATH" per task ferryd has for the session. */
static void print_tasks(ferry_session* session) {
  ferry_task_list* list = NULL;
  OK(ferry_session_get_all_tasks(session, &list));
  size_t n = ferry_task_list_size(list);
  for (size_t i = 0; i < n; i++) {
    const ferry_task_info* t = ferry_task_list_at(list, i);
    printf("listed %llu %s %s %s destination=%s\n", (unsigned long long)t->id, t->kind, t->state, t->description,
           t->destination);
  }
  CHECK(ferry_task_list_at(list, n) == NULL, "past the end");
  OK(ferry_task_list_free(list));
}

/* A background download handed to ferryd; this process exits while it runs. */
static int scenario_hand_over(const char* url, const char* destination) {
  Events e;
  ferry_session* session = begin_background(&e);
  if (!session) return 1;
  ferry_request* request = request_for(url);
  ferry_options* options = NULL;
  OK(ferry_options_new(&options));
  OK(ferry_options_set_destination(options, destination));
  OK(ferry_options_set_description(options, "C API hand-over"));
  uint64_t task = 0;
  OK(ferry_session_download(session, request, options, &task));
  OK(ferry_task_suspend(session, task)); /* nested: created suspended, suspended once more */
  OK(ferry_task_resume(session, task));
  OK(ferry_task_resume(session, task));
  printf("task %llu\n", (unsigned long long)task);
  print_tasks(session);
  REFUSED(FERRY_E_NOT_FOUND, ferry_task_resume(session, 987654321));
  /* A data task is for in-process sessions. */
  uint64_t refused = 0;
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_data_task(session, request, &refused));
  OK(ferry_options_free(options));
  OK(ferry_request_free(request));
  return end_scenario(&e, session);
}

/* Several downloads in one call: each entry its own task or its own refusal. */
static int scenario_many(const char* url, const char* dir) {
  Events e;
  ferry_session* session = begin_background(&e);
  if (!session) return 1;
  char good[4096], missing[4096], bad_destination[4096];
  snprintf(good, sizeof good, "%s/many-a.bin", dir);
  snprintf(missing, sizeof missing, "%s/no-such-dir/many-b.bin", dir);
  snprintf(bad_destination, sizeof bad_destination, "%s/many-c.bin", dir);
  const char* destinations[3] = {good, missing, bad_destination};
  ferry_request* requests[3] = {request_for(url), request_for(url), request_for("http://[::1/x")};
  ferry_options* options[3] = {NULL, NULL, NULL};
  for (int i = 0; i < 3; ++i) {
    OK(ferry_options_new(&options[i]));
    OK(ferry_options_set_destination(options[i], destinations[i]));
    OK(ferry_options_set_start(options[i], 1));
  }
  uint64_t ids[3] = {0, 0, 0};
  ferry_code codes[3] = {FERRY_OK, FERRY_OK, FERRY_OK};
  REFUSED(FERRY_E_NOT_FOUND, ferry_session_download_many(session, (const ferry_request* const*)requests,
                                                         (const ferry_options* const*)options, 3, ids, codes));
  printf("many %s %s %s\n", ferry_code_name(codes[0]), ferry_code_name(codes[1]), ferry_code_name(codes[2]));
  CHECK(ids[0] != 0 && ids[1] == 0 && ids[2] == 0, "ids %llu %llu %llu", (unsigned long long)ids[0],
        (unsigned long long)ids[1], (unsigned long long)ids[2]);
  CHECK(events_wait(&e, &e.completed, 1), "the good entry's completion");
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_download_many(session, NULL, NULL, 1, ids, codes));
  OK(ferry_session_download_many(session, NULL, NULL, 0, NULL, NULL));
  for (int i = 0; i < 3; ++i) {
    OK(ferry_options_free(options[i]));
    OK(ferry_request_free(requests[i]));
  }
  return end_scenario(&e, session);
}

/* A download group of two files, started at once: both files in place, each member's did_complete;
 * a group naming one destination twice is refused whole, and so are NULL arguments. */
static int scenario_group(const char* url, const char* dir) {
  Events e;
  ferry_session* session = begin_background(&e);
  if (!session) return 1;
  char first[4096], second[4096];
  snprintf(first, sizeof first, "%s/group-a.bin", dir);
  snprintf(second, sizeof second, "%s/group-b.bin", dir);
  ferry_request* requests[2] = {request_for(url), request_for(url)};
  ferry_options* options = NULL;
  OK(ferry_options_new(&options));
  OK(ferry_options_set_start(options, 1));
  OK(ferry_options_set_description(options, "from C"));
  uint64_t group = 0;
  const char* twice[2] = {first, first};
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_download_group(session, "pair", (const ferry_request* const*)requests,
                                                                 twice, 2, options, &group));
  CHECK(strstr(ferry_last_error_message(), "tasks[1]") != NULL, "the refusal names the entry: %s", ferry_last_error_message());
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_download_group(session, NULL, (const ferry_request* const*)requests,
                                                                 twice, 2, options, &group));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_download_group(session, "pair", NULL, NULL, 2, options, &group));
  const char* destinations[2] = {first, second};
  OK(ferry_session_download_group(session, "pair", (const ferry_request* const*)requests, destinations, 2, options, &group));
  CHECK(group != 0, "a group id");
  printf("group %llu\n", (unsigned long long)group);
  CHECK(events_wait(&e, &e.completed, 2), "both members' completions");
  CHECK(e.last_error == FERRY_OK, "the members succeeded: %s", ferry_code_name(e.last_error));
  REFUSED(FERRY_E_NOT_FOUND, ferry_group_cancel(session, group + 1000));
  OK(ferry_options_free(options));
  for (int i = 0; i < 2; ++i) OK(ferry_request_free(requests[i]));
  return end_scenario(&e, session);
}

/* Attached again: the events queued meanwhile; then the session ends (didBecomeInvalid). */
static int scenario_collect(void) {
  Events e;
  ferry_session* session = begin_background(&e);
  if (!session) return 1;
  CHECK(ferry_session_wait_for_events_drained(session, 60000) == 1, "events drained");
  CHECK(events_wait(&e, &e.completed, 1), "a completion");
  OK(ferry_session_finish_tasks_and_invalidate(session));
  CHECK(events_wait(&e, &e.invalid, 1), "didBecomeInvalid");
  return end_scenario(&e, session);
}

/* Uploads from bytes and from a file, each answered 201 with the server's JSON. */
static int scenario_upload(const char* url, const char* file) {
  Events e;
  ferry_session* session = begin_background(&e);
  if (!session) return 1;
  ferry_request* request = request_for(url);
  ferry_options* options = NULL;
  OK(ferry_options_new(&options));
  OK(ferry_options_set_start(options, 1));
  OK(ferry_options_set_resumable(options, "none"));
  static const char body[] = "bytes from C\n";
  uint64_t from_bytes = 0, from_file = 0, refused = 0;
  OK(ferry_session_upload_data(session, request, body, sizeof body - 1, options, &from_bytes));
  CHECK(events_wait(&e, &e.completed, 1), "the upload of bytes completed");
  OK(ferry_request_set_method(request, "POST"));
  OK(ferry_session_upload_file(session, request, file, options, &from_file));
  CHECK(events_wait(&e, &e.completed, 2), "the upload of a file completed");
  CHECK(e.last_error == FERRY_OK && e.last_status == 201, "upload: %s %ld", ferry_code_name(e.last_error), e.last_status);
  CHECK(e.responses == 2 && e.data_bytes > 0, "responses %d, body bytes %zu", e.responses, e.data_bytes);
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_upload_data(session, request, NULL, 5, options, &refused));
  REFUSED(FERRY_E_RESUME_DATA_INVALID, ferry_session_upload_with_resume_data(session, "not resume data", 15, NULL, &refused));
  OK(ferry_options_set_resumable(options, "carrier-pigeon"));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_upload_data(session, request, body, 4, options, &refused));
  OK(ferry_options_free(options));
  OK(ferry_request_free(request));
  return end_scenario(&e, session);
}

/* A download cancelled part-way with resume data, continued from it by a new task. */
static int scenario_resume_data(const char* url, const char* destination) {
  Events e;
  ferry_session* session = begin_background(&e);
  if (!session) return 1;
  ferry_request* request = request_for(url);
  uint64_t first = 0, second = 0, refused = 0;
  OK(ferry_session_download(session, request, NULL, &first));
  OK(ferry_task_resume(session, first));
  struct timespec pause = {0, 20 * 1000 * 1000};
  for (int i = 0; i < 3000; i++) {
    pthread_mutex_lock(&e.mutex);
    int64_t written = e.last_written;
    pthread_mutex_unlock(&e.mutex);
    if (written >= 256 * 1024) break;
    nanosleep(&pause, NULL);
  }
  char* blob = NULL;
  size_t blob_size = 0;
  OK(ferry_task_cancel_producing_resume_data(session, first, &blob, &blob_size));
  CHECK(blob != NULL && blob_size > 0, "resume data");
  CHECK(events_wait(&e, &e.completed, 1), "the cancelled task completed");
  CHECK(e.last_error == FERRY_E_CANCELLED, "cancelled, not %s", ferry_code_name(e.last_error));
  CHECK(e.resume_data_size == blob_size && memcmp(e.resume_data, blob, blob_size) == 0,
        "didComplete carries the same resume data");
  ferry_options* options = NULL;
  OK(ferry_options_new(&options));
  OK(ferry_options_set_destination(options, destination));
  OK(ferry_options_set_start(options, 1));
  OK(ferry_session_download_with_resume_data(session, blob, blob_size, options, &second));
  CHECK(events_wait(&e, &e.completed, 2), "the continued task completed");
  CHECK(e.last_error == FERRY_OK, "continued: %s", ferry_code_name(e.last_error));
  CHECK(e.resumed_at > 0, "resumed at %lld", (long long)e.resumed_at);
  REFUSED(FERRY_E_RESUME_DATA_STALE, ferry_session_download_with_resume_data(session, blob, blob_size, NULL, &refused));
  REFUSED(FERRY_E_RESUME_DATA_INVALID, ferry_session_download_with_resume_data(session, "{\"x\":1}", 7, NULL, &refused));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_download_with_resume_data(session, NULL, 0, NULL, &refused));
  ferry_free(blob);
  OK(ferry_options_free(options));
  OK(ferry_request_free(request));
  return end_scenario(&e, session);
}

/* A data task's completion handler: what it got, for the waiting main thread. */
typedef struct Answer {
  Events* events;
  long status;
  size_t body_size;
  ferry_code error;
  int done;
} Answer;

static void on_answer(void* user_data, const ferry_response* response, ferry_code error, const char* message) {
  Answer* a = user_data;
  pthread_mutex_lock(&a->events->mutex);
  a->error = error;
  if (response) {
    a->status = response->status_code;
    a->body_size = response->body_size;
  }
  a->done = 1;
  pthread_cond_broadcast(&a->events->changed);
  pthread_mutex_unlock(&a->events->mutex);
  printf("answer %ld %zu %s%s\n", response ? response->status_code : 0L, response ? response->body_size : (size_t)0,
         ferry_code_name(error), message);
}

/* An in-process session: a data task through the delegate, one through a handler, task commands. */
static int scenario_in_process(const char* url) {
  Events e;
  events_init(&e);
  ferry_configuration* config = NULL;
  OK(ferry_configuration_default(&config));
  OK(ferry_configuration_set_max_data_task_bytes(config, 64 * 1024 * 1024));
  ferry_delegate d = delegate_for(&e);
  ferry_session* session = NULL;
  OK(ferry_session_create(config, &d, &session));
  OK(ferry_configuration_free(config));
  if (!session) return 1;
  ferry_request* request = request_for(url);
  uint64_t data_task = 0, handled = 0, download = 0, group = 0;
  const char* nowhere[1] = {"/tmp/ferry-c-api-never"};
  REFUSED(FERRY_E_INVALID_STATE, ferry_session_download_group(session, "in-process", (const ferry_request* const*)&request,
                                                              nowhere, 1, NULL, &group));
  OK(ferry_session_data_task(session, request, &data_task));
  OK(ferry_task_resume(session, data_task));
  CHECK(events_wait(&e, &e.completed, 1), "the data task completed");
  CHECK(e.last_error == FERRY_OK && e.last_status == 200 && e.responses == 1, "data task: %s %ld",
        ferry_code_name(e.last_error), e.last_status);
  printf("data task %zu bytes\n", e.data_bytes);

  Answer answer = {&e, 0, 0, FERRY_OK, 0};
  OK(ferry_session_data(session, request, on_answer, &answer, &handled));
  CHECK(events_wait(&e, &answer.done, 1), "the handler was called");
  CHECK(answer.error == FERRY_OK && answer.status == 200 && answer.body_size == e.data_bytes, "handler: %s %ld %zu",
        ferry_code_name(answer.error), answer.status, answer.body_size);
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_data(session, request, NULL, NULL, &handled));

  OK(ferry_session_download(session, request, NULL, &download));
  ferry_task_list* list = NULL;
  OK(ferry_session_get_all_tasks(session, &list));
  CHECK(ferry_task_list_size(list) >= 1, "the in-process session lists its tasks");
  OK(ferry_task_list_free(list));
  OK(ferry_task_cancel(session, download));
  CHECK(events_wait(&e, &e.completed, 2), "the cancelled download completed");
  CHECK(e.last_error == FERRY_E_CANCELLED, "cancelled: %s", ferry_code_name(e.last_error));
  REFUSED(FERRY_E_NOT_FOUND, ferry_task_suspend(session, 424242));
  OK(ferry_session_invalidate_and_cancel(session));
  CHECK(events_wait(&e, &e.invalid, 1), "didBecomeInvalid");
  REFUSED(FERRY_E_SESSION_INVALIDATED, ferry_session_data_task(session, request, &data_task));
  OK(ferry_request_free(request));
  OK(ferry_session_free(session));
  REFUSED(FERRY_E_INVALID_ARGUMENT, ferry_session_free(session));
  events_destroy(&e);
  return failures == 0 ? 0 : 1;
}

static int scenario_status(void) {
  char* json = NULL;
  OK(ferry_daemon_status(getenv("FERRY_SOCKET"), 0, &json));
  CHECK(json && strstr(json, "\"daemon_version\"") != NULL, "status JSON: %s", json ? json : "(none)");
  if (json) printf("%s\n", json);
  ferry_free(json);
  return failures == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* scenario = argc > 1 ? argv[1] : "";
  int rc = 2;
  if (strcmp(scenario, "handles") == 0 && argc == 2) rc = scenario_handles();
  else if (strcmp(scenario, "hand-over") == 0 && argc == 4) rc = scenario_hand_over(argv[2], argv[3]);
  else if (strcmp(scenario, "collect") == 0 && argc == 2) rc = scenario_collect();
  else if (strcmp(scenario, "many") == 0 && argc == 4) rc = scenario_many(argv[2], argv[3]);
  else if (strcmp(scenario, "group") == 0 && argc == 4) rc = scenario_group(argv[2], argv[3]);
  else if (strcmp(scenario, "upload") == 0 && argc == 4) rc = scenario_upload(argv[2], argv[3]);
  else if (strcmp(scenario, "resume-data") == 0 && argc == 4) rc = scenario_resume_data(argv[2], argv[3]);
  else if (strcmp(scenario, "in-process") == 0 && argc == 3) rc = scenario_in_process(argv[2]);
  else if (strcmp(scenario, "status") == 0 && argc == 2) rc = scenario_status();
  else fprintf(stderr, "usage: ferry-c-api-check handles|hand-over URL DEST|collect|many URL DIR|group URL DIR|upload URL FILE|"
                       "resume-data URL DEST|in-process URL|status\n");
  if (rc == 0) printf("PASS\n");
  return rc;
}
