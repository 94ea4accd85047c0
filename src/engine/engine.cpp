// The Engine's commands: queued from any thread, picked up by the transfer thread, which makes
// the jobs they start and applies the others to the jobs they name.

#include "engine/engine.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <utility>

#include "common/files.hpp"
#include "engine/engine_impl.hpp"
#include "engine/segmented_attempt.hpp"
#include "engine/http_headers.hpp"
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
  part.follow_redirects = spec.follow_redirects;
  for (const auto& mirror : spec.request.mirrors) part.mirrors.push_back({mirror, ""});
  if (spec.in_memory) {
    part.memory = std::move(spec.in_memory);
    part.memory->bytes.resize(std::min<std::uint64_t>(part.memory->bytes.size(), part.resume_offset));
    part.bytes_in_file = part.memory->bytes.size();
    return part;
  }
  part.bytes_in_file = trustedBytesOnDisk(part.partial_path, part.resume_offset);
  // A segmented download continues only if its file still has the entity's length.
  if (!spec.segments.empty()) {
    struct stat st{};
    const std::uint64_t total = spec.segments.back().end;
    if (::stat(part.partial_path.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) == total) {
      part.segments = std::move(spec.segments);
      part.expected_total = total;
      part.bytes_in_file = part.resume_offset = bytesFilled(part.segments);
    } else {
      part.bytes_in_file = part.resume_offset = 0;
    }
  }
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
  for (const auto& mirror : spec.request.mirrors) {
    if (auto usable = checkUrl(mirror); !usable)
      return failAtStart(spec.id, Error(usable.error().code, "Mirror " + mirror + ": " + usable.error().message), false);
  }
  DownloadPart part = downloadPartOf(spec);
  if (auto expected = part.integrity.expect(spec.request.expected_digest); !expected)
    return failAtStart(spec.id, expected.error(), false);
  admit(makeJob(spec, std::move(part)), checked->host_key);
}

void Engine::Impl::apply(StartUploadCommand& command) {
  UploadJob& spec = command.job;
  if (jobs.contains(spec.id)) return;  // a duplicate start of a live job: the first one wins
  auto checked = checkUrl(spec.request.url);
  auto syntax = checkRequestSyntax(spec.request);
  if (!checked || !syntax) return failAtStart(spec.id, checked ? syntax.error() : checked.error(), true);
  auto part = makeUploadPart(spec);
  if (!part) return failAtStart(spec.id, part.error(), true);
  admit(makeJob(spec, std::move(*part)), checked->host_key);
}

void Engine::Impl::admit(std::unique_ptr<Job> job, const std::string& host_key) {
  job->sequence = next_sequence++;
  job->host_key = host_key;
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
  closeAttempt(*job);  // waits for its writes, so that the count below is what the file holds
  const DownloadPart& down = *job->download();
  finishJob(*job, Error(errc::cancelled, "The transfer was stopped; " + std::to_string(down.bytes_in_file) +
                                             (down.memory ? " bytes were received." : " bytes are in the partial file.")));
}

void Engine::Impl::apply(RestartCommand& command) {
  Job* job = find(command.id);
  DownloadPart* down = job != nullptr ? job->download() : nullptr;
  if (down == nullptr) return;  // uploads keep no partial file
  if (job->state == JobState::running) changeState(*job, JobState::queued);  // aborts the attempt
  job->unreported_bytes = 0;
  if (down->bytes_in_file <= command.offset) return;
  // Which bytes of a segmented file the offset means is not known: all of them are fetched again.
  if (!down->segments.empty()) return dropSegments(*down);
  down->bytes_in_file = command.offset;
  down->resume_offset = std::min(down->resume_offset, command.offset);
  if (down->memory) down->memory->bytes.resize(command.offset);
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

}  // namespace ferry::engine
