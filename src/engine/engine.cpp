// The transfer thread: a command queue fed from any thread, a curl multi handle driven with
// curl_multi_poll, and the job state machine (queued -> running -> backing_off -> ... -> Finished).

#include "engine/engine.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "common/files.hpp"
#include "engine/backoff.hpp"
#include "engine/download_attempt.hpp"
#include "engine/engine_impl.hpp"
#include "engine/http_headers.hpp"
#include "engine/upload_attempt.hpp"
#include "engine/upload_flow.hpp"
#include "engine/url_check.hpp"

namespace ferry::engine {

namespace {

void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

// Bytes of `path` that may count as the job's resume offset, without opening it for writing.
std::uint64_t trustedBytesOnDisk(const std::filesystem::path& path, std::uint64_t resume_offset) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return std::min<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), resume_offset);
}

// The part of a new download job: its partial file as far as the owner trusts it.
DownloadPart downloadPartOf(DownloadJob& spec) {
  DownloadPart part;
  part.partial_path = std::move(spec.partial_path);
  part.resume_offset = spec.resume_offset;
  part.validators = Validators{strongEtag(spec.validators.etag), spec.validators.last_modified};
  part.bytes_in_file = trustedBytesOnDisk(part.partial_path, part.resume_offset);
  return part;
}

}  // namespace

Engine::Impl::Impl(Sink event_sink, EngineOptions engine_options)
    : sink(std::move(event_sink)), options(engine_options), scheduler(options.max_total_concurrent) {
  initCurlOnce();
  multi.reset(curl_multi_init());
  if (!multi) throw std::runtime_error("curl_multi_init failed");
  thread = std::thread([this] { run(); });
}

void Engine::Impl::push(Command command) {
  {
    std::lock_guard lock(mutex);
    commands.push_back(std::move(command));
  }
  curl_multi_wakeup(multi.get());
}

void Engine::Impl::shutdown() {
  {
    std::lock_guard lock(mutex);
    stopping = true;
  }
  curl_multi_wakeup(multi.get());
  if (thread.joinable()) thread.join();
  // Running jobs are abandoned without events; their attempts still finish their writes as they
  // are destroyed (after this), and must not report them to an owner that is going away.
  sink = [](Event) {};
}

bool Engine::Impl::applyCommands() {
  std::deque<Command> batch;
  {
    std::lock_guard lock(mutex);
    if (stopping) return false;
    batch.swap(commands);
  }
  for (auto& command : batch) {
    std::visit([this](auto& c) { apply(c); }, command);
  }
  return true;
}

// A job refused before it was made: its Finished is its only event.
void Engine::Impl::failAtStart(TaskId id, Error error, bool upload) {
  Finished finished;
  finished.id = id;
  finished.error = std::move(error);
  if (upload) finished.upload.emplace();
  sink(std::move(finished));
}

void Engine::Impl::apply(StartCommand& command) {
  DownloadJob& spec = command.job;
  if (jobs.contains(spec.id)) return;  // a duplicate start of a live job: the first one wins
  auto checked = checkUrl(spec.request.url);
  auto syntax = checkRequestSyntax(spec.request);
  if (!checked || !syntax) return failAtStart(spec.id, checked ? syntax.error() : checked.error(), false);
  auto job = makeJob(spec, downloadPartOf(spec));
  job->sequence = next_sequence++;
  job->host_key = checked->host_key;
  Job& ref = *job;
  jobs.emplace(ref.id, std::move(job));
  enter(ref);
}

void Engine::Impl::apply(StartUploadCommand& command) {
  UploadJob& spec = command.job;
  if (jobs.contains(spec.id)) return;  // a duplicate start of a live job: the first one wins
  auto checked = checkUrl(spec.request.url);
  auto syntax = checkRequestSyntax(spec.request);
  if (!checked || !syntax) return failAtStart(spec.id, checked ? syntax.error() : checked.error(), true);
  auto part = makeUploadPart(spec);
  if (!part) return failAtStart(spec.id, part.error(), true);
  auto job = makeJob(spec, std::move(*part));
  job->sequence = next_sequence++;
  job->host_key = checked->host_key;
  Job& ref = *job;
  jobs.emplace(ref.id, std::move(job));
  enter(ref);
}

