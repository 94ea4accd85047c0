#include "videofarm/background_transfers.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>

#include "videofarm/local_files.hpp"

namespace videofarm {

namespace {

Error noSession(const Error& e) {
  if (e.is(ferry::errc::already_attached))
    return Error(e.code, "another videofarm (add, status, handle-events, ...) is attached to the background session "
                         "right now; try again when it has finished (" + e.message + ")");
  if (e.is(ferry::errc::daemon_unavailable))
    return Error(e.code, "ferryd, which carries the uploads and downloads, cannot be reached: " + e.message);
  return e;
}

bool isResumeDataProblem(const Error& e) {
  return e.is(ferry::errc::resume_data_invalid) || e.is(ferry::errc::resume_data_foreign) ||
         e.is(ferry::errc::resume_data_stale);
}

// The movie must be a readable regular file before anything is created anywhere.
Result<std::uint64_t> checkReadable(const std::filesystem::path& movie) {
  auto unreadable = [&](int err) {
    return fail(errc::invalid_argument, fileError(err, "cannot read the movie " + movie.string()).message);
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(movie.c_str(), "rbe"), &std::fclose);
  if (!file) return unreadable(errno);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(movie, ec))
    return fail(errc::invalid_argument, "the movie " + movie.string() + " is not a regular file");
  const auto size = std::filesystem::file_size(movie, ec);
  if (ec) return unreadable(ec.value());
  (void)std::fgetc(file.get());  // opened is not yet readable (a file on a failing disk, say)
  if (std::ferror(file.get())) return unreadable(errno);
  return static_cast<std::uint64_t>(size);
}

}  // namespace

