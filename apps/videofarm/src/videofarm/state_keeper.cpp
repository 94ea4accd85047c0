#include "videofarm/state_keeper.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "videofarm/api_client.hpp"

namespace videofarm {

namespace {
std::optional<std::uint64_t> knownTotal(std::int64_t expected) {
  return expected >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(expected)) : std::nullopt;
}
}  // namespace

void StateKeeper::cannotRecord(const Error& error, const std::string& what) {
  std::cerr << "videofarm: could not record " << what << " in " << state_.file().string() << ": " << error.message
            << "\nvideofarm: exiting without acknowledging it; ferryd gives the event again at the next attach\n";
  std::cerr.flush();
  std::_Exit(6);
}

std::optional<Transfer> StateKeeper::transferOf(std::uint64_t task) {
  auto t = state_.transferOfTask(task);
  if (!t) cannotRecord(t.error(), "an event of task " + std::to_string(task));
  return *t;
}

void StateKeeper::noteProgress(std::uint64_t task, std::int64_t total, std::int64_t expected) {
  std::lock_guard lock(mutex_);
  progress_[task] = {static_cast<std::uint64_t>(std::max<std::int64_t>(total, 0)), knownTotal(expected)};
}

std::optional<std::pair<std::uint64_t, std::optional<std::uint64_t>>> StateKeeper::progress(std::uint64_t task) const {
  std::lock_guard lock(mutex_);
  auto it = progress_.find(task);
  if (it == progress_.end()) return std::nullopt;
  return it->second;
}

int StateKeeper::handledEvents() const {
  std::lock_guard lock(mutex_);
  return handled_;
}

void StateKeeper::didWriteData(ferry::Session&, ferry::DownloadTask& task, std::int64_t, std::int64_t total,
                               std::int64_t expected) {
  noteProgress(task.identifier(), total, expected);
  // Progress is transient: a state that cannot be read now only costs this notification.
  auto t = state_.transferOfTask(task.identifier());
  if (!t || !*t) return;
  hub_->publish(DownloadProgress{(*t)->video_id, (*t)->role, static_cast<std::uint64_t>(std::max<std::int64_t>(total, 0)),
                                 knownTotal(expected)});
}

void StateKeeper::didSendBodyData(ferry::Session&, ferry::UploadTask& task, std::int64_t, std::int64_t total,
                                  std::int64_t expected) {
  noteProgress(task.identifier(), total, expected);
  auto t = state_.transferOfTask(task.identifier());
  if (!t || !*t) return;
  hub_->publish(UploadProgress{(*t)->video_id, static_cast<std::uint64_t>(std::max<std::int64_t>(total, 0)), knownTotal(expected)});
}

void StateKeeper::didFinishDownloadingTo(ferry::Session&, ferry::DownloadTask& task, const std::filesystem::path& location) {
  {
    std::lock_guard lock(mutex_);
    ++handled_;
  }
  auto t = transferOf(task.identifier());
  if (!t) return;  // not ours (or forgotten): ferryd removes the file
  // Keep the file before ferryd removes it; it is named as the movie only when the task succeeded.
  if (location == library_.incoming(t->video_id, t->role)) return;
  auto kept = library_.takeIn(location, t->video_id, t->role);
  if (!kept) cannotRecord(kept.error(), "the finished " + std::string(roleName(t->role)) + " of " + t->video_id);
}

void StateKeeper::didReceiveResponse(ferry::Session&, ferry::UploadTask&, long,
                                     const std::vector<std::pair<std::string, std::string>>&) {
  std::lock_guard lock(mutex_);
  ++handled_;
}

void StateKeeper::didReceiveData(ferry::Session&, ferry::UploadTask& task, const std::string& data) {
  std::lock_guard lock(mutex_);
  ++handled_;
  auto& body = answers_[task.identifier()];
  if (body.size() < 64 * 1024) body += data.substr(0, 64 * 1024 - body.size());
}

