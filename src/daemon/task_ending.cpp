// Every end of a task goes one way: the task enters `ending`, a TaskEnding's work commits the
// final row and the events that tell the application in one transaction, and only then does the
// task take its final phase and the events go out. The kinds of end differ only in their work:
//   deliverFile          a download's file is synced, moved into place, its directory synced;
//   deliverUploadAnswer  an upload's answer (didReceiveResponse, didReceiveData, didComplete)
//                        (task_manager_uploads.cpp);
//   endTask              failed or cancelled, the partial bytes kept as a resume token if asked.
//
// One retry rule for all of them (onEndingCommitted):
//   - the work found the bytes untrusted (a delivery's fdatasync failed): the download fetches
//     them again; a failed fdatasync is never retried and trusted;
//   - the commit failed for want of space or an I/O error: the same work runs again every
//     second, so that didComplete is stored and delivered once the disk has room;
//   - any other failure: the task fails with that error (itself an ending), or, if it was
//     failing already, is marked failed in memory and the error logged.

#include "daemon/task_ending.hpp"

#include <spdlog/spdlog.h>

#include "common/files.hpp"

namespace ferry::daemon {
namespace {

// An upload can be continued from resume data when the server keeps what it received under an
// upload resource it named, and the body can be read again (a file, or our spooled copy).
bool uploadCanResume(const UploadSpec& u) {
  return !u.stream && u.mode != engine::ResumableMode::none && !u.upload_url.empty();
}

}  // namespace

// ---------------------------------------------------------------- a download's file

void TaskManager::deliverFile(Task& t) {
  if (!transition(t, Phase::ending)) return;
  gathered_deliveries_.push_back(makeDelivery(t));
  if (!in_engine_turn_) submitDeliveries();  // else at the end of the engine turn
}

// The file, then the rows: the completed row, didFinishDownloadingTo and didComplete.
std::shared_ptr<TaskManager::TaskEnding> TaskManager::makeDelivery(Task& t) {
  auto ending = std::make_shared<TaskEnding>();
  ending->final_phase = Phase::completed;
  auto delivery = std::make_shared<FileDelivery>();
  delivery->partial = partialPath(t);
  delivery->fallback = deliveredPath(t);
  delivery->wanted = t.destination.empty() ? delivery->fallback : std::filesystem::path(t.destination);
  // Their payloads are known once the file is in place (the record fills them in).
  auto finish = outbox_.prepare(t.session, t.id, protocol::DidFinishDownloadingTo{});
  auto complete = outbox_.prepare(t.session, t.id, protocol::DidComplete{});
  store::TaskRow row = t.toRow();
  row.state = std::string(stateName(TaskState::completed));
  row.durable_offset = t.written;
  const auto http_error = t.details().error;
  const long status = t.details().http_status;
  const std::uint64_t bytes = t.written;
  const auto metrics = t.metricsCopy();
  auto events = ending->events;
  ending->delivery = delivery;
  ending->record = [=](store::Store& s) mutable -> Result<void> {
    events->clear();
    const auto error = delivery->move_error ? delivery->move_error : http_error;
    row.result_path = delivery->location;
    if (error) {
      row.error_code = error->code;
      row.error_message = error->message;
    }
    // "temporary": in delivered/, removed once the application's callback returns.
    finish.payload_json = EventOutbox::payloadOf(protocol::DidFinishDownloadingTo{
        delivery->location, delivery->location == delivery->fallback.string(), status, bytes});
    complete.payload_json = EventOutbox::payloadOf(protocol::DidComplete{error, status, std::nullopt, metrics});
    if (auto u = s.upsertTask(row); !u) return u;
    if (auto a = s.appendEvent(finish); !a) return a;
    if (auto a = s.appendEvent(complete); !a) return a;
    *events = {finish, complete};
    return {};
  };
  ending->work = [delivery, record = ending->record, untrusted = ending->bytes_untrusted](store::Store& s) -> Result<void> {
    if (delivery->location.empty()) {
      if (auto synced = files::syncData(delivery->partial); !synced) {
        *untrusted = true;
        return synced;
      }
      if (auto placed = placeFile(*delivery); !placed) return placed;
    }
    if (!delivery->directory_synced) {
      if (auto synced = files::syncDirectory(files::directoryOf(delivery->location)); !synced) return synced;
      delivery->directory_synced = true;
    }
    return record(s);
  };
  ending->on_committed = [delivery, http_error](Task& task) {
    task.editDetails().result_path = delivery->location;
    task.editDetails().error = delivery->move_error ? delivery->move_error : http_error;
    spdlog::info("task {}: completed, {} bytes at {}", task.id, task.written, delivery->location);
  };
  ending->id = t.id;
  return ending;
}

// Renames a synced file into place (its directory not synced yet): to where it was wanted, else
// (copied when the rename crosses file systems) into delivered/.
Result<void> TaskManager::placeFile(FileDelivery& d) {
  auto target = d.wanted;
  auto moved = files::renameOnly(d.partial, target);
  // Another file system: files::moveDurably copies (synced) when the rename cannot.
  if (!moved && moved.error().code == errc::io) moved = files::moveDurably(d.partial, target);
  if (!moved && target != d.fallback) {
    d.move_error = Error(moved.error().code, "downloaded, but could not put the file at " + target.string() + " (" +
                                                 moved.error().message + "); it was handed over at " +
                                                 d.fallback.string() + " instead");
    target = d.fallback;
    moved = files::renameOnly(d.partial, target);
  }
  if (!moved) return moved;
  d.location = target.string();
  return {};
}

// Durability in groups: the downloads that finished while the last group was being made durable
// (or in one engine turn) go to the writer together, one item: their fdatasyncs issued side by
// side, each renamed, one fsync per directory, then every row in one transaction. One group is
// in flight at a time, so that under load each carries all that finished meanwhile. Each ending
// still gets its own result (onEndingCommitted applies the one retry rule; a retry runs the
// ending's own work).
void TaskManager::submitDeliveries() {
  if (gathered_deliveries_.empty() || delivery_in_flight_) return;
  delivery_in_flight_ = true;
  auto group = std::make_shared<std::vector<std::shared_ptr<TaskEnding>>>(std::exchange(gathered_deliveries_, {}));
  auto outcomes = std::make_shared<std::vector<Result<void>>>(group->size());
  writer_.submit(
      store::Durability::lifecycle,
      [group, outcomes](store::Store& s) -> Result<void> { return deliverGroup(s, *group, *outcomes); },
      onIo([this, group, outcomes](Result<void> r) {
        delivery_in_flight_ = false;
        for (std::size_t i = 0; i < group->size(); ++i) onEndingCommitted((*group)[i], r ? (*outcomes)[i] : r);
        submitDeliveries();
      }),
      store::Commit::prompt);
}

Result<void> TaskManager::deliverGroup(store::Store& s, std::vector<std::shared_ptr<TaskEnding>>& group,
                                       std::vector<Result<void>>& outcomes) {
  // 1. The bytes of every file not yet in place.
  std::vector<std::size_t> unsynced;
  std::vector<std::filesystem::path> paths;
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (!group[i]->delivery->location.empty()) continue;
    unsynced.push_back(i);
    paths.push_back(group[i]->delivery->partial);
  }
  auto synced = files::syncDataAll(paths);
  for (std::size_t k = 0; k < unsynced.size(); ++k) {
    auto& ending = *group[unsynced[k]];
    if (!synced[k]) {
      *ending.bytes_untrusted = true;
      outcomes[unsynced[k]] = synced[k];
    } else {
      outcomes[unsynced[k]] = placeFile(*ending.delivery);  // 2. the names
    }
  }
  // 3. One fsync per directory the names went into.
  std::map<std::filesystem::path, Result<void>> directories;
  for (std::size_t i = 0; i < group.size(); ++i) {
    const auto& d = *group[i]->delivery;
    if (outcomes[i] && !d.directory_synced) directories.emplace(files::directoryOf(d.location), Result<void>());
  }
  for (auto& [dir, result] : directories) result = files::syncDirectory(dir);
  // 4. The rows, each in its own savepoint: one ending's failure is its own.
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (!outcomes[i]) continue;
    auto& d = *group[i]->delivery;
    if (!d.directory_synced) {
      outcomes[i] = directories.at(files::directoryOf(d.location));
      if (!outcomes[i]) continue;
      d.directory_synced = true;
    }
    outcomes[i] = store::Writer::runInSavepoint(s, group[i]->record);
    if (!outcomes[i] && !s.inTransaction()) return outcomes[i];  // SQLite gave the whole transaction up
  }
  return {};
}

