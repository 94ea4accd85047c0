// TaskManager's create_download, and the resume data a new task may continue from: a token
// ferryd made when a task was cancelled with resume data (task_ending.cpp), named by a signed
// blob (resume_data.hpp), or the resume data of an in-process session of the same user
// (protocol/local_resume_data.hpp: its partial file moves into the state directory). Uploads are
// created in task_manager_uploads.cpp.

#include <spdlog/spdlog.h>

#include "common/files.hpp"
#include "daemon/task_manager.hpp"
#include "engine/url_check.hpp"
#include "protocol/local_resume_data.hpp"

namespace ferry::daemon {
namespace {

using Json = protocol::Json;

// A destination the application named: its directory must exist and it must not be one.
Result<void> checkDestination(const std::string& destination) {
  if (destination.empty()) return {};
  const std::filesystem::path dest(destination);
  std::error_code ec;
  if (!std::filesystem::is_directory(dest.parent_path(), ec))
    return fail(errc::not_found, "the destination's directory " + dest.parent_path().string() + " does not exist");
  if (std::filesystem::is_directory(dest, ec))
    return fail(errc::invalid_argument, "destination " + destination + " is a directory; name a file");
  return {};
}

}  // namespace

// The checks that need no disk, the task made in memory, and the writer's work that makes it
// durable (its row, and the disk checks: the destination's directory, the resume file).
Result<TaskManager::Creation> TaskManager::makeDownload(NewDownload spec) {
  if (sessions_.isInvalidating(spec.session))
    return fail(errc::session_invalidated,
                "session " + spec.session + " is being invalidated and takes no new tasks; after didBecomeInvalid, "
                "create the session again");
  if (!spec.resume_data) {
    // Refused at once, as any other bad argument: a task that can never run is not created.
    if (auto checked = engine::checkUrl(spec.request.url); !checked) return tl::unexpected(checked.error());
    for (const auto& mirror : spec.request.mirrors) {
      if (auto checked = engine::checkUrl(mirror); !checked)
        return fail(checked.error().code, "mirror " + mirror + ": " + checked.error().message);
    }
  }
  if (!spec.destination.empty() && !std::filesystem::path(spec.destination).is_absolute())
    return fail(errc::invalid_argument, "destination " + spec.destination + " must be an absolute path");
  Task t;
  t.id = ++last_task_id_;
  t.group = spec.group;
  t.session = spec.session;
  t.request = std::move(spec.request);
  t.destination = spec.destination;
  if (!spec.description.empty()) t.editDetails().description = spec.description;
  t.scheduling = spec.scheduling;
  t.created_at = unixSecondsNow();
  t.resource_deadline = t.created_at + sessions_.config(spec.session).resource_timeout.count();
  t.suspend_count = spec.start ? 0 : 1;

  std::optional<store::ResumeTokenRow> token;
  std::optional<protocol::LocalResumeStore::Claim> local;
  if (spec.resume_data && protocol::LocalResumeStore::isLocalBlob(*spec.resume_data)) {
    auto adopted = adoptLocalResumeData(t, *spec.resume_data);
    if (!adopted) return tl::unexpected(adopted.error());
    local = std::move(*adopted);
  } else if (spec.resume_data) {
    auto adopted = adoptResumeData(t, *spec.resume_data);
    if (!adopted) return tl::unexpected(adopted.error());
    token = std::move(*adopted);
  }
  const std::filesystem::path resume_file = token ? state_dir_ / token->partial : std::filesystem::path();
  const std::filesystem::path partial = partialPath(t);
  const std::string destination = t.destination;
  Creation made;
  made.id = t.id;
  if (token) made.token = token->token;
  auto row = t.toRow();
  tasks_.emplace(t.id, std::move(t));
  // The checks that read the disk run here, on the writer's thread, not on the IPC thread.
  made.work = [row = std::move(row), token, local, resume_file, partial, destination](store::Store& s) -> Result<void> {
    if (auto d = checkDestination(destination); !d) return d;
    if (auto n = s.noteTaskId(row.id); !n) return n;
    if (local) {
      if (auto taken = protocol::LocalResumeStore::claim(*local, partial); !taken) return taken;
      if (auto synced = files::syncData(partial); !synced) return synced;  // its offset is durable from now
    }
    if (token) {
      auto size = files::fileSize(resume_file);
      if (!size || *size < token->offset)
        return fail(errc::resume_data_stale, "the partial file behind the resume data is gone; start the download again from its URL");
      if (auto r = files::renameDurably(resume_file, partial); !r) return r;
      if (auto d = s.deleteResumeToken(token->token); !d) return d;
    }
    return s.upsertTask(row);
  };
  return made;
}

// The creation's work committed (or failed): the task starts, waits suspended, or is forgotten.
Result<Task*> TaskManager::settleCreation(const Creation& made, const Result<void>& r) {
  if (made.token) settleResumeToken(*made.token, r.has_value());
  auto* t = find(made.id);
  if (t == nullptr) return fail(errc::invalid_state, "task " + std::to_string(made.id) + " ended while it was being created");
  if (!r) {
    tasks_.erase(made.id);
    return tl::unexpected(r.error());
  }
  if (t->suspend_count == 0) startEngine(*t);
  else transition(*t, Phase::suspended);
  return t;
}

void TaskManager::createDownload(NewDownload spec, Reply reply) {
  auto made = makeDownload(std::move(spec));
  if (!made) return reply(tl::unexpected(made.error()));
  auto work = std::move(made->work);
  writer_.submit(
      store::Durability::lifecycle, std::move(work),
      onIo([this, made = std::move(*made), reply](Result<void> r) {
        auto t = settleCreation(made, r);
        if (!t) return reply(tl::unexpected(t.error()));
        reply((*t)->toInfo());
      }),
      store::Commit::prompt);
}

// One writer item for the whole batch, so one transaction; each entry in a savepoint of its own,
// so that one entry's failure (its destination's directory is gone) leaves the others created.
void TaskManager::createDownloads(std::vector<Result<NewDownload>> specs, BatchReply reply) {
  auto results = std::make_shared<std::vector<Result<std::uint64_t>>>(specs.size(), std::uint64_t{0});
  auto made = std::make_shared<std::vector<std::pair<std::size_t, Creation>>>();
  std::vector<store::Writer::Work> works;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto creation = specs[i] ? makeDownload(std::move(*specs[i])) : tl::unexpected(specs[i].error());
    if (!creation) {
      (*results)[i] = tl::unexpected(creation.error());
      continue;
    }
    works.push_back(std::move(creation->work));
    made->emplace_back(i, std::move(*creation));
  }
  if (made->empty()) return reply(std::move(*results));
  auto outcomes = std::make_shared<std::vector<Result<void>>>(works.size());
  writer_.submit(
      store::Durability::lifecycle,
      [works = std::move(works), outcomes](store::Store& s) -> Result<void> {
        for (std::size_t i = 0; i < works.size(); ++i) {
          (*outcomes)[i] = store::Writer::runInSavepoint(s, works[i]);
          if (!(*outcomes)[i] && !s.inTransaction()) return (*outcomes)[i];  // SQLite gave the transaction up
        }
        return {};
      },
      onIo([this, made, outcomes, results, reply](Result<void> r) {
        for (std::size_t k = 0; k < made->size(); ++k) {
          const auto& [i, creation] = (*made)[k];
          auto t = settleCreation(creation, r ? (*outcomes)[k] : r);
          (*results)[i] = t ? Result<std::uint64_t>((*t)->id) : tl::unexpected(t.error());
        }
        reply(std::move(*results));
      }),
      store::Commit::prompt);
}

