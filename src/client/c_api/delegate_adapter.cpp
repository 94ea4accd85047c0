// DelegateAdapter: ferry::SessionDelegate events as a ferry_delegate's C calls.

#include "delegate_adapter.hpp"

#include <algorithm>
#include <cstring>

namespace ferry::c_api {

namespace {
thread_local const ferry_session* running_callback_of = nullptr;

// Marks this thread as inside `handle`'s callback for its scope.
class InsideCallback {
 public:
  explicit InsideCallback(const ferry_session* handle) : previous_(running_callback_of) { running_callback_of = handle; }
  ~InsideCallback() { running_callback_of = previous_; }
  InsideCallback(const InsideCallback&) = delete;
  InsideCallback& operator=(const InsideCallback&) = delete;

 private:
  const ferry_session* previous_;
};
}  // namespace

DelegateAdapter::DelegateAdapter(const ferry_delegate* delegate) {
  if (!delegate) return;
  // Only what the application's struct has: its `size` says how much that is.
  std::memcpy(&c_, delegate, std::min(delegate->size, sizeof(ferry_delegate)));
  c_.size = sizeof(ferry_delegate);
}

void DelegateAdapter::open(ferry_session* handle) {
  {
    std::lock_guard lock(mutex_);
    handle_ = handle;
    opened_ = true;
  }
  opened_cv_.notify_all();
}

ferry_session* DelegateAdapter::waitOpen() {
  std::unique_lock lock(mutex_);
  opened_cv_.wait(lock, [this] { return opened_; });
  return handle_;
}

bool DelegateAdapter::insideCallbackOf(const ferry_session* handle) { return handle && running_callback_of == handle; }

template <class Member, class... Args>
void DelegateAdapter::call(Member member, Args&&... args) {
  auto* handle = waitOpen();
  if (!handle || !(c_.*member)) return;
  InsideCallback inside(handle);
  (c_.*member)(c_.user_data, handle, std::forward<Args>(args)...);
}

std::vector<ferry_header> headerViews(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<ferry_header> views;
  views.reserve(headers.size());
  for (const auto& [name, value] : headers) views.push_back({name.c_str(), value.c_str()});
  return views;
}

void DelegateAdapter::didWriteData(Session&, DownloadTask& task, std::int64_t written, std::int64_t total,
                                   std::int64_t expected) {
  call(&ferry_delegate::did_write_data, task.identifier(), written, total, expected);
}
void DelegateAdapter::didResumeAtOffset(Session&, DownloadTask& task, std::int64_t offset, std::int64_t expected) {
  call(&ferry_delegate::did_resume_at_offset, task.identifier(), offset, expected);
}
void DelegateAdapter::didFinishDownloadingTo(Session&, DownloadTask& task, const std::filesystem::path& location) {
  call(&ferry_delegate::did_finish_downloading_to, task.identifier(), location.c_str());
}
void DelegateAdapter::didSendBodyData(Session&, UploadTask& task, std::int64_t sent, std::int64_t total,
                                      std::int64_t expected) {
  call(&ferry_delegate::did_send_body_data, task.identifier(), sent, total, expected);
}
void DelegateAdapter::didReceiveResponse(Session&, UploadTask& task, long status,
                                         const std::vector<std::pair<std::string, std::string>>& headers) {
  auto views = headerViews(headers);
  call(&ferry_delegate::did_receive_response, task.identifier(), status, views.data(), views.size());
}
void DelegateAdapter::didReceiveData(Session&, UploadTask& task, const std::string& data) {
  call(&ferry_delegate::did_receive_data, task.identifier(), data.data(), data.size());
}
void DelegateAdapter::didComplete(Session&, Task& task, const Completion& completion) {
  ferry_completion c{};
  c.error = completion.error ? codeOf(completion.error->code) : FERRY_OK;
  c.error_message = completion.error ? completion.error->message.c_str() : "";
  c.status_code = completion.status_code;
  c.resume_data = completion.resume_data.empty() ? nullptr : completion.resume_data.data();
  c.resume_data_size = completion.resume_data.size();
  call(&ferry_delegate::did_complete, task.identifier(), static_cast<const ferry_completion*>(&c));
}
void DelegateAdapter::didFinishEvents(Session&) { call(&ferry_delegate::did_finish_events); }
void DelegateAdapter::didBecomeInvalid(Session&, const std::optional<Error>& error) {
  call(&ferry_delegate::did_become_invalid, error ? codeOf(error->code) : FERRY_OK,
       error ? error->message.c_str() : "");
}

}  // namespace ferry::c_api
