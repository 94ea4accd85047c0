// The transfer thread's loop: commands, timers and scheduling, then curl_multi_perform, the
// transfers curl reports done, late progress, the owner's turn_ended, and curl_multi_poll (woken
// by curl_multi_wakeup when commands are queued). Also the running transfers' shares of the bandwidth limits.

#include <algorithm>

#include "engine/engine_impl.hpp"

namespace ferry::engine {

namespace {

// The longest the thread sleeps with nothing to do; commands and curl wake it earlier.
constexpr std::chrono::milliseconds kIdlePoll{1000};
constexpr std::chrono::milliseconds kWriteSettlePoll{20};

}  // namespace

void Engine::Impl::run() {
  while (applyCommands()) {
    wakeBackedOffJobs();
    if (schedule_needed) startRunnableJobs();
    if (rates_dirty) rebalanceRates();
    int running = 0;
    curl_multi_perform(multi.get(), &running);
    handleCompletedTransfers();
    flushLateProgress();
    if (options.turn_ended) options.turn_ended();
    pollAndUnpause();
  }
  if (options.turn_ended) options.turn_ended();
}

// Waits for curl's sockets, a wakeup, a timer, or the descriptor of a paused body stream; a
// stream that became readable (or hung up) unpauses its transfer.
void Engine::Impl::pollAndUnpause() {
  waitfds.clear();
  paused.clear();
  for (Job* job : running_jobs) {
    const int fd = job->attempt ? job->attempt->pausedFd() : -1;
    if (fd < 0) continue;
    waitfds.push_back(curl_waitfd{fd, CURL_WAIT_POLLIN, 0});
    paused.push_back(job);
  }
  curl_multi_poll(multi.get(), waitfds.data(), static_cast<unsigned>(waitfds.size()), pollTimeoutMs(), nullptr);
  for (std::size_t i = 0; i < waitfds.size(); ++i) {
    if (waitfds[i].revents != 0 && paused[i]->attempt) paused[i]->attempt->unpause();
  }
}

void Engine::Impl::handleCompletedTransfers() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi.get(), &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    const CURLcode result = message->data.result;
    void* priv = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &priv);
    Job& job = *static_cast<Job*>(priv);
    // A segmented download's other transfers may still run: then nothing changes for the job.
    std::optional<AttemptOutcome> outcome = job.attempt->transferDone(message->easy_handle, result);
    if (!outcome) continue;  // the transfer left the multi handle: `message` is not used again
    closeAttempt(job);       // leaves the multi handle now: `message` must not be used after this
    handleOutcome(job, std::move(*outcome));
  }
}

// Progress is sent from the write callback; bytes that arrived just after a Progress and then
// nothing more (a trickle, a stall) would wait for the next write: send them once they are due.
// Also counts the body writes that finished on the write-behind thread since the last look.
void Engine::Impl::flushLateProgress() {
  writes_in_flight = false;
  for (Job* job : running_jobs) {
    if (job->attempt && job->attempt->settleWrites()) writes_in_flight = true;
  }
  const auto now = Clock::now();
  for (Job* job : running_jobs) {
    if (job->unreported_bytes > 0 && now - job->last_progress >= options.progress_interval)
      job->flushProgress(sink, now);
  }
}

int Engine::Impl::pollTimeoutMs() const {
  if (schedule_needed) return 0;
  // A write in flight is counted when the next chunk comes; if the link stalls after it, this
  // bounds how long its bytes go uncounted (and unreported).
  auto timeout = writes_in_flight ? kWriteSettlePoll : kIdlePoll;
  const auto now = Clock::now();
  if (!backoff_timers.empty())
    timeout = std::min(timeout, std::chrono::ceil<std::chrono::milliseconds>(backoff_timers.begin()->first - now));
  for (const Job* job : running_jobs) {
    if (job->unreported_bytes > 0)
      timeout = std::min(timeout, std::chrono::ceil<std::chrono::milliseconds>(
                                      job->last_progress + options.progress_interval - now));
  }
  return static_cast<int>(std::max(timeout, std::chrono::milliseconds(0)).count());
}

// ---- rates ----

// Each running transfer's share of the limits (computed with `extra` counted as running too).
std::vector<std::uint64_t> Engine::Impl::shares(std::vector<Job*>& jobs_out, Job* extra) const {
  jobs_out.assign(running_jobs.begin(), running_jobs.end());
  if (extra != nullptr) jobs_out.push_back(extra);
  std::vector<RateDemand> demands;
  demands.reserve(jobs_out.size());
  for (const Job* job : jobs_out) demands.push_back({job->id, job->group, job->max_bytes_per_second});
  return shareBandwidth(bandwidth, demands);
}

// The limit a job about to start gets: its share with itself counted.
std::uint64_t Engine::Impl::startingRate(Job& job) const {
  std::vector<Job*> covered;
  auto rates = shares(covered, &job);
  return rates.back();
}

// Applies the current shares to the running transfers whose share changed.
void Engine::Impl::rebalanceRates() {
  rates_dirty = false;
  std::vector<Job*> covered;
  auto rates = shares(covered, nullptr);
  for (std::size_t i = 0; i < covered.size(); ++i) {
    Job& job = *covered[i];
    if (job.rate_limit == rates[i] || !job.attempt) continue;
    job.rate_limit = rates[i];
    job.attempt->setRateLimit(rates[i]);
  }
}

}  // namespace ferry::engine