Result<std::map<std::string, store::ResumeTokenRow>::iterator> TaskManager::findResumeToken(const std::string& blob,
                                                                                            const std::string& session,
                                                                                            bool upload) {
  auto data = codec_.decode(blob);
  if (!data) return tl::unexpected(data.error());
  if (data->session != session)
    return fail(errc::resume_data_foreign, "the resume data belongs to session " + data->session +
                                               "; resume it from that session");
  const std::string what = upload ? "upload" : "download";
  auto it = tokens_.find(data->token);
  if (it == tokens_.end() || it->second.used)
    return fail(errc::resume_data_stale, "the resume data was already used or has expired; start the " + what + " again from its URL");
  auto stored = store::decodeRequest(it->second.request_json);
  if (!stored) return tl::unexpected(stored.error());
  const bool of_upload = stored->upload.has_value();
  if (of_upload != upload)
    return fail(errc::invalid_argument, of_upload ? "the resume data is an upload's; continue it with uploadTaskWithResumeData "
                                                    "(ferryctl upload --resume-data)"
                                                  : "the resume data is a download's; continue it with downloadTaskWithResumeData "
                                                    "(ferryctl download --resume-data)");
  return it;
}

Result<store::ResumeTokenRow> TaskManager::adoptResumeData(Task& t, const std::string& blob) {
  auto found = findResumeToken(blob, t.session, false);
  if (!found) return tl::unexpected(found.error());
  auto it = *found;
  const auto token = it->second;
  auto stored = store::decodeRequest(token.request_json);
  if (!stored) return tl::unexpected(stored.error());
  if (t.request.url.empty() || t.request.url == stored->request.url) t.request = stored->request;
  t.durable = t.written = token.offset;
  t.editDetails().validators = {token.etag, token.last_modified};
  t.editDetails().durable_segments = token.segments;
  it->second.used = true;  // single use, from this moment (settleResumeToken)
  return token;
}

