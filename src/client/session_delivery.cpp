// Session: events back to the application. The backend queues Deliveries (enqueue, from its own
// threads); the delegate thread takes them in order and runs each delegate call or completion
// handler on the delegate queue, one at a time; then the backend hears that it was delivered
// (ferryd gets the acknowledgement; an in-process session releases the delivered file).

#include <cstdio>
#include <exception>

#include "common/overloaded.hpp"
#include "ferry/session.hpp"
#include "session_backend.hpp"

namespace ferry {

namespace {
// The delegate's sizes: -1 when unknown.
std::int64_t sizeOrMinusOne(std::optional<std::uint64_t> size) { return size ? static_cast<std::int64_t>(*size) : -1; }
std::int64_t signedSize(std::uint64_t size) { return static_cast<std::int64_t>(size); }

std::vector<std::pair<std::string, std::string>> headerPairs(const std::vector<model::Header>& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : headers) out.emplace_back(h.name, h.value);
  return out;
}

// An application's callback that throws must not end the delivery of everything else.
template <class F>
void guarded(F&& callback) {
  try {
    callback();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libferry: a delegate callback or completion handler threw: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "libferry: a delegate callback or completion handler threw\n");
  }
}

// One delegate call handed to an application's DelegateQueue, waited for by the delegate thread.
struct Handoff {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
};
}  // namespace

void Session::enqueue(std::vector<Delivery> deliveries) {
  {
    std::lock_guard lock(mutex_);
    for (auto& d : deliveries) inbox_.push_back(std::move(d));
  }
  wake_.notify_one();
}

void Session::deliverLoop() {
  for (;;) {
    Delivery delivery;
    {
      std::unique_lock lock(mutex_);
      // The acknowledgements of what was delivered go out together once the inbox is empty (one
      // message for a burst of events, not one each), and before this thread stops.
      if (acks_waiting_ && (inbox_.empty() || stopping_)) {
        lock.unlock();
        acks_waiting_ = false;
        backend_->acknowledge();
        continue;
      }
      // Not before the backend is in place: a reattach's replayed events may arrive while it is
      // still being made, and each needs it for its acknowledgement.
      wake_.wait(lock, [this] { return stopping_ || (backend_ready_ && !inbox_.empty()); });
      if (inbox_.empty()) return;  // stopping and nothing left
      if (stopping_) return;       // the application is going: undelivered events stay in ferryd
      delivery = std::move(inbox_.front());
      inbox_.pop_front();
    }
    deliver(delivery);
  }
}

void Session::runOnDelegateQueue(const std::function<void()>& work) {
  const auto& queue = configuration_.delegateQueue();
  if (!queue) return guarded(work);
  // The queue runs it on the application's thread; this thread waits, so calls stay one at a
  // time and in order. The Session outlives the wait: ~Session joins this thread first.
  auto handoff = std::make_shared<Handoff>();
  queue->post([handoff, &work] {
    guarded(work);
    std::lock_guard lock(handoff->mutex);
    handoff->done = true;
    handoff->done_cv.notify_all();
  });
  std::unique_lock lock(handoff->mutex);
  handoff->done_cv.wait(lock, [&] { return handoff->done; });
}

void Session::deliver(Delivery& delivery) {
  if (delivery.kind == Delivery::Kind::events_drained) {
    runOnDelegateQueue([this] { delegate_->didFinishEvents(*this); });
    std::lock_guard lock(mutex_);
    drained_ = true;
    drained_cv_.notify_all();
    return;
  }
  const auto seq = delivery.seq;
  if (seq != 0 && delivered_.count(seq) != 0) {
    // A replay after a reconnect of an event handled before: acknowledge again, do not repeat it.
    backend_->delivered(delivery);
    acks_waiting_ = true;
    return;
  }
  Task task(this, delivery.task);
  current_seq_ = seq;
  runOnDelegateQueue([&] {
    if (!answerHandler(task, delivery)) deliverEvent(task, delivery);
  });
  current_seq_ = 0;
  if (seq != 0) delivered_.insert(seq);
  backend_->delivered(delivery);
  acks_waiting_ = true;
}

