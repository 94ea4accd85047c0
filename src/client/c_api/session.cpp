// The C API's sessions and tasks (ferry/ferry.h, "Sessions"): each entry point looks its session
// up (handles.hpp) and calls ferry::Session; events come back through DelegateAdapter.

#include <chrono>
#include <thread>

#include "delegate_adapter.hpp"
#include "ferry/control.hpp"
#include "protocol/daemon_status.hpp"

using namespace ferry::c_api;
using ferry::Error;

namespace ferry::c_api {
ferry_task_list* handOutTaskList(std::vector<ferry::TaskInfo> tasks);  // values.cpp
}

namespace {
// The session a call names, alive for the call (see HandleTable).
std::shared_ptr<ferry_session> sessionOf(ferry_session* handle) { return lookup(handle, "session"); }

ferry::DownloadOptions downloadOptionsOf(const ferry_options* options) {
  return options ? lookup(options, "options")->download : ferry::DownloadOptions{};
}
ferry::UploadOptions uploadOptionsOf(const ferry_options* options) {
  return options ? lookup(options, "options")->upload : ferry::UploadOptions{};
}
const ferry::Request& requestOf(const std::shared_ptr<ferry_request>& request) { return request->value; }

std::string resumeDataOf(const char* data, size_t size) {
  if (!data) throw Refusal{Error(ferry::errc::invalid_argument, "resume data is NULL")};
  return std::string(data, size);
}

// Creates a task with `create` (a Result<Task>) and reports its identifier.
template <class Create>
ferry_code createTask(ferry_session* handle, uint64_t* task_id, Create create) {
  return answer([&] {
    auto& id = output(task_id, "task_id");
    auto session = sessionOf(handle);
    id = take(create(*session->session)).identifier();
  });
}

template <class Command>
ferry_code taskCommand(ferry_session* handle, uint64_t task, Command command) {
  return answer([&] {
    auto session = sessionOf(handle);
    ferry::Task t(session->session.get(), task);
    take(command(t));
  });
}
}  // namespace

extern "C" {

ferry_code ferry_session_create(const ferry_configuration* configuration, const ferry_delegate* delegate,
                                ferry_session** out) {
  return answer([&] {
    auto& slot = output(out, "out");
    auto config = lookup(configuration, "configuration")->value;
    if (delegate && delegate->size < offsetof(ferry_delegate, user_data) + sizeof(void*))
      throw Refusal{Error(ferry::errc::invalid_argument, "delegate->size must be sizeof(ferry_delegate)")};
    auto handle = std::make_shared<ferry_session>();
    handle->delegate = std::make_shared<DelegateAdapter>(delegate);
    auto session = ferry::Session::create(std::move(config), handle->delegate);
    if (!session) {
      handle->delegate->open(nullptr);
      throw Refusal{session.error()};
    }
    handle->session = std::move(*session);
    slot = handles<ferry_session>().add(handle);
    handle->delegate->open(slot);
  });
}

ferry_code ferry_session_free(ferry_session* handle) {
  return answer([&] {
    sessionOf(handle);
    if (DelegateAdapter::insideCallbackOf(handle))
      throw Refusal{Error(ferry::errc::invalid_state,
                          "ferry_session_free was called inside one of the session's own callbacks; free it after the "
                          "callback returned, on another thread")};
    auto session = handles<ferry_session>().remove(handle);
    if (!session) return;  // another thread freed it first
    // Calls still running with it (another thread, or a callback using the handle) end first, so
    // the Session is destroyed here and never on its own delegate thread.
    while (session.use_count() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    session->session.reset();
  });
}

int ferry_session_wait_for_events_drained(ferry_session* handle, int64_t timeout_ms) {
  int drained = 0;
  answer([&] {
    auto session = sessionOf(handle);
    drained = session->session->waitForEventsDrained(std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0))) ? 1 : 0;
  });
  return drained;
}

ferry_code ferry_session_download(ferry_session* handle, const ferry_request* request, const ferry_options* options,
                                  uint64_t* task_id) {
  return createTask(handle, task_id, [&](ferry::Session& s) {
    return s.downloadTask(requestOf(lookup(request, "request")), downloadOptionsOf(options));
  });
}