void StateKeeper::didComplete(ferry::Session&, ferry::Task& task, const ferry::Completion& completion) {
  std::lock_guard in_hand(event_in_hand_);
  {
    std::lock_guard lock(mutex_);
    ++handled_;
  }
  auto t = transferOf(task.identifier());
  if (!t) return;
  if (t->role == Role::upload) completeUpload(std::move(*t), completion);
  else completeDownload(std::move(*t), completion);
  std::lock_guard lock(mutex_);
  answers_.erase(task.identifier());
  progress_.erase(task.identifier());
}

void StateKeeper::completeUpload(Transfer t, const ferry::Completion& completion) {
  std::string answer;
  {
    std::lock_guard lock(mutex_);
    if (auto it = answers_.find(*t.task); it != answers_.end()) answer = it->second;
  }
  const bool accepted = completion.ok() && completion.status_code >= 200 && completion.status_code < 300;
  t.task.reset();
  if (accepted) {
    t.state = TransferState::finished;
    if (t.bytes_total) t.bytes_done = *t.bytes_total;
    t.error.clear();
  } else {
    t.state = TransferState::failed;
    t.error = completion.error ? completion.error->message : "the server answered " + std::to_string(completion.status_code);
    if (!answer.empty()) t.error += " (the server said: " + serverErrorText(answer) + ")";
  }
  if (auto saved = state_.updateTransfer(t); !saved) cannotRecord(saved.error(), "the end of the upload of " + t.video_id);
  if (accepted) hub_->publish(UploadFinished{t.video_id, completion.status_code});
  else
    hub_->publish(UploadFailed{t.video_id, Error(completion.error ? completion.error->code : std::string(errc::server_refused), t.error)});
}

void StateKeeper::completeDownload(Transfer t, const ferry::Completion& completion) {
  if (t.state == TransferState::paused && completion.error && completion.error->is(ferry::errc::cancelled))
    return;  // our own pause: the state already has its resume data (or is about to)
  auto known = state_.video(t.video_id);
  if (!known) cannotRecord(known.error(), "the download of " + t.video_id);
  t.task.reset();
  if (!completion.ok() || !*known) {
    library_.discard(t.video_id, t.role);
    t.state = TransferState::failed;
    t.error = completion.error ? completion.error->message : "the video is no longer in the state";
    t.resume_data = completion.resume_data;
    if (auto saved = state_.updateTransfer(t); !saved) cannotRecord(saved.error(), "the failed download of " + t.video_id);
    hub_->publish(DownloadFailed{t.video_id, t.role,
                                 Error(completion.error ? completion.error->code : std::string(errc::internal), t.error),
                                 !t.resume_data.empty()});
    return;
  }
  const RemoteVideo& video = (*known)->video;
  auto placed = library_.place(video, t.role);
  if (!placed) cannotRecord(placed.error(), "the finished download of " + t.video_id);
  t.state = TransferState::finished;
  t.file = *placed;
  t.resume_data.clear();
  t.error.clear();
  if (t.bytes_total) t.bytes_done = *t.bytes_total;
  // The video is in the library when every one of its download transfers has finished.
  auto siblings = state_.transfersOf(t.video_id);
  if (!siblings) cannotRecord(siblings.error(), "the finished download of " + t.video_id);
  LibraryEntry entry{t.video_id, {}, std::nullopt};
  bool complete = true;
  for (const auto& s : *siblings) {
    if (s.role == Role::upload) continue;
    const Transfer& current = s.role == t.role ? t : s;
    if (current.state != TransferState::finished) complete = false;
    if (current.role == Role::movie) entry.movie = current.file;
    if (current.role == Role::thumbnail) entry.thumbnail = current.file;
  }
  auto saved = complete ? state_.recordLibrary(entry, {t}) : state_.updateTransfer(t);
  if (!saved) cannotRecord(saved.error(), "the finished download of " + t.video_id);
  if (complete) hub_->publish(DownloadFinished{t.video_id, entry.movie, entry.thumbnail});
}

void StateKeeper::didFinishEvents(ferry::Session&) {}

}  // namespace videofarm