void Session::deliverEvent(Task& task, const Delivery& delivery) {
  using namespace protocol;
  const Event& event = delivery.event;
  std::visit(
      Overloaded{
          [&](const DidWriteData& e) {
            delegate_->didWriteData(*this, task, signedSize(e.bytes_written), signedSize(e.total_bytes_written),
                                    sizeOrMinusOne(e.total_bytes_expected_to_write));
          },
          [&](const DidResumeAtOffset& e) {
            delegate_->didResumeAtOffset(*this, task, signedSize(e.file_offset), sizeOrMinusOne(e.expected_total_bytes));
          },
          // Not moved by the application: the backend removes it once this call returned.
          [&](const DidFinishDownloadingTo& e) { delegate_->didFinishDownloadingTo(*this, task, e.location); },
          [&](const DidSendBodyData& e) {
            delegate_->didSendBodyData(*this, task, signedSize(e.bytes_sent), signedSize(e.total_bytes_sent),
                                       sizeOrMinusOne(e.total_bytes_expected_to_send));
          },
          [&](const DidReceiveResponse& e) { delegate_->didReceiveResponse(*this, task, e.status_code, headerPairs(e.headers)); },
          [&](const DidReceiveData& e) { delegate_->didReceiveData(*this, task, e.data); },
          [&](const NeedNewBodyStream& e) { startBodyStream(task, e); },
          [&](const WillPerformHTTPRedirection& e) { decideRedirect(task, e); },
          [&](const DidBecomeInvalid& e) {
            {
              std::lock_guard lock(mutex_);
              invalidated_ = true;
            }
            delegate_->didBecomeInvalid(*this, e.error);
          },
          [&](const DidComplete& e) {
            Completion completion;
            completion.error = e.error;
            completion.status_code = e.status_code;
            completion.resume_data = e.resume_data.value_or(std::string());
            if (e.metrics) delegate_->didFinishCollectingMetrics(*this, task, *e.metrics);
            delegate_->didComplete(*this, task, completion);
          },
          // A group's events name the group in the envelope's task field.
          [&](const DidWriteGroupData& e) { delegate_->didWriteGroupData(*this, delivery.task, e.progress); },
          [&](const DidCompleteGroup& e) { delegate_->didCompleteGroup(*this, e.group, e.resume_data); },
          [](const DidRestartUpload&) {},  // watchers' only (ferryctl events)
          [](const TaskStateChanged&) {},
      },
      event);
}

// A task made by a convenience call gathers its answer here and hands it to its handler at the
// end, instead of the delegate's ending events.
bool Session::answerHandler(Task& task, Delivery& delivery) {
  protocol::Event& event = delivery.event;
  std::unique_lock lock(answers_mutex_);
  auto it = answers_.find(task.identifier());
  if (it == answers_.end()) return false;
  auto& pending = it->second;
  if (const auto* e = std::get_if<protocol::DidReceiveResponse>(&event)) {
    pending.response.status_code = e->status_code;
    pending.response.headers = headerPairs(e->headers);
    return true;
  }
  if (auto* e = std::get_if<protocol::DidReceiveData>(&event)) {
    if (pending.response.body.empty()) pending.response.body = std::move(e->data);  // a data task's whole body
    else pending.response.body += e->data;
    return true;
  }
  if (const auto* e = std::get_if<protocol::DidFinishDownloadingTo>(&event)) {
    pending.response.status_code = e->status_code;
    pending.response.location = e->location;
    if (e->temporary) {
      // The handler owns it: move it out of the session's directory before the backend cleans up.
      auto owned = std::filesystem::temp_directory_path() / ("ferry-download-" + std::to_string(task.identifier()) + "-" +
                                                             std::to_string(reinterpret_cast<std::uintptr_t>(this)));
      std::error_code ec;
      std::filesystem::rename(e->location, owned, ec);
      if (!ec) pending.response.location = owned;
    }
    return true;
  }
  if (const auto* e = std::get_if<protocol::DidComplete>(&event)) {
    PendingAnswer done = std::move(pending);
    answers_.erase(it);
    lock.unlock();
    if (done.response.status_code == 0) done.response.status_code = e->status_code;
    const bool answered = !e->error || e->error->is(errc::http_error);
    if (answered) done.handler(std::move(done.response));
    else done.handler(tl::unexpected(*e->error));
    return true;
  }
  return false;  // progress and the rest go to the delegate
}

}  // namespace ferry
