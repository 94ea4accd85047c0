#pragma once
// The writer thread: file syncs and SQLite commits, batched into one transaction per tick, so that
// neither the IPC loop nor the transfer thread ever blocks on the disk.
//
// Each submitted Work runs on the writer thread inside the tick's transaction, in submission order,
// wrapped in a savepoint: a Work that returns an error has its SQL rolled back and does not affect
// the others. A batch that contains any lifecycle Work commits with synchronous=FULL, a batch of
// progress only with synchronous=NORMAL. Done callbacks run on the writer thread after the commit
// (or with the commit's error): post them to your own executor.
//
// Batching: at most one transaction per tick, on the leading edge. An item that arrives when the
// writer has been idle for a tick or more is committed at once; items arriving while a batch is
// being written (or within a tick of its start) wait for the next tick and share its transaction.
// An item submitted with Commit::prompt (someone waits for it: a reply to a client, an event to
// deliver, a finished task) does not wait for the tick: it is committed as soon as the writer is
// free, with everything queued by then, and whatever arrives during that commit shares the next
// one (group commit). With a 2 ms tick, a completion that went through two batches waited up to two
// ticks, about half of the p99 from a transfer's end to didComplete; progress and bookkeeping that
// nobody waits for still gather a tick's worth, which keeps the commit rate (and ferryd's CPU)
// down under load. flush() and the destructor skip the wait too. flush() called from a Work or
// Done (the writer thread) returns at once: the writer cannot wait for itself.
//
// With a SpaceReserve, each batch first lets it adjust (freed when the disk is nearly full), so that
// the batch that records a no-space failure finds room to commit.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "common/error.hpp"
#include "store/space_reserve.hpp"
#include "store/store.hpp"

namespace ferry::store {

enum class Durability { progress, lifecycle };
enum class Commit { batched, prompt };  // see "Batching" above

class Writer {
 public:
  using Work = std::function<Result<void>(Store&)>;
  using Done = std::function<void(Result<void>)>;

  explicit Writer(Store& store, std::chrono::milliseconds tick = std::chrono::milliseconds(20),
                  std::unique_ptr<SpaceReserve> reserve = nullptr);
  ~Writer();  // commits everything already submitted, then joins the thread
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void submit(Durability durability, Work work, Done done = {}, Commit commit = Commit::batched);

  // Blocks until everything submitted before this call has been committed and its Done called.
  void flush();

  // What the writer does with each item, for a Work that holds several units of its own: `work`
  // in a savepoint, rolled back when it fails or throws (an exception becomes an internal error).
  static Result<void> runInSavepoint(Store& store, const Work& work);

 private:
  struct Item {
    Durability durability;
    Work work;
    Done done;
  };
  void run();
  void processBatch(std::deque<Item>& batch);
  bool urgent() const;  // with mutex_ held: a prompt item, flush() or the destructor is waiting

  Store& store_;
  std::chrono::milliseconds tick_;
  std::unique_ptr<SpaceReserve> reserve_;  // used on the writer thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Item> queue_;
  std::uint64_t submitted_ = 0;
  std::uint64_t completed_ = 0;
  std::size_t prompt_queued_ = 0;  // Commit::prompt items in queue_
  bool stopping_ = false;
  std::uint64_t flush_until_ = 0;  // flush() waits for completed_ to reach this
  std::chrono::steady_clock::time_point last_batch_{};  // start of the last batch
  std::thread thread_;  // last: started after every member above is ready
};

}  // namespace ferry::store