// ---------------------------------------------------------------- failed or cancelled

void TaskManager::endTask(Task& t, Phase final_phase, Error error, bool keep_resume_data, ResumeDataReply reply) {
  if (!transition(t, Phase::ending)) {
    if (reply) reply(fail(errc::invalid_state, "task " + std::to_string(t.id) + " is " + std::string(stateName(t.state()))));
    return;
  }
  const bool resumable = keep_resume_data && (t.isUpload() ? uploadCanResume(*t.upload) : t.written > 0 && !t.details().validators.empty());
  store::ResumeTokenRow token;
  std::string blob;
  // What the token keeps in resume/: a download's partial file (cut to the offset), an upload's
  // spooled body (the application's own file stays where it is; its identity is in the token).
  std::filesystem::path keep_from;
  bool cut_to_offset = false;
  if (resumable) {
    token.token = randomToken();
    token.session = t.session;
    token.source_task = t.id;
    token.created_at = unixSecondsNow();
    store::StoredRequest stored{t.request, t.scheduling, std::nullopt};
    if (t.isUpload()) {
      // The server, not the token, decides where the upload continues (HEAD); the offset is informational.
      token.offset = t.upload->confirmed_offset;
      stored.upload = t.upload->stored();
      if (t.upload->spooled) {
        token.partial = "resume/" + token.token + ".body";
        keep_from = t.upload->body;
      }
    } else {
      token.partial = "resume/" + token.token + ".part";
      token.offset = t.written;
      token.etag = t.details().validators.etag;
      token.last_modified = t.details().validators.last_modified;
      keep_from = partialPath(t);
      // A segmented file keeps its length: its bytes are where the segments say.
      const auto& segments = t.details().segments;
      if (!segments.empty()) token.segments = model::segmentsToText(segments);
      cut_to_offset = segments.empty();
    }
    token.request_json = store::encodeRequest(stored);
    blob = codec_.encode({codec_.keyId(), token.token, t.session, t.request.url, token.offset,
                          token.segments.empty() ? 1 : 2});
  }
  auto complete = outbox_.prepare(t.session, t.id, protocol::DidComplete{});
  const auto metrics = t.metricsCopy();
  store::TaskRow row = t.toRow();
  row.state = std::string(stateName(wireState(final_phase, StopIntent::none, 0)));
  row.error_code = error.code;
  row.error_message = error.message;
  auto partial = partialPath(t);
  auto resume_file = token.partial.empty() ? std::filesystem::path() : state_dir_ / token.partial;
  auto made_blob = std::make_shared<std::string>();
  auto ending = std::make_shared<TaskEnding>();
  ending->final_phase = final_phase;
  ending->error = error;
  auto events = ending->events;
  // The partial file that was already moved to resume/ by an earlier run is found there; the
  // SQL of a failed run was rolled back.
  ending->work = [=](store::Store& s) mutable -> Result<void> {
    std::error_code ec;
    bool kept = false;
    made_blob->clear();
    events->clear();
    if (resumable) {
      bool moved = keep_from.empty() || std::filesystem::exists(resume_file, ec);
      if (!moved) {
        auto synced = files::syncData(keep_from);
        moved = synced && (!cut_to_offset || files::truncateTo(keep_from, token.offset)) &&
                files::renameDurably(keep_from, resume_file);
      }
      if (moved) {
        // Without its row the file is an orphan nobody can resume: fail the whole ending (and try
        // it again) rather than hand out didComplete without the resume data it could carry.
        if (auto p = s.putResumeToken(token); !p) return p;
        kept = true;
        *made_blob = blob;
      } else {
        spdlog::warn("task {}: resume data could not be kept", row.id);
      }
    }
    if (!kept) std::filesystem::remove(partial, ec);
    complete.payload_json = EventOutbox::payloadOf(
        protocol::DidComplete{error, row.http_status, kept ? std::optional<std::string>(blob) : std::nullopt, metrics});
    if (auto u = s.upsertTask(row); !u) return u;
    if (auto a = s.appendEvent(complete); !a) return a;
    *events = {complete};
    return {};
  };
  ending->on_committed = [this, made_blob, token, final_phase, error](Task& task) {
    if (!made_blob->empty()) tokens_[token.token] = token;
    spdlog::info("task {}: {} ({})", task.id, phaseName(final_phase), error.describe());
  };
  if (reply) {
    ending->answer = [made_blob, reply = std::move(reply)](Task& task, const Result<void>& r) {
      if (!r) return reply(tl::unexpected(r.error()));
      if (made_blob->empty() && task.isUpload())
        return reply(fail(errc::invalid_state, "the upload was cancelled without resume data: only a resumable upload (ietf or tus) "
                                               "whose server has named its upload resource can be continued, and not a streamed "
                                               "one; start it again"));
      if (made_blob->empty())
        return reply(fail(errc::invalid_state, "no resume data: the server gave no validators or no bytes were written; start again from the URL"));
      reply(*made_blob);
    };
  }
  commitEnding(t, std::move(ending));
}

