#pragma once
// A C application's ferry_delegate as a ferry::SessionDelegate: each event becomes a call of the
// matching function pointer (when set), with C values that live until it returns.

#include <condition_variable>
#include <mutex>

#include "handles.hpp"

namespace ferry::c_api {

class DelegateAdapter : public SessionDelegate {
 public:
  // Copies the members `delegate->size` covers (an older application's smaller struct leaves the
  // newer members NULL). `delegate` may be NULL: no callbacks.
  explicit DelegateAdapter(const ferry_delegate* delegate);

  // The handle the callbacks name; events wait for it, since a background session delivers its
  // queued events as soon as it attaches, before ferry_session_create has returned. nullptr: the
  // session was not made, drop them.
  void open(ferry_session* handle);

  // True on a thread inside one of this session's callbacks (ferry_session_free is refused there:
  // it would wait for itself).
  static bool insideCallbackOf(const ferry_session* handle);

  void didWriteData(Session&, DownloadTask& task, std::int64_t written, std::int64_t total, std::int64_t expected) override;
  void didResumeAtOffset(Session&, DownloadTask& task, std::int64_t offset, std::int64_t expected) override;
  void didFinishDownloadingTo(Session&, DownloadTask& task, const std::filesystem::path& location) override;
  void didSendBodyData(Session&, UploadTask& task, std::int64_t sent, std::int64_t total, std::int64_t expected) override;
  void didReceiveResponse(Session&, UploadTask& task, long status,
                          const std::vector<std::pair<std::string, std::string>>& headers) override;
  void didReceiveData(Session&, UploadTask& task, const std::string& data) override;
  void didComplete(Session&, Task& task, const Completion& completion) override;
  void didFinishEvents(Session&) override;
  void didBecomeInvalid(Session&, const std::optional<Error>& error) override;

 private:
  // Calls `member` with (user_data, handle, args...) once the handle is open, if it is set.
  template <class Member, class... Args>
  void call(Member member, Args&&... args);
  ferry_session* waitOpen();

  ferry_delegate c_{};
  std::mutex mutex_;
  std::condition_variable opened_cv_;
  bool opened_ = false;
  ferry_session* handle_ = nullptr;
};

// ferry::Response's headers as ferry_header views (valid while `headers` lives).
std::vector<ferry_header> headerViews(const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace ferry::c_api
