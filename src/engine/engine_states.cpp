// A job's states (queued -> running -> backing_off -> ... -> Finished): changeState, the one
// place a job's state changes, and what moves a job between states: its begin date, the
// scheduler's slots, an attempt's outcome, the back-off timers.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <unordered_set>
#include <utility>

#include "common/files.hpp"
#include "engine/attempt_metrics.hpp"
#include "engine/backoff.hpp"
#include "engine/download_attempt.hpp"
#include "engine/download_sources.hpp"
#include "engine/engine_impl.hpp"
#include "engine/segmented_attempt.hpp"
#include "engine/upload_attempt.hpp"

namespace ferry::engine {

namespace {

// "begin-date 2026-11-30T08:30:00Z"
std::string beginDateReason(WallClock::time_point at) {
  const std::time_t t = WallClock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string("begin-date ") + text;
}

std::string backoffReason(std::chrono::milliseconds delay) {
  auto seconds = (delay.count() + 999) / 1000;  // rounded up: "0s" would read as "now"
  return "retry-backoff " + std::to_string(std::max<long long>(seconds, 1)) + "s";
}

// The next request of an upload's running attempt (HEAD then PATCH, a redirect's target) is not
// new work: it goes on, and is not counted as another attempt.
const std::string kConcurrencyLimitReason = "concurrency-limit";

bool continuesAttempt(const Job& job) {
  const UploadPart* up = job.upload();
  return up != nullptr && up->next_request_continues;
}

}  // namespace

// A new job waits for its begin date, or for a slot at once.
void Engine::Impl::enter(Job& job) {
  const auto& begin = job.scheduling.begin_at;
  const auto now = WallClock::now();
  if (begin && *begin > now) {
    job.retry_at = Clock::now() + std::chrono::ceil<Clock::duration>(*begin - now);
    changeState(job, JobState::scheduled);
    return setWaiting(job, beginDateReason(*begin));
  }
  changeState(job, JobState::queued);
  setWaiting(job, "queued");
}

// The one place a job's state changes. Entering `running` takes the attempt in job.attempt,
// entering `backing_off` the time in job.retry_at.
void Engine::Impl::changeState(Job& job, JobState next) {
  leaveState(job);
  job.state = next;
  switch (next) {
    case JobState::queued:
      queue.emplace(queueKey(job), &job);
      noteQueuedReason(job);
      if (!job.scheduling.discretionary) ++queued_regular;
      schedule_needed = true;
      break;
    case JobState::backing_off:
    case JobState::scheduled:
      backoff_timers.emplace(job.retry_at, job.id);
      // A job waiting to retry holds no descriptor: with thousands of tasks failing at once (the
      // network is down) they would otherwise exhaust the process's files. Reopened by the next
      // attempt, which keeps the bytes already in it.
      if (DownloadPart* down = job.download()) down->file.reset();
      break;
    case JobState::running:
      job.waiting_reason.clear();
      scheduler.onStarted(job.group, job.host_key);
      running_jobs.insert(&job);
      if (!job.scheduling.discretionary) ++running_regular;
      rates_dirty = true;
      break;
    case JobState::held:
      break;
  }
}

// Higher priority first, then arrival order.
std::pair<double, std::uint64_t> Engine::Impl::queueKey(const Job& job) {
  return {-job.scheduling.priority, job.sequence};
}

// Takes the job out of the FIFO, the timers or curl, whichever its state puts it in.
void Engine::Impl::leaveState(Job& job) {
  switch (job.state) {
    case JobState::queued:
      queue.erase(queueKey(job));
      queued_not_at_limit.erase(&job);
      if (!job.scheduling.discretionary) {
        --queued_regular;
        schedule_needed = true;  // a discretionary job may be free to start now
      }
      break;
    case JobState::backing_off:
    case JobState::scheduled:
      backoff_timers.erase({job.retry_at, job.id});
      break;
    case JobState::running:
      closeAttempt(job);  // leaves the multi handle
      scheduler.onStopped(job.group, job.host_key);
      running_jobs.erase(&job);
      if (!job.scheduling.discretionary) --running_regular;
      schedule_needed = true;
      rates_dirty = true;
      break;
    case JobState::held:
      break;
  }
}

// The attempt ends (done, failed, or stopped midway): what it cost is kept, then its handle goes.
void Engine::Impl::closeAttempt(Job& job) {
  if (!job.attempt) return;
  if (job.attempt->transferHandle() != nullptr)
    recordAttemptMetrics(job.metrics, readAttemptMetrics(job.attempt->transferHandle()),
                       job.metrics_attempt == job.attempts, kMaxMetricsAttempts);
  job.metrics_attempt = job.attempts;
  job.attempt.reset();
}

void Engine::Impl::setWaiting(Job& job, const std::string& reason) {
  if (job.waiting_reason == reason) return;
  job.waiting_reason = reason;
  if (job.state == JobState::queued) noteQueuedReason(job);
  sink(Waiting{job.id, reason});
}

void Engine::Impl::noteQueuedReason(Job& job) {
  if (job.waiting_reason == kConcurrencyLimitReason) queued_not_at_limit.erase(&job);
  else queued_not_at_limit.insert(&job);
}

void Engine::Impl::wakeBackedOffJobs() {
  const auto now = Clock::now();
  while (!backoff_timers.empty() && backoff_timers.begin()->first <= now) {
    Job& job = *find(backoff_timers.begin()->second);
    const bool begin_date_reached = job.state == JobState::scheduled;
    changeState(job, JobState::queued);
    if (begin_date_reached) setWaiting(job, "queued");
  }
}

void Engine::Impl::startRunnableJobs() {
  schedule_needed = false;
  // This pass runs after every command and every job that stops. With 100,000 queued jobs,
  // asking the scheduler about each (string keys, allocations) made a restart take minutes: a
  // group found full settles the rest of it without asking again, and the total limit reached
  // ends the pass (settleAtTotalLimit).
  std::unordered_set<std::string> full_groups;
  for (auto it = queue.begin(); it != queue.end();) {
    Job& job = *it->second;
    ++it;  // starting or failing the job removes its own entry only
    if (waitsForRegularWork(job)) {
      setWaiting(job, "discretionary");
      continue;
    }
    if (scheduler.totalLimitReached()) return settleAtTotalLimit(job);
    if (full_groups.count(job.group) != 0) {
      setWaiting(job, kConcurrencyLimitReason);
      continue;
    }
    if (auto reason = scheduler.blockReason(job.group, job.host_key)) {
      if (*reason == kConcurrencyLimitReason) full_groups.insert(job.group);
      setWaiting(job, *reason);
      continue;
    }
    startAttempt(job);
  }
}

// Discretionary work waits while other work runs or waits for a slot.
bool Engine::Impl::waitsForRegularWork(const Job& job) const {
  return job.scheduling.discretionary && !continuesAttempt(job) && (running_regular > 0 || queued_regular > 0);
}

// Nothing more can start: `from` and every queued job after it wait for the concurrency limit.
// Walking all of them at each pass made 10,000 queued tasks cost a quadratic 50 million steps, so
// only those not told so yet are visited (queued_not_at_limit; those before `from` keep the
// reason this pass gave them).
void Engine::Impl::settleAtTotalLimit(Job& from) {
  const auto first = queueKey(from);
  std::vector<Job*> rest(queued_not_at_limit.begin(), queued_not_at_limit.end());
  for (Job* job : rest) {
    if (queueKey(*job) < first) continue;
    setWaiting(*job, waitsForRegularWork(*job) ? "discretionary" : kConcurrencyLimitReason);
  }
}

void Engine::Impl::startAttempt(Job& job) {
  job.rate_limit = startingRate(job);
  if (UploadPart* up = job.upload()) {
    auto attempt = UploadAttempt::start(job, multi.get(), options, sink);
    if (!attempt) return finishJob(job, attempt.error());
    if (!std::exchange(up->next_request_continues, false)) ++job.attempts;
    job.attempt = std::move(*attempt);
    return changeState(job, JobState::running);
  }
  if (!job.download()->file && !job.download()->memory) {
    if (auto opened = openPartialFile(job); !opened) return finishJob(job, opened.error());
  }
  if (!job.download()->segments.empty()) return startSegmentedAttempt(job);
  auto attempt = DownloadAttempt::start(job, multi.get(), options, sink, &write_behind, &hash_behind);
  if (!attempt) return finishJob(job, attempt.error());
  ++job.attempts;
  job.attempt = std::move(*attempt);
  changeState(job, JobState::running);
}

// A segmented download: several transfers, as many as the job asks for and its group lets one
// host have (the job still takes one slot of the group's limits).
void Engine::Impl::startSegmentedAttempt(Job& job) {
  if (allDone(job.download()->segments)) return handleOutcome(job, SegmentedAttempt::verifyWhole(job));
  // The per-host limit counts per URL: mirrors are other hosts.
  const int per_host = scheduler.limitsOf(job.group).max_per_host;
  const int connections = std::min(job.request.connectionsWanted(), per_host * (1 + static_cast<int>(job.request.mirrors.size())));
  auto attempt = SegmentedAttempt::start(job, multi.get(), options, sink, connections);
  if (!attempt) return finishJob(job, attempt.error());
  ++job.attempts;
  job.attempt = std::move(*attempt);
  changeState(job, JobState::running);
}

Result<void> Engine::Impl::openPartialFile(Job& job) {
  DownloadPart& down = *job.download();
  const auto& path = down.partial_path;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return tl::unexpected(files::errnoError(errno, "open " + path.string()));
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected(files::errnoError(errno, "stat " + path.string()));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // At the first attempt, bytes beyond the resume offset were never made durable by the owner:
  // they do not count. When the file is reopened after a back-off, the bytes this job wrote do.
  // A segmented download's file has the entity's length, its bytes where the segments say.
  const std::uint64_t keep = down.file_opened_before ? down.bytes_in_file : down.resume_offset;
  if (down.segments.empty() && size > keep && ::ftruncate(fd.get(), static_cast<off_t>(keep)) != 0)
    return tl::unexpected(files::errnoError(errno, "cut " + path.string()));
  down.bytes_in_file = down.segments.empty() ? std::min(size, keep) : bytesFilled(down.segments);
  down.file_opened_before = true;
  down.file = std::move(fd);
  return {};
}

void Engine::Impl::handleOutcome(Job& job, AttemptOutcome outcome) {
  using Kind = AttemptOutcome::Kind;
  switch (outcome.kind) {
    case Kind::success:
      return finishJob(job, std::nullopt);
    case Kind::permanent:
      if (triedAnotherSource(job, outcome)) return changeState(job, JobState::queued);
      return finishJob(job, std::move(outcome.error));
    case Kind::restart_from_zero:
      if (DownloadPart* down = job.download()) {
        down->next_attempt_from_zero = true;
        if (!down->segments.empty()) dropSegments(*down);
      }
      if (outcome.error) {  // a reason worth telling (a digest mismatch): the owner logs it
        job.flushProgress(sink);
        sink(Retrying{job.id, *outcome.error, job.attempts});
      }
      return changeState(job, JobState::queued);
    case Kind::transient:
      if (triedAnotherSource(job, outcome)) return changeState(job, JobState::queued);
      return retryLater(job, std::move(outcome));
    case Kind::next_request:
      // Back in the FIFO at its old place: it gets its slot back at once unless limits changed.
      if (UploadPart* up = job.upload()) up->next_request_continues = true;
      return changeState(job, JobState::queued);
    case Kind::split:  // the segments are planned: they start at once
      return changeState(job, JobState::queued);
    case Kind::hold:
      changeState(job, JobState::held);
      return setWaiting(job, "redirect-decision");
  }
}

bool Engine::Impl::triedAnotherSource(Job& job, const AttemptOutcome& outcome) {
  DownloadPart* down = job.download();
  if (down == nullptr || down->mirrors.empty() || !down->segments.empty() || !outcome.error ||
      !isSourceFailure(*outcome.error))
    return false;
  return dropSource(job, firstUsableSource(*down), outcome.error->message, sink);
}

void Engine::Impl::retryLater(Job& job, AttemptOutcome outcome) {
  job.flushProgress(sink);
  // An attempt that moved bytes resets the back-off: a flaky link should not wait minutes per drop.
  job.failures_without_bytes = outcome.made_progress ? 1 : job.failures_without_bytes + 1;
  const auto delay = retryDelay(job.retry, job.failures_without_bytes, outcome.retry_after, rng);
  const Error& last = *outcome.error;
  if (WallClock::now() + delay >= job.retry.resource_deadline) {
    return finishJob(job, Error(errc::resource_timeout,
                                "Gave up on " + job.request.url + " after " + std::to_string(job.attempts) +
                                    " attempts: the time allowed for it (its resource timeout) ran out. The last "
                                    "attempt failed: " + last.message + " Start it again later, or allow more time."));
  }
  sink(Retrying{job.id, last, job.attempts});
  setWaiting(job, backoffReason(delay));
  job.retry_at = Clock::now() + delay;
  changeState(job, JobState::backing_off);
}

}  // namespace ferry::engine