void Engine::Impl::apply(DecideRedirectCommand& command) {
  Job* job = find(command.id);
  UploadPart* up = job != nullptr ? job->upload() : nullptr;
  if (up == nullptr || job->state != JobState::held || !up->pending_redirect) return;
  if (!command.follow) {
    // Declined: the 3xx (its body is in the response file) is the final answer.
    up->pending_redirect.reset();
    deliverResponse(*job, sink);
    return finishJob(*job, std::nullopt);
  }
  if (auto followed = followRedirect(*up, *up->pending_redirect); !followed) return finishJob(*job, followed.error());
  up->next_request_continues = true;
  changeState(*job, JobState::queued);
  setWaiting(*job, "queued");
}

void Engine::Impl::apply(StopCommand& command) {
  Job* job = find(command.id);
  if (job == nullptr) return;
  if (const UploadPart* up = job->upload()) {
    std::string message =
        "The upload was stopped after " + std::to_string(up->total_sent) + " bytes of the body were sent";
    message += up->upload_url.empty() ? "." : "; the server's upload resource is " + up->upload_url + ".";
    return finishJob(*job, Error(errc::cancelled, message));
  }
  job->attempt.reset();  // waits for its writes, so that the count below is what the file holds
  finishJob(*job, Error(errc::cancelled, "The transfer was stopped; " + std::to_string(job->download()->bytes_in_file) +
                                             " bytes are in the partial file."));
}

void Engine::Impl::apply(RestartCommand& command) {
  Job* job = find(command.id);
  DownloadPart* down = job != nullptr ? job->download() : nullptr;
  if (down == nullptr) return;  // uploads keep no partial file
  if (job->state == JobState::running) changeState(*job, JobState::queued);  // aborts the attempt
  job->unreported_bytes = 0;
  if (down->bytes_in_file <= command.offset) return;
  down->bytes_in_file = command.offset;
  down->resume_offset = std::min(down->resume_offset, command.offset);
  if (down->file && ::ftruncate(down->file.get(), static_cast<off_t>(command.offset)) != 0) {
    finishJob(*job, files::errnoError(errno, "cut " + down->partial_path.string()));
  }
}

void Engine::Impl::apply(LimitsCommand& command) {
  scheduler.setLimits(command.group, command.limits);
  schedule_needed = true;
}

void Engine::Impl::apply(BandwidthCommand& command) {
  bandwidth = std::move(command.limits);
  rates_dirty = true;
}

Job* Engine::Impl::find(TaskId id) {
  auto it = jobs.find(id);
  return it == jobs.end() ? nullptr : it->second.get();
}

// ---- Engine ----

Engine::Engine(Sink sink, EngineOptions options) : impl_(std::make_unique<Impl>(std::move(sink), options)) {}

Engine::~Engine() { impl_->shutdown(); }

void Engine::start(DownloadJob job) { impl_->push(StartCommand{std::move(job)}); }

void Engine::start(UploadJob job) { impl_->push(StartUploadCommand{std::move(job)}); }

void Engine::decideRedirect(TaskId id, bool follow) { impl_->push(DecideRedirectCommand{id, follow}); }

void Engine::stop(TaskId id) { impl_->push(StopCommand{id}); }

void Engine::restartFrom(TaskId id, std::uint64_t offset) { impl_->push(RestartCommand{id, offset}); }

void Engine::setGroupLimits(const std::string& group, GroupLimits limits) {
  impl_->push(LimitsCommand{group, limits});
}

void Engine::setBandwidthLimits(BandwidthLimits limits) { impl_->push(BandwidthCommand{std::move(limits)}); }

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
      job.attempt.reset();  // leaves the multi handle
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