// In-process resume data: checked here (a small record read), its partial file taken on the
// writer's thread with the task's row.
Result<protocol::LocalResumeStore::Claim> TaskManager::adoptLocalResumeData(Task& t, const std::string& blob) {
  auto store = protocol::LocalResumeStore::open(protocol::LocalResumeStore::defaultDirectory());
  if (!store) return tl::unexpected(store.error());
  auto checked = store->check(blob);
  if (!checked) return tl::unexpected(checked.error());
  if (auto url = engine::checkUrl(checked->what.request.url); !url) return tl::unexpected(url.error());
  t.request = checked->what.request;
  t.durable = t.written = checked->what.offset;
  t.editDetails().validators = checked->what.validators;
  if (!checked->what.segments.empty()) t.editDetails().durable_segments = model::segmentsToText(checked->what.segments);
  t.expected_total = checked->what.expected_total;
  return checked;
}

// A download's resume data, for an in-process session of the same user: the partial file moves to
// the user's resume directory (on the writer's thread) and the token is spent with that commit.
void TaskManager::exportResumeData(const std::string& blob, ResumeDataReply reply) {
  auto data = codec_.decode(blob);
  if (!data) return reply(tl::unexpected(data.error()));
  auto found = findResumeToken(blob, data->session, false);
  if (!found) return reply(tl::unexpected(found.error()));
  auto& row = (*found)->second;
  auto stored = store::decodeRequest(row.request_json);
  if (!stored) return reply(tl::unexpected(stored.error()));
  row.used = true;  // single use, from this moment (settleResumeToken)
  protocol::LocalResume what;
  what.request = stored->request;
  what.offset = row.offset;
  what.validators = {row.etag, row.last_modified};
  what.segments = model::segmentsFromText(row.segments).value_or(model::Segments{});
  auto exported = std::make_shared<std::string>();
  writer_.submit(
      store::Durability::lifecycle,
      [what, exported, token = row.token, partial = state_dir_ / row.partial](store::Store& s) -> Result<void> {
        auto local = protocol::LocalResumeStore::open(protocol::LocalResumeStore::defaultDirectory());
        if (!local) return tl::unexpected(local.error());
        auto kept = local->keep(partial, what);
        if (!kept) return tl::unexpected(kept.error());
        *exported = std::move(*kept);
        return s.deleteResumeToken(token);
      },
      onIo([this, token = row.token, exported, reply](Result<void> r) {
        settleResumeToken(token, r.has_value());
        if (!r) return reply(tl::unexpected(r.error()));
        reply(*exported);
      }),
      store::Commit::prompt);
}

void TaskManager::settleResumeToken(const std::string& token, bool spent) {
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return;
  if (spent) tokens_.erase(it);
  else it->second.used = false;
}

}  // namespace ferry::daemon