ferry_code ferry_session_download_many(ferry_session* handle, const ferry_request* const* requests,
                                       const ferry_options* const* options, size_t count, uint64_t* task_ids,
                                       ferry_code* codes) {
  return answer([&] {
    auto session = sessionOf(handle);
    if (count == 0) return;
    if (!requests || !task_ids || !codes)
      throw Refusal{Error(ferry::errc::invalid_argument, "requests, task_ids and codes must not be NULL when count is not 0")};
    std::vector<ferry::DownloadRequest> batch;
    batch.reserve(count);
    for (size_t i = 0; i < count; ++i)
      batch.push_back({requestOf(lookup(requests[i], "requests[i]")),
                       downloadOptionsOf(options ? options[i] : nullptr)});
    std::optional<Error> first_refusal;
    auto tasks = session->session->downloadTasks(batch);
    for (size_t i = 0; i < count; ++i) {
      task_ids[i] = tasks[i] ? tasks[i]->identifier() : 0;
      codes[i] = tasks[i] ? FERRY_OK : codeOf(tasks[i].error().code);
      if (!tasks[i] && !first_refusal) first_refusal = tasks[i].error();
    }
    if (first_refusal) throw Refusal{*first_refusal};
  });
}

ferry_code ferry_session_download_group(ferry_session* handle, const char* name, const ferry_request* const* requests,
                                        const char* const* destinations, size_t count, const ferry_options* options,
                                        uint64_t* group_id) {
  return answer([&] {
    auto& id = output(group_id, "group_id");
    auto session = sessionOf(handle);
    if (count != 0 && (!requests || !destinations))
      throw Refusal{Error(ferry::errc::invalid_argument, "requests and destinations must not be NULL when count is not 0")};
    const auto shared = downloadOptionsOf(options);
    std::vector<ferry::GroupFile> files(count);
    for (size_t i = 0; i < count; ++i) {
      files[i].request = requestOf(lookup(requests[i], "requests[i]"));
      files[i].destination = required(destinations[i], "destinations[i]");
      files[i].connections = shared.connections;
    }
    ferry::GroupOptions group;
    group.description = shared.description;
    group.scheduling = shared.scheduling;
    group.start = shared.start;
    id = take(session->session->downloadGroup(required(name, "name"), std::move(files), group)).id;
  });
}

ferry_code ferry_group_suspend(ferry_session* handle, uint64_t group) {
  return answer([&] { take(sessionOf(handle)->session->suspendGroup(group)); });
}
ferry_code ferry_group_resume(ferry_session* handle, uint64_t group) {
  return answer([&] { take(sessionOf(handle)->session->resumeGroup(group)); });
}
ferry_code ferry_group_cancel(ferry_session* handle, uint64_t group) {
  return answer([&] { take(sessionOf(handle)->session->cancelGroup(group)); });
}

ferry_code ferry_session_download_with_resume_data(ferry_session* handle, const char* resume_data, size_t size,
                                                   const ferry_options* options, uint64_t* task_id) {
  return createTask(handle, task_id, [&](ferry::Session& s) {
    return s.downloadTaskWithResumeData(resumeDataOf(resume_data, size), downloadOptionsOf(options));
  });
}

ferry_code ferry_session_upload_file(ferry_session* handle, const ferry_request* request, const char* path,
                                     const ferry_options* options, uint64_t* task_id) {
  return createTask(handle, task_id, [&](ferry::Session& s) {
    return s.uploadTask(requestOf(lookup(request, "request")), required(path, "path"), uploadOptionsOf(options));
  });
}

ferry_code ferry_session_upload_data(ferry_session* handle, const ferry_request* request, const void* data, size_t size,
                                     const ferry_options* options, uint64_t* task_id) {
  return createTask(handle, task_id, [&](ferry::Session& s) {
    if (!data && size != 0) throw Refusal{Error(ferry::errc::invalid_argument, "data is NULL but size is not 0")};
    std::string_view body = data ? std::string_view(static_cast<const char*>(data), size) : std::string_view();
    return s.uploadTaskWithData(requestOf(lookup(request, "request")), body, uploadOptionsOf(options));
  });
}