Result<std::unique_ptr<BackgroundTransfers>> BackgroundTransfers::attach(StateStore& state, std::shared_ptr<EventHub> hub,
                                                                         LibraryFolder library,
                                                                         const TransferOptions& options) {
  std::unique_ptr<BackgroundTransfers> self(new BackgroundTransfers(state, library));
  auto id = state.sessionIdentifier();
  if (!id) return tl::unexpected(id.error());
  self->session_id_ = *id;
  self->keeper_ = std::make_shared<StateKeeper>(state, std::move(hub), std::move(library));
  auto config = ferry::Configuration::background(*id).startDaemon(options.start_daemon);
  if (!options.socket.empty()) config.socketPath(options.socket);
  config.maxBytesPerSecond(options.max_bytes_per_second);
  if (!options.launch_argv.empty()) {
    config.launchCommand(options.launch_argv, options.launch_directory, options.launch_environment);
    if (options.refresh_interval.count() > 0) config.refreshInterval(options.refresh_interval);
  }
  // Another videofarm command may hold the session for a moment (`add` returns within seconds).
  const auto deadline = std::chrono::steady_clock::now() + options.attach_patience;
  for (;;) {
    auto session = ferry::Session::create(config, self->keeper_);
    if (session) {
      self->session_ = std::move(*session);
      return self;
    }
    if (!session.error().is(ferry::errc::already_attached) || std::chrono::steady_clock::now() >= deadline)
      return tl::unexpected(noSession(session.error()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

BackgroundTransfers::~BackgroundTransfers() { session_.reset(); }

bool BackgroundTransfers::waitForQueuedEvents(std::chrono::milliseconds timeout) {
  return session_->waitForEventsDrained(timeout);
}

Result<void> BackgroundTransfers::begin(Transfer& transfer, std::uint64_t task) {
  transfer.task = task;
  transfer.state = TransferState::running;
  transfer.error.clear();
  transfer.resume_data.clear();
  if (auto saved = state_.updateTransfer(transfer); !saved) {
    (void)ferry::Task(session_.get(), task).cancel();  // not recorded: it must not run unseen
    return saved;
  }
  auto started = ferry::Task(session_.get(), task).resume();
  if (!started) return tl::unexpected(started.error());
  return {};
}

ferry::Request BackgroundTransfers::request(const std::string& url) const {
  ferry::Request r(url);
  if (authorization_) r.headers.emplace_back("Authorization", *authorization_);
  return r;
}

Result<std::uint64_t> BackgroundTransfers::startUpload(const Transfer& transfer, bool resumable) {
  ferry::UploadOptions options;
  options.resumable = resumable ? "ietf" : "none";
  options.description = "videofarm upload " + transfer.video_id;
  ferry::Request put = request(transfer.url);
  put.method = "PUT";
  auto task = session_->uploadTask(put, transfer.file, options);
  if (!task) return tl::unexpected(task.error());
  return task->identifier();
}

Result<std::uint64_t> BackgroundTransfers::startDownload(Transfer& transfer) {
  ferry::DownloadOptions options;
  // ferryd renames the finished file into the video's folder itself (durably); the StateKeeper
  // names it as the movie once the task has succeeded.
  options.destination = library_.incoming(transfer.video_id, transfer.role);
  options.description = "videofarm " + std::string(roleName(transfer.role)) + " " + transfer.video_id;
  if (auto dir = makeDirectory(library_.videoDir(transfer.video_id), kVideoDirMode); !dir)
    return tl::unexpected(dir.error());
  if (!transfer.resume_data.empty()) {
    auto task = session_->downloadTaskWithResumeData(transfer.resume_data, options);
    if (task) return task->identifier();
    if (!isResumeDataProblem(task.error())) return tl::unexpected(task.error());
    // Resume data that ferryd no longer honours (its state was reset, ...): start from zero.
    transfer.resume_data.clear();
    transfer.bytes_done = 0;
  }
  auto task = session_->downloadTask(request(transfer.url), options);
  if (!task) return tl::unexpected(task.error());
  return task->identifier();
}

Result<std::uint64_t> checkMovieReadable(const std::filesystem::path& movie) { return checkReadable(movie); }

Result<VideoUpload> BackgroundTransfers::upload(const ApiClient& api, const RemoteVideo& video,
                                                const std::filesystem::path& movie) {
  auto size = checkReadable(movie);
  if (!size) return tl::unexpected(size.error());
  std::error_code ec;
  auto absolute = std::filesystem::absolute(movie, ec);
  Transfer t;
  t.video_id = video.id;
  t.role = Role::upload;
  t.url = api.url("/videos/" + video.id + "/movie");
  t.file = ec ? movie : absolute;
  t.bytes_total = *size;
  auto task = startUpload(t, api.supportsResumableUpload(video.id));
  if (!task) return tl::unexpected(task.error());
  // Recorded before it starts: an event for it can only come once the state knows whose it is.
  t.task = *task;
  if (auto saved = state_.putTransfers(api.server(), video, {t}); !saved) {
    (void)ferry::Task(session_.get(), *task).cancel();
    return tl::unexpected(saved.error());
  }
  if (auto started = begin(t, *task); !started) return tl::unexpected(started.error());
  return VideoUpload{video, t};
}

Result<VideoDownload> BackgroundTransfers::download(const ApiClient& api, const RemoteVideo& video) {
  if (!video.movie_url || !video.movie)
    return fail(errc::invalid_state, "video " + video.id + " has no movie yet (upload state: " + video.upload_state +
                                         "); try again when its upload has finished");
  auto existing = state_.transfersOf(video.id);
  if (!existing) return tl::unexpected(existing.error());
  for (const auto& t : *existing)
    if (t.role != Role::upload && (t.state == TransferState::running || t.state == TransferState::paused))
      return fail(errc::invalid_state, "video " + video.id + " is already being downloaded (" +
                                           std::string(stateName(t.state)) + "); see `videofarm status`");
  VideoDownload d{video, {}, std::nullopt};
  d.movie.video_id = video.id;
  d.movie.role = Role::movie;
  d.movie.url = api.url(*video.movie_url);
  d.movie.bytes_total = video.movie->size;
  if (video.thumbnail_url) {
    Transfer thumb;
    thumb.video_id = video.id;
    thumb.role = Role::thumbnail;
    thumb.url = api.url(*video.thumbnail_url);
    d.thumbnail = thumb;
  }
  std::vector<Transfer*> all{&d.movie};
  if (d.thumbnail) all.push_back(&*d.thumbnail);
  std::vector<Transfer> records;
  for (auto* t : all) {
    auto task = startDownload(*t);
    if (!task) {
      for (auto* made : all)
        if (made->task) (void)ferry::Task(session_.get(), *made->task).cancel();
      return tl::unexpected(task.error());
    }
    t->task = *task;
    records.push_back(*t);
  }
  if (auto saved = state_.putTransfers(api.server(), video, records); !saved) {
    for (auto* t : all) (void)ferry::Task(session_.get(), *t->task).cancel();
    return tl::unexpected(saved.error());
  }
  for (auto* t : all)
    if (auto started = ferry::Task(session_.get(), *t->task).resume(); !started) return tl::unexpected(started.error());
  return d;
}

Result<std::vector<Transfer>> BackgroundTransfers::pause(const std::string& video_id) {
  auto transfers = state_.transfersOf(video_id);
  if (!transfers) return tl::unexpected(transfers.error());
  std::vector<Transfer> paused;
  for (auto t : *transfers) {
    if (t.state != TransferState::running || !t.task) continue;
    const std::uint64_t task = *t.task;
    if (t.role == Role::upload) {
      // An upload has no resume data: it is suspended in ferryd, which keeps its upload URL.
      auto suspended = ferry::Task(session_.get(), task).suspend();
      if (!suspended) return tl::unexpected(suspended.error());
      t.state = TransferState::paused;
      t.bytes_done = suspended->bytes_written;
      if (auto saved = state_.updateTransfer(t); !saved) return tl::unexpected(saved.error());
      paused.push_back(t);
      continue;
    }
    auto bytesNow = [&]() -> std::uint64_t {
      for (const auto& live : session_->getAllTasks().value_or(std::vector<ferry::TaskInfo>{}))
        if (live.id == task) return live.bytes_written;
      return 0;
    };
    const std::uint64_t before = bytesNow();
    // Paused first, so the StateKeeper takes the cancellation that follows for what it is.
    t.state = TransferState::paused;
    if (auto saved = state_.updateTransfer(t); !saved) return tl::unexpected(saved.error());
    auto info = ferry::Task(session_.get(), task).cancelByProducingResumeData();
    if (!info) {
      Transfer back = t;
      back.state = TransferState::running;
      (void)state_.updateTransferIf(back, TransferState::paused);  // unless it finished meanwhile
      return fail(info.error().code, "could not pause the " + std::string(roleName(t.role)) + " of " + video_id + ": " +
                                         info.error().message);
    }
    // Still listed until its didComplete is acknowledged: then its final count is exact.
    t.bytes_done = std::max(before, bytesNow());
    t.resume_data = *info;
    t.task.reset();
    auto saved = state_.updateTransferIf(t, TransferState::paused);
    if (!saved) return tl::unexpected(saved.error());
    if (*saved) paused.push_back(t);
  }
  if (paused.empty()) return fail(errc::invalid_state, "nothing of video " + video_id + " is running here to pause; see `videofarm status`");
  return paused;
}

Result<std::vector<Transfer>> BackgroundTransfers::resume(const std::string& video_id) {
  auto transfers = state_.transfersOf(video_id);
  if (!transfers) return tl::unexpected(transfers.error());
  std::vector<Transfer> resumed;
  for (auto t : *transfers) {
    if (t.state != TransferState::paused && t.state != TransferState::failed) continue;
    if (t.role == Role::upload && t.state == TransferState::paused && t.task) {
      auto running = ferry::Task(session_.get(), *t.task).resume();
      if (!running) return tl::unexpected(running.error());
      t.state = TransferState::running;
      if (auto saved = state_.updateTransfer(t); !saved) return tl::unexpected(saved.error());
      resumed.push_back(t);
      continue;
    }
    auto task = t.role == Role::upload ? startUpload(t, true) : startDownload(t);
    if (!task) return tl::unexpected(task.error());
    if (auto started = begin(t, *task); !started) return tl::unexpected(started.error());
    resumed.push_back(t);
  }
  if (resumed.empty())
    return fail(errc::invalid_state, "nothing of video " + video_id + " is paused or failed here; see `videofarm status`");
  return resumed;
}

Result<void> BackgroundTransfers::cancel(const std::string& video_id) {
  auto transfers = state_.transfersOf(video_id);
  if (!transfers) return tl::unexpected(transfers.error());
  for (const auto& t : *transfers) {
    if (!t.task || t.state == TransferState::finished) continue;
    auto cancelled = ferry::Task(session_.get(), *t.task).cancel();
    if (!cancelled && !cancelled.error().is(ferry::errc::not_found) && !cancelled.error().is(ferry::errc::invalid_state))
      return tl::unexpected(cancelled.error());
    library_.discard(t.video_id, t.role);
  }
  return state_.forgetVideo(video_id);
}

Result<std::vector<TransferStatus>> BackgroundTransfers::status() {
  auto tasks = session_->getAllTasks();
  if (!tasks) return tl::unexpected(tasks.error());
  std::map<std::uint64_t, ferry::TaskInfo> live;
  for (auto& info : *tasks) live[info.id] = info;
  auto transfers = [&] {
    auto settled = keeper_->holdEvents();
    return state_.allTransfers();
  }();
  if (!transfers) return tl::unexpected(transfers.error());
  std::vector<TransferStatus> out;
  for (auto& t : *transfers) {
    if (t.state == TransferState::finished) continue;
    TransferStatus s{t, {}, std::nullopt};
    if (auto known = state_.video(t.video_id); known && *known) s.title = (*known)->video.title;
    if (t.task) {
      if (auto it = live.find(*t.task); it != live.end()) {
        s.task = it->second;
        s.transfer.bytes_done = it->second.bytes_written;
        if (it->second.expected_total) s.transfer.bytes_total = it->second.expected_total;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace videofarm
