#pragma once
// One thread that handles queued jobs in order, for work that must leave the thread that has it
// (a pwrite behind the transfer thread, the start of writeback). The one worker-thread type under
// files::WriteBehind and files::WritebackThread. (The store's writer is not one: it batches its
// items into transactions per tick, which a plain queue does not.)
//
// The destructor handles every job already queued, then joins: a job posted is a job done.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ferry {

template <class Job>
class WorkerThread {
 public:
  using Handler = std::function<void(Job&)>;

  explicit WorkerThread(Handler handler) : handler_(std::move(handler)), thread_([this] { run(); }) {}
  ~WorkerThread() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  void post(Job job) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

  // Jobs queued and not yet taken by the thread.
  std::size_t waiting() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

  // Blocks until every job queued before the call has been handled.
  void drain() {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [&] { return queue_.empty() && !busy_; });
  }

  std::uint64_t handledCount() const {
    std::lock_guard lock(mutex_);
    return handled_;
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every job is done
      Job job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      handler_(job);
      lock.lock();
      busy_ = false;
      ++handled_;
      drained_.notify_all();
    }
  }

  Handler handler_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::uint64_t handled_ = 0;
  std::thread thread_;  // last: started after every member above is ready
};

}  // namespace ferry