ferry_code ferry_session_upload_with_resume_data(ferry_session* handle, const char* resume_data, size_t size,
                                                 const ferry_options* options, uint64_t* task_id) {
  return createTask(handle, task_id, [&](ferry::Session& s) {
    return s.uploadTaskWithResumeData(resumeDataOf(resume_data, size), uploadOptionsOf(options));
  });
}

ferry_code ferry_session_data_task(ferry_session* handle, const ferry_request* request, uint64_t* task_id) {
  return createTask(handle, task_id,
                    [&](ferry::Session& s) { return s.dataTask(requestOf(lookup(request, "request"))); });
}

ferry_code ferry_session_data(ferry_session* handle, const ferry_request* request, ferry_response_handler handler,
                              void* user_data, uint64_t* task_id) {
  return createTask(handle, task_id, [&](ferry::Session& s) -> ferry::Result<ferry::Task> {
    if (!handler) throw Refusal{Error(ferry::errc::invalid_argument, "handler is NULL")};
    auto task = s.dataTaskWithHandler(requestOf(lookup(request, "request")),
                                      [handler, user_data](ferry::Result<ferry::Response> r) {
                                        if (!r) return handler(user_data, nullptr, codeOf(r.error().code),
                                                               r.error().message.c_str());
                                        auto views = headerViews(r->headers);
                                        ferry_response response{r->status_code, views.data(), views.size(),
                                                                r->body.data(), r->body.size()};
                                        handler(user_data, &response, FERRY_OK, "");
                                      });
    if (!task) return task;
    if (auto started = task->resume(); !started) {
      (void)task->cancel();  // its handler hears "cancelled"
      return tl::unexpected(started.error());
    }
    return task;
  });
}

ferry_code ferry_task_resume(ferry_session* handle, uint64_t task) {
  return taskCommand(handle, task, [](ferry::Task& t) { return t.resume(); });
}
ferry_code ferry_task_suspend(ferry_session* handle, uint64_t task) {
  return taskCommand(handle, task, [](ferry::Task& t) { return t.suspend(); });
}
ferry_code ferry_task_cancel(ferry_session* handle, uint64_t task) {
  return taskCommand(handle, task, [](ferry::Task& t) { return t.cancel(); });
}

ferry_code ferry_task_cancel_producing_resume_data(ferry_session* handle, uint64_t task, char** resume_data,
                                                   size_t* size) {
  return answer([&] {
    auto& data_out = output(resume_data, "resume_data");
    auto& size_out = output(size, "size");
    data_out = nullptr;
    size_out = 0;
    auto session = sessionOf(handle);
    auto data = take(ferry::Task(session->session.get(), task).cancelByProducingResumeData());
    data_out = copyOut(data);
    size_out = data.size();
  });
}

ferry_code ferry_session_finish_tasks_and_invalidate(ferry_session* handle) {
  return answer([&] { take(sessionOf(handle)->session->finishTasksAndInvalidate()); });
}
ferry_code ferry_session_invalidate_and_cancel(ferry_session* handle) {
  return answer([&] { take(sessionOf(handle)->session->invalidateAndCancel()); });
}

ferry_code ferry_session_get_all_tasks(ferry_session* handle, ferry_task_list** out) {
  return answer([&] {
    auto& slot = output(out, "out");
    slot = handOutTaskList(take(sessionOf(handle)->session->getAllTasks()));
  });
}

ferry_code ferry_daemon_status(const char* socket_path, int start_daemon, char** json) {
  return answer([&] {
    auto& slot = output(json, "json");
    slot = nullptr;
    auto control = take(ferry::Control::connect(socket_path ? socket_path : "", start_daemon != 0));
    auto status = take(control->status());
    slot = copyOut(ferry::protocol::daemonStatusToJson(status).dump());
  });
}

}  // extern "C"
