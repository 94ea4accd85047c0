// TaskManager's streamed uploads: the body comes from the application, one stream per attempt.
//
// ferryd cannot keep a stream across its own restart or the application's exit, and a stream
// that was partly sent cannot be rewound, so every attempt needs a new one — URLSession's
// needNewBodyStream. The stream travels through a named pipe in <state>/streams/ (the state
// directory is private to the user): ferryd creates it and holds the read end (non-blocking, so
// the open does not wait, and the application's open for writing then succeeds at once), sends
// needNewBodyStream with its path, and starts the engine on the read end once the application
// says it opened the write end. A pipe cannot tell a finished stream from a writer that died, so
// the application also says how many bytes its stream held (body_stream_ended) before it closes
// the pipe; an upload without a declared length whose stream ended without that word is failed
// rather than reported as sent. When no application is attached the task waits ("body-stream")
// and is asked for again on the next attach.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/files.hpp"
#include "daemon/task_manager.hpp"

namespace ferry::daemon {

void TaskManager::waitForBodyStream(Task& t, const std::string& why) {
  if (!transition(t, Phase::awaiting_body)) return;
  spdlog::info("task {}: waiting for a new body stream from the application ({})", t.id, why);
  askForBodyStream(t);
}

void TaskManager::askForBodyStream(Task& t) {
  if (!outbox_.isAttached(t.session) || stream_offers_.count(t.id) != 0) return;
  const auto dir = state_dir_ / "streams";  // made private at start-up (Daemon::start)
  const auto pipe = dir / (std::to_string(t.id) + "-" + std::to_string(++stream_serial_) + ".fifo");
  ::unlink(pipe.c_str());
  if (::mkfifo(pipe.c_str(), 0600) != 0) {
    auto error = files::errnoError(errno, "cannot make the pipe for task " + std::to_string(t.id) + "'s body stream " + pipe.string());
    spdlog::error("{}", error.describe());
    return endTask(t, Phase::failed, error, false);
  }
  UniqueFd read_end(::open(pipe.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!read_end) {
    auto error = files::errnoError(errno, "cannot open the pipe " + pipe.string());
    ::unlink(pipe.c_str());
    return endTask(t, Phase::failed, error, false);
  }
  stream_offers_[t.id] = BodyStreamOffer{std::move(read_end), pipe, false};
  publishTransient(t, protocol::NeedNewBodyStream{pipe.string(), t.upload->stream_length});
}

void TaskManager::dropBodyStream(std::uint64_t id) {
  auto it = stream_offers_.find(id);
  if (it == stream_offers_.end()) return;
  ::unlink(it->second.pipe.c_str());
  stream_offers_.erase(it);  // closes the read end: a writer still holding the pipe gets EPIPE
}

void TaskManager::onAttached(const std::string& session) {
  for (auto& [id, t] : tasks_)
    if (t.session == session && t.phase == Phase::awaiting_body)
      askForBodyStream(t);
}

void TaskManager::onDetached(const std::string& session) {
  std::vector<std::uint64_t> unopened;
  for (const auto& [id, offer] : stream_offers_) {
    auto* t = find(id);
    if (t != nullptr && t->session == session && !offer.opened) unopened.push_back(id);
  }
  for (auto id : unopened) dropBodyStream(id);  // asked again on the next attach
  followPendingRedirects(session);                // nobody is left to decide them
}

Result<protocol::TaskInfo> TaskManager::bodyStreamOpened(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = findScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  auto& t = **found;
  auto it = stream_offers_.find(id);
  if (t.phase != Phase::awaiting_body || it == stream_offers_.end())
    return fail(errc::invalid_state, "task " + std::to_string(id) + " is not waiting for a body stream");
  ::unlink(it->second.pipe.c_str());  // both ends are open; the name is no longer needed
  it->second.opened = true;
  stream_ends_.erase(id);
  startEngine(t);
  return t.toInfo();
}

Result<void> TaskManager::bodyStreamEnded(std::uint64_t id, const std::optional<std::string>& scope, std::uint64_t bytes) {
  auto found = findScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  if (!(*found)->isUpload() || !(*found)->upload->stream)
    return fail(errc::invalid_state, "task " + std::to_string(id) + " is not a streamed upload");
  stream_ends_[id] = bytes;
  return {};
}

std::optional<engine::StreamBody> TaskManager::takeOpenedBodyStream(const Task& t) {
  auto it = stream_offers_.find(t.id);
  if (it == stream_offers_.end() || !it->second.opened) return std::nullopt;
  engine::StreamBody body{std::move(it->second.read_end), t.upload->stream_length};
  stream_offers_.erase(it);
  return body;
}

// The engine sent what the pipe gave until end of file. That is the whole body only if the
// application said so (or the declared length was met, which the server checks as well).
std::optional<Error> TaskManager::brokenStreamError(const Task& t, const engine::Finished& f) const {
  const std::uint64_t sent = f.upload ? f.upload->total_sent : t.upload->sent;
  if (t.upload->stream_length) {
    if (sent == *t.upload->stream_length) return std::nullopt;
  } else if (auto it = stream_ends_.find(t.id); it != stream_ends_.end() && it->second == sent) {
    return std::nullopt;
  }
  return Error(errc::io, "the application's body stream broke off after " + std::to_string(sent) +
                             " bytes (the application exited or failed while streaming); the server may have "
                             "taken a short body");
}

}  // namespace ferry::daemon