// ---------------------------------------------------------------- committing

void TaskManager::commitEnding(Task& t, std::shared_ptr<TaskEnding> ending) {
  ending->id = t.id;
  submitEnding(std::move(ending));
}

void TaskManager::submitEnding(std::shared_ptr<TaskEnding> ending) {
  writer_.submit(
      store::Durability::lifecycle, ending->work,
      onIo([this, ending](Result<void> r) { onEndingCommitted(ending, std::move(r)); }), store::Commit::prompt);
}

void TaskManager::onEndingCommitted(std::shared_ptr<TaskEnding> ending, Result<void> r) {
  auto* t = find(ending->id);
  if (t == nullptr || t->phase != Phase::ending) return;
  ++ending->attempts;
  if (r) {
    if (ending->attempts > 1) spdlog::info("task {}: its end is recorded now (after {} tries)", t->id, ending->attempts);
    t->editDetails().error = ending->error;
    if (ending->on_committed) ending->on_committed(*t);
    for (const auto& e : *ending->events) outbox_.committed(e);
    return settleEnding(*t, *ending, r);
  }
  if (*ending->bytes_untrusted) {
    spdlog::error("task {}: could not make the file durable ({}); fetching its bytes again", t->id, r.error().describe());
    ++t->editDetails().generation;
    return startEngine(*t);
  }
  const bool retry = r.error().is(errc::no_space) || r.error().is(errc::io);
  if (ending->attempts == 1)
    spdlog::error("task {}: could not record its end: {}{}", t->id, r.error().describe(),
                  retry ? "; trying again every second until it can (didComplete waits for it)" : "");
  if (ending->answer) std::exchange(ending->answer, {})(*t, r);
  if (retry) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::seconds(1));
    timer->async_wait([this, timer, ending](const boost::system::error_code& ec) {
      if (!ec) submitEnding(ending);
    });
    return;
  }
  if (ending->final_phase != Phase::failed) return endTask(*t, Phase::failed, r.error(), false);
  t->editDetails().error = ending->error;
  settleEnding(*t, *ending, r);
}

// What every ending does last: the files only the running task needed go (on the writer's
// thread, after the commit: the IPC thread does no file I/O), the task takes its final phase, and
// whoever waits for the outcome hears it.
void TaskManager::settleEnding(Task& t, TaskEnding& ending, const Result<void>& r) {
  stream_ends_.erase(t.id);
  if (t.isUpload()) {
    std::vector<std::filesystem::path> leftovers{responsePath(t)};
    if (t.upload->spooled) leftovers.push_back(t.upload->body);
    writer_.submit(store::Durability::progress, [leftovers](store::Store&) -> Result<void> {
      std::error_code ec;
      for (const auto& path : leftovers) std::filesystem::remove(path, ec);
      return {};
    });
  }
  transition(t, ending.final_phase);
  if (ending.answer) std::exchange(ending.answer, {})(t, r);
}

}  // namespace ferry::daemon
