/* The background download example (background_download.cpp) in C, over ferry/ferry.h:
 *
 *   ferry-example-download-c URL DIR   hands the download to ferryd and exits at once
 *   ferry-example-download-c DIR       attaches again, takes the finished files into DIR, exits
 *
 * Build: cc -std=c11 background_download.c $(pkg-config --cflags --libs ferry) */

#include <ferry/ferry.h>

#include <stdio.h>
#include <string.h>

/* Called on the session's own thread. `location` is removed when this returns: move it now. */
static void finished(void* user_data, ferry_session* session, uint64_t task, const char* location) {
  (void)session;
  char target[4096];
  snprintf(target, sizeof target, "%s/download-%llu", (const char*)user_data, (unsigned long long)task);
  /* A rename, or a copy when DIR is on another file system; durable either way. */
  if (ferry_move_file_durably(location, target) != FERRY_OK)
    fprintf(stderr, "cannot keep the file: %s\n", ferry_last_error_message());
  else
    printf("task %llu -> %s\n", (unsigned long long)task, target);
}

static void completed(void* user_data, ferry_session* session, uint64_t task, const ferry_completion* c) {
  (void)user_data, (void)session;
  if (c->error == FERRY_OK)
    printf("task %llu completed (HTTP %ld)\n", (unsigned long long)task, c->status_code);
  else
    printf("task %llu failed: %s\n", (unsigned long long)task, c->error_message);
}

static int failed(const char* what) {
  fprintf(stderr, "%s: %s (%s)\n", what, ferry_last_error_message(), ferry_code_name(ferry_last_error_code()));
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: %s [URL] DIR\n", argv[0]);
    return 2;
  }
  ferry_delegate delegate;
  memset(&delegate, 0, sizeof delegate);
  delegate.size = sizeof delegate; /* which members this program knows */
  delegate.user_data = argv[argc - 1];
  delegate.did_finish_downloading_to = finished;
  delegate.did_complete = completed;

  ferry_configuration* config = NULL;
  ferry_session* session = NULL;
  if (ferry_configuration_background("com.example.downloader.c", &config) != FERRY_OK) return failed("configuration");
  ferry_code created = ferry_session_create(config, &delegate, &session);
  ferry_configuration_free(config);
  if (created != FERRY_OK) return failed("session");

  int rc = 0;
  if (argc == 3) {
    ferry_request* request = NULL;
    uint64_t task = 0;
    if (ferry_request_new(argv[1], &request) != FERRY_OK || ferry_session_download(session, request, NULL, &task) != FERRY_OK ||
        ferry_task_resume(session, task) != FERRY_OK) /* tasks start suspended, as in URLSession */
      rc = failed("download");
    else
      printf("task %llu handed to ferryd\n", (unsigned long long)task);
    ferry_request_free(request);
  } else {
    /* Attached again: queued events are delivered, then did_finish_events. */
    ferry_session_wait_for_events_drained(session, 10000);
  }
  ferry_session_free(session); /* detaches: the download goes on without us */
  return rc;
}
