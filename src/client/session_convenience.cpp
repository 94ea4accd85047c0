// Session: the convenience calls of in-process sessions (completion handlers and futures), as
// URLSession's dataTask(with:completionHandler:) and async data(for:). A background session's
// work is done by ferryd while this process may be gone, so it has none: it must use a delegate.

#include <memory>

#include "ferry/session.hpp"
#include "session_backend.hpp"

namespace ferry {

Result<void> Session::checkConvenience(std::string_view call) {
  if (!configuration_.isBackground()) return {};
  return fail(errc::invalid_argument, std::string(call) +
                                          " with a completion handler or future is not available in a background session "
                                          "(its tasks outlive this process): use a delegate (SessionDelegate), or a default session "
                                          "(Configuration::defaults)");
}

template <class Create>
Result<Task> Session::withHandler(ResponseHandler handler, Create create) {
  std::lock_guard lock(answers_mutex_);  // the task's first events wait for its entry
  auto task = create();
  if (!task) return task;
  answers_[task->identifier()] = PendingAnswer{std::move(handler), Response{}};
  return task;
}

Result<DataTask> Session::dataTaskWithHandler(const Request& request, ResponseHandler handler) {
  if (auto allowed = checkConvenience("dataTask"); !allowed) return tl::unexpected(allowed.error());
  return withHandler(std::move(handler), [&] { return dataTask(request); });
}

Result<DownloadTask> Session::downloadTaskWithHandler(const Request& request, ResponseHandler handler,
                                                      const DownloadOptions& options) {
  if (auto allowed = checkConvenience("downloadTask"); !allowed) return tl::unexpected(allowed.error());
  return withHandler(std::move(handler), [&] { return downloadTask(request, options); });
}

Result<UploadTask> Session::uploadTaskWithHandler(const Request& request, const std::filesystem::path& file,
                                                  ResponseHandler handler, const UploadOptions& options) {
  if (auto allowed = checkConvenience("uploadTask"); !allowed) return tl::unexpected(allowed.error());
  return withHandler(std::move(handler), [&] { return uploadTask(request, file, options); });
}

namespace {
// A future whose value is set once by a handler; a refusal at creation sets it at once.
template <class Start>
std::future<Result<Response>> futureOf(Start start) {
  auto promise = std::make_shared<std::promise<Result<Response>>>();
  auto future = promise->get_future();
  auto task = start([promise](Result<Response> r) { promise->set_value(std::move(r)); });
  if (!task) promise->set_value(tl::unexpected(task.error()));
  else if (auto resumed = task->resume(); !resumed) (void)task->cancel();  // its handler gets "cancelled"
  return future;
}
}  // namespace

std::future<Result<Response>> Session::data(const Request& request) {
  return futureOf([&](ResponseHandler h) { return dataTaskWithHandler(request, std::move(h)); });
}

std::future<Result<Response>> Session::download(const Request& request, const DownloadOptions& options) {
  return futureOf([&](ResponseHandler h) { return downloadTaskWithHandler(request, std::move(h), options); });
}

std::future<Result<Response>> Session::upload(const Request& request, const std::filesystem::path& file,
                                              const UploadOptions& options) {
  return futureOf([&](ResponseHandler h) { return uploadTaskWithHandler(request, file, std::move(h), options); });
}

}  // namespace ferry