void Engine::Impl::setWaiting(Job& job, const std::string& reason) {
  if (job.waiting_reason == reason) return;
  job.waiting_reason = reason;
  sink(Waiting{job.id, reason});
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
  // group found full, or the total limit reached, settles the rest without asking again.
  static const std::string kConcurrencyLimit = "concurrency-limit";
  std::unordered_set<std::string> full_groups;
  for (auto it = queue.begin(); it != queue.end();) {
    Job& job = *it->second;
    ++it;  // starting or failing the job removes its own entry only
    // Discretionary work waits while other work runs or waits for a slot.
    if (job.scheduling.discretionary && !continuesAttempt(job) && (running_regular > 0 || queued_regular > 0)) {
      setWaiting(job, "discretionary");
      continue;
    }
    if (scheduler.totalLimitReached() || full_groups.count(job.group) != 0) {
      setWaiting(job, kConcurrencyLimit);
      continue;
    }
    if (auto reason = scheduler.blockReason(job.group, job.host_key)) {
      if (*reason == kConcurrencyLimit) full_groups.insert(job.group);
      setWaiting(job, *reason);
      continue;
    }
    startAttempt(job);
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
  if (!job.download()->file) {
    if (auto opened = openPartialFile(job); !opened) return finishJob(job, opened.error());
  }
  auto attempt = DownloadAttempt::start(job, multi.get(), options, sink, &write_behind);
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
  const std::uint64_t keep = down.file_opened_before ? down.bytes_in_file : down.resume_offset;
  if (size > keep && ::ftruncate(fd.get(), static_cast<off_t>(keep)) != 0)
    return tl::unexpected(files::errnoError(errno, "cut " + path.string()));
  down.bytes_in_file = std::min(size, keep);
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
      return finishJob(job, std::move(outcome.error));
    case Kind::restart_from_zero:
      if (DownloadPart* down = job.download()) down->next_attempt_from_zero = true;
      return changeState(job, JobState::queued);
    case Kind::transient:
      return retryLater(job, std::move(outcome));
    case Kind::next_request:
      // Back in the FIFO at its old place: it gets its slot back at once unless limits changed.
      if (UploadPart* up = job.upload()) up->next_request_continues = true;
      return changeState(job, JobState::queued);
    case Kind::hold:
      changeState(job, JobState::held);
      return setWaiting(job, "redirect-decision");
  }
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
    pollAndUnpause();
  }
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
    AttemptOutcome outcome = job.attempt->finish(result);
    job.attempt.reset();  // leaves the multi handle now: `message` must not be used after this
    handleOutcome(job, std::move(outcome));
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

namespace {

// What a download's Finished says: the bytes in the partial file, and whether a new job can
// continue them.
void describeDownload(Finished& finished, const DownloadPart& down, const std::optional<Error>& error) {
  finished.total_written = down.bytes_in_file;
  finished.expected_total = down.expected_total;
  finished.validators = down.validators;
  if (error) {
    const bool continuable = down.bytes_in_file > 0 && !down.validators.empty();
    finished.resumable = error->is(errc::no_space) ||
                         (continuable && (error->is(errc::cancelled) || error->is(errc::resource_timeout)));
  }
}

// What an upload's Finished says: the bytes sent, the answer, and the upload resource a new job
// can continue.
void describeUpload(Finished& finished, const UploadPart& up, const std::optional<Error>& error) {
  auto& result = finished.upload.emplace();
  result.total_sent = up.total_sent;
  result.body_length = up.body_length;
  if (!up.response_body_path.empty() && up.response_file) result.response_body_path = up.response_body_path;
  result.response_body_bytes = up.response_bytes;
  result.response_body_truncated = up.response_truncated;
  result.final_url = up.final_url;
  result.upload_url = up.upload_url;
  result.confirmed_offset = up.confirmed_offset;
  result.completed_before = up.completed_before;
  finished.expected_total = up.content_length;
  finished.resumable = error && (error->is(errc::cancelled) || error->is(errc::resource_timeout)) &&
                       up.protocol->resumable() && !up.upload_url.empty();
}

}  // namespace

// Ends the job in whatever state it is: the Finished is the last event for its id.
void Engine::Impl::finishJob(Job& job, std::optional<Error> error) {
  leaveState(job);
  job.flushProgress(sink);
  Finished finished;
  finished.id = job.id;
  finished.http_status = job.http_status;
  finished.content_type = job.content_type;
  if (const UploadPart* up = job.upload())
    describeUpload(finished, *up, error);
  else
    describeDownload(finished, *job.download(), error);
  finished.error = std::move(error);
  jobs.erase(job.id);  // closes the files before the owner hears of it
  sink(std::move(finished));
}

}  // namespace ferry::engine
