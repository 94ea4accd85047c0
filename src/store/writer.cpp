#include "store/writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <vector>

namespace ferry::store {
namespace {

Error lostWith(const Error& cause) {
  return Error(cause.code,
               "SQLite rolled back the whole batch this change was part of, after another change "
               "in it failed: " + cause.message);
}

void callDone(Writer::Done& done, Result<void> result) {
  if (!done) return;
  // A throwing callback must not take the writer thread (and every later commit) down with it.
  try {
    done(std::move(result));
  } catch (const std::exception& e) {
    spdlog::error("store writer: a completion callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("store writer: a completion callback threw a non-standard exception");
  }
}

}  // namespace

Writer::Writer(Store& store, std::chrono::milliseconds tick, std::unique_ptr<SpaceReserve> reserve)
    : store_(store), tick_(tick), reserve_(std::move(reserve)), thread_([this] { run(); }) {}

Writer::~Writer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Writer::submit(Durability durability, Work work, Done done, Commit commit) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Item{durability, std::move(work), std::move(done)});
    ++submitted_;
    if (commit == Commit::prompt) ++prompt_queued_;
  }
  wake_.notify_one();
}

void Writer::flush() {
  if (std::this_thread::get_id() == thread_.get_id()) return;  // would wait for itself
  std::unique_lock lock(mutex_);
  const std::uint64_t target = submitted_;
  if (completed_ >= target) return;
  flush_until_ = std::max(flush_until_, target);
  wake_.notify_all();
  drained_.wait(lock, [&] { return completed_ >= target; });
}

bool Writer::urgent() const { return stopping_ || flush_until_ > completed_ || prompt_queued_ > 0; }

void Writer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is committed
    // Leading edge: after an idle tick this returns at once; under load it gathers a tick's worth,
    // unless someone waits for an item (Commit::prompt).
    wake_.wait_until(lock, last_batch_ + tick_, [&] { return urgent(); });
    last_batch_ = std::chrono::steady_clock::now();
    std::deque<Item> batch;
    batch.swap(queue_);
    prompt_queued_ = 0;
    lock.unlock();

    processBatch(batch);
    const auto count = batch.size();
    batch.clear();  // destroy the callbacks' captures outside the lock

    lock.lock();
    completed_ += count;
    drained_.notify_all();
  }
}

Result<void> Writer::runInSavepoint(Store& store, const Work& work) {
  if (auto began = store.savepoint(); !began) return began;
  Result<void> result;
  try {
    if (work) result = work(store);
  } catch (const std::exception& e) {
    result = fail(errc::internal,
                  std::string("a store update threw an exception (") + e.what() +
                      "); its changes were undone. This is a bug in ferryd; please report it.");
  } catch (...) {
    result = fail(errc::internal,
                  "a store update threw a non-standard exception; its changes were undone. This is "
                  "a bug in ferryd; please report it.");
  }
  if (result) {
    result = store.releaseSavepoint();
    if (result) return result;
  }
  store.rollbackToSavepoint();
  return result;
}

void Writer::processBatch(std::deque<Item>& batch) {
  if (reserve_) reserve_->adjust();
  const bool full_sync = std::any_of(batch.begin(), batch.end(), [](const Item& item) {
    return item.durability == Durability::lifecycle;
  });
  std::vector<Result<void>> results(batch.size());
  bool open = false;
  std::size_t first_in_transaction = 0;  // results before it are final

  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!open) {
      if (auto began = store_.begin(full_sync); !began) {
        results[i] = began;
        continue;
      }
      open = true;
      first_in_transaction = i;
    }
    results[i] = runInSavepoint(store_, batch[i].work);
    if (!results[i] && !store_.inTransaction()) {
      // SQLITE_FULL, SQLITE_IOERR and friends may roll back the whole transaction: the items
      // before this one in it are gone too. Later items get a fresh transaction.
      for (std::size_t j = first_in_transaction; j < i; ++j) {
        if (results[j]) results[j] = tl::unexpected(lostWith(results[i].error()));
      }
      open = false;
    }
  }
  if (open) {
    if (auto committed = store_.commit(); !committed) {
      for (std::size_t j = first_in_transaction; j < batch.size(); ++j) {
        if (results[j]) results[j] = committed;
      }
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) callDone(batch[i].done, std::move(results[i]));
}

}  // namespace ferry::store
