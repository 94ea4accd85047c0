#include "daemon/daemon.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <systemd/sd-daemon.h>

#include <set>

#include <spdlog/spdlog.h>

#include "common/files.hpp"
#include "engine/transport_options.hpp"
#include "protocol/groups.hpp"
#include "protocol/scheduling.hpp"

namespace ferry::daemon {

using protocol::Json;

Result<std::unique_ptr<Daemon>> Daemon::start(const DaemonOptions& options) {
  // Every directory ferryd writes into, made once here: the IPC thread never creates one.
  for (const char* sub : {"", "partial", "delivered", "resume", "spool", "responses", "streams"})
    if (auto made = files::makePrivateDirectory(options.state_dir / sub, 0700); !made) return tl::unexpected(made.error());
  // One daemon per state directory, whatever socket it serves: two would both resume the same
  // tasks into the same partial files.
  auto lock_path = options.state_dir / "ferryd.lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) return tl::unexpected(files::errnoError(errno, "open " + lock_path.string()));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
    return fail(errc::already_attached, "another ferryd is already using the state directory " +
                                            options.state_dir.string() + "; stop it first or choose another --state-dir");
  auto store = store::Store::open(options.state_dir / "ferry.db");
  if (!store) return tl::unexpected(store.error());
  auto snapshot = (*store)->load();
  if (!snapshot) return tl::unexpected(snapshot.error());
  auto codec = ResumeDataCodec::open(options.state_dir / "resume.key");
  if (!codec) return tl::unexpected(codec.error());
  std::unique_ptr<Daemon> d(new Daemon(options, std::move(*store), std::move(*snapshot), std::move(*codec)));
  // The snapshot (every row of the store, tens of megabytes with 100,000 tasks) is gone now; give
  // its pages back instead of carrying them as resident memory for the daemon's lifetime.
  ::malloc_trim(0);
  d->state_lock_ = std::move(lock);
  if (auto listening = d->server_.listen(options.socket_path); !listening) return tl::unexpected(listening.error());
  d->launcher_->start(d->server_.socketPath());
  spdlog::info("ferryd {} serving {} (state in {})", FERRY_VERSION, d->server_.socketPath().string(),
               options.state_dir.string());
  return d;
}

Daemon::Daemon(DaemonOptions options, std::unique_ptr<store::Store> store, store::Snapshot snapshot, ResumeDataCodec codec)
    : options_(std::move(options)),
      store_(std::move(store)),
      codec_(std::move(codec)),
      outbox_(snapshot.max_event_seq),
      server_(io_, *this) {
  // 2 MiB for the store when a download fills the disk (store/space_reserve.hpp).
  writer_ = std::make_unique<store::Writer>(
      *store_, options_.commit_tick,
      std::make_unique<store::SpaceReserve>(options_.state_dir / "space.reserve", 2 * 1024 * 1024, 1024 * 1024));
  // The sink is called on the transfer thread in event order; a loop turn's events go to io_ as
  // one post (turn_ended), in that order: the IPC loop wakes once per turn, not once per event,
  // and the endings of a turn are made durable together (TaskManager::onEngineEvents).
  engine_ = std::make_unique<engine::Engine>(
      [this](engine::Event e) { turn_events_.push_back(std::move(e)); },
      [this] {
        engine::EngineOptions o;
        o.max_total_concurrent = options_.max_transfers;
        o.turn_ended = [this] {
          if (turn_events_.empty()) return;
          boost::asio::post(io_, [this, events = std::exchange(turn_events_, {})]() {
            if (tasks_) tasks_->onEngineEvents(events);
          });
        };
        return o;
      }());
  engine_commands_ = std::make_unique<EngineCommands>(engine_);
  store_writes_ = std::make_unique<StoreWrites>(*writer_);
  sessions_ = std::make_unique<SessionBook>(*store_writes_);
  sessions_->restore(snapshot.sessions);
  tasks_ = std::make_unique<TaskManager>(io_, *store_writes_, *engine_commands_, *sessions_, outbox_, codec_,
                                         options_.state_dir, options_.checkpoint_interval);
  // The machine's state before the tasks are restored: they start, or wait for it, as it says.
  device_ = std::make_unique<device::DeviceMonitor>(io_, options_.device,
                                                    [this](const device::DeviceChange& change) { onDeviceChange(change); });
  tasks_->setDeviceView([this] { return device_->view(); });
  tasks_->onEngineBusy([this](bool busy) { device_->setBusy(busy); });
  settleDevice();
  outbox_.restore(snapshot.events);
  limits_ = std::make_unique<BandwidthLimitBook>(*engine_, *writer_);
  limits_->restore(snapshot.meta);  // before the tasks start, so that they start within the limits
  tasks_->restore(snapshot);
  launcher_ = std::make_unique<AppLauncher>(io_, *writer_, outbox_, options_.launch_attach_timeout);
  launcher_->restore(sessions_->all(), snapshot.launch_schedules);
  outbox_.setUnattachedListener([this](const std::string& session) { launcher_->eventsPending(session); });
}

Daemon::~Daemon() {
  engine_.reset();  // the transfer thread stops first: nothing writes partial files after this
  tasks_.reset();
  writer_.reset();  // drains and commits
}

int Daemon::run() {
  boost::asio::signal_set signals(io_, SIGTERM, SIGINT);
  signals.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping; every task stays resumable", sig);
    ::sd_notify(0, "STOPPING=1");
    server_.stop();
    engine_.reset();
    tasks_->checkpointAllForShutdown();
    device_.reset();  // the sleep inhibitor goes with it
    writer_->flush();
    io_.stop();
  });
  // Type=notify units: ready once the socket accepts and the tasks are restored (both done in start()).
  const std::string ready = "READY=1\nSTATUS=serving " + server_.socketPath().string();
  ::sd_notify(0, ready.c_str());
  io_.run();
  return 0;
}

// ---------------------------------------------------------------- dispatch

void Daemon::reply(const Conn& c, const Json& id, Json result) {
  c->send({{"type", protocol::type::reply}, {"id", id}, {"ok", true}, {"result", std::move(result)}});
}

std::optional<std::string> Daemon::scopeOf(const Conn& c) const {
  if (c->attached_session.empty()) return std::nullopt;
  return c->attached_session;
}

namespace {
Json requestIdOf(const Json& m) {
  auto id = m.find("id");
  return id == m.end() ? Json(nullptr) : *id;
}
}  // namespace

// Decode first: a handler sees only a well-formed request; a malformed one is answered with the
// decoder's error (a field of the wrong type names the message and the field).
template <class Request, void (Daemon::*handle)(const Daemon::Conn&, const Json&, const Request&)>
void Daemon::route(Daemon& d, const Conn& c, const Json& m) {
  const Json id = requestIdOf(m);
  auto request = Request::decode(m);
  if (!request) return c->sendError(id, request.error());
  (d.*handle)(c, id, *request);
}

const std::unordered_map<std::string_view, Daemon::Handler>& Daemon::handlers() {
  namespace type = protocol::type;
  using namespace protocol;
  static const std::unordered_map<std::string_view, Handler> table{
      {type::create_download, route<CreateDownload, &Daemon::handleCreateDownload>},
      {type::create_downloads, route<CreateDownloads, &Daemon::handleCreateDownloads>},
      {type::create_upload, route<CreateUpload, &Daemon::handleCreateUpload>},
      {type::create_group, route<CreateGroup, &Daemon::handleCreateGroup>},
      {type::suspend, route<TaskCommand, &Daemon::handleTaskCommand>},
      {type::resume, route<TaskCommand, &Daemon::handleTaskCommand>},
      {type::cancel, route<TaskCommand, &Daemon::handleTaskCommand>},
      {type::cancel_with_resume_data, route<TaskCommand, &Daemon::handleTaskCommand>},
      {type::ack, route<Ack, &Daemon::handleAck>},
      {type::list, route<List, &Daemon::handleList>},
      {type::status, route<Status, &Daemon::handleStatus>},
      {type::limits, route<Limits, &Daemon::handleLimits>},
      {type::set_limit, route<SetLimit, &Daemon::handleSetLimit>},
      {type::watch, route<Watch, &Daemon::handleWatch>},
      {type::body_stream_opened, route<BodyStreamOpened, &Daemon::handleBodyStreamOpened>},
      {type::body_stream_ended, route<BodyStreamEnded, &Daemon::handleBodyStreamEnded>},
      {type::decide_redirect, route<DecideRedirect, &Daemon::handleDecideRedirect>},
      {type::export_resume_data, route<ExportResumeData, &Daemon::handleExportResumeData>},
      {type::invalidate_and_cancel, route<Invalidate, &Daemon::handleInvalidate>},
      {type::finish_tasks_and_invalidate, route<Invalidate, &Daemon::handleInvalidate>},
  };
  return table;
}

void Daemon::onMessage(const Conn& c, const Json& m) {
  const Json id = requestIdOf(m);
  auto type_field = m.find("type");  // parseLine lets only objects with a string "type" through
  if (type_field == m.end() || !type_field->is_string())
    return c->sendError(id, Error(errc::protocol, "a message needs a string \"type\""));
  const std::string& type = type_field->get_ref<const std::string&>();
  if (type == protocol::type::hello) {
    if (c->greeted) return c->sendError(id, Error(errc::protocol, "hello was already sent on this connection"));
    return route<protocol::Hello, &Daemon::handleHello>(*this, c, m);
  }
  if (!c->greeted)
    return c->sendError(id, Error(errc::protocol, "the first message must be hello (protocol version " +
                                                      std::to_string(protocol::kVersion) + ")"));
  auto handler = handlers().find(type);
  if (handler == handlers().end())
    return c->sendError(id, Error(errc::protocol, "unknown message type \"" + type.substr(0, 64) + "\""));
  handler->second(*this, c, m);
}

void Daemon::handleWatch(const Conn& c, const Json& id, const protocol::Watch& m) {
  if (m.session) {
    if (auto valid = protocol::validateSessionId(*m.session); !valid) return c->sendError(id, valid.error());
    c->watch_session = *m.session;
  }
  c->watching = true;
  reply(c, id, Json::object());  // before the queued events, so the client is listening
  outbox_.addWatcher(c);
}

void Daemon::handleInvalidate(const Conn& c, const Json& id, const protocol::Invalidate& m) {
  if (c->attached_session.empty()) return c->sendError(id, Error(errc::not_attached, "attach to a session first"));
  tasks_->invalidate(c->attached_session, m.cancel, [this, c, id](Result<void> r) {
    if (!r) return c->sendError(id, r.error());
    reply(c, id, Json::object());
  });
}

void Daemon::onClosed(const Conn& c) {
  if (!c->attached_session.empty()) {
    spdlog::info("session {}: client pid {} detached; its tasks go on", c->attached_session, c->peerPid());
    outbox_.detach(c->attached_session, c.get());
    tasks_->onDetached(c->attached_session);
    launcher_->detached(c->attached_session);
  }
}

// Hello's version was checked by its decoder (version-mismatch), and whether it came first by onMessage.
void Daemon::handleHello(const Conn& c, const Json& id, const protocol::Hello& m) {
  const auto& session = m.attach;
  if (session) {
    if (auto valid = protocol::validateSessionId(*session); !valid) return c->sendError(id, valid.error());
    if (outbox_.isAttached(*session))
      return c->sendError(id, Error(errc::already_attached, "session " + *session +
                                                                " already has a client attached; only one process may attach to a "
                                                                "background session at a time"));
    const auto& config = m.configuration;
    if (config.launch)
      if (auto runnable = AppLauncher::check(*config.launch); !runnable) return c->sendError(id, runnable.error());
    // A CA file, certificate or key that cannot be read is refused now, not at every task's end.
    if (auto readable = engine::checkTransportFiles(config.transport, errc::invalid_argument); !readable)
      return c->sendError(id, readable.error());
    tasks_->setSessionConfig(*session, config);  // recorded in the session book, and stored
    launcher_->configure(*session, config.launch);
    c->attached_session = *session;
    spdlog::info("session {}: client pid {} attached", *session, c->peerPid());
  }
  c->greeted = true;
  // No task list here: a session may hold 100,000 tasks, and every reconnect would carry them all.
  // Clients that want them send `list`.
  reply(c, id, {{"protocol", protocol::kVersion}, {"daemon_version", FERRY_VERSION}});
  if (session) {
    outbox_.attach(*session, c);
    tasks_->onAttached(*session);  // streamed uploads waiting for a body ask for it now
    launcher_->attached(*session);
  }
}

// What create_download and create_upload share: the session (an attached client's own; a control
// client names it), label, start, scheduling, the session's configuration.
template <class NewTask>
Result<void> Daemon::readCommonTaskFields(const Conn& c, const protocol::NewTaskOptions& options, NewTask& spec) {
  spec.session = c->attached_session.empty() ? options.session.value_or(std::string()) : c->attached_session;
  if (auto valid = protocol::validateSessionId(spec.session); !valid) return valid;
  if (!c->attached_session.empty() && options.session && *options.session != c->attached_session)
    return fail(errc::invalid_argument, "a client attached to a session creates tasks in that session only");
  spec.resume_data = options.resume_data;
  spec.description = options.description.substr(0, 1024);
  spec.start = options.start;
  spec.scheduling = options.scheduling;
  sessions_->note(spec.session);
  return {};
}

TaskManager::Reply Daemon::replyWithTask(const Conn& c, const Json& id) {
  return [this, c, id](Result<protocol::TaskInfo> info) {
    if (!info) return c->sendError(id, info.error());
    reply(c, id, {{"task", protocol::taskInfoToJson(*info)}});
  };
}

Result<NewDownload> Daemon::newDownloadOf(const Conn& c, const protocol::CreateDownload& m) {
  NewDownload spec;
  if (auto common = readCommonTaskFields(c, m.task, spec); !common) return tl::unexpected(common.error());
  if (m.request) spec.request = *m.request;
  else if (!spec.resume_data) return fail(errc::invalid_argument, "create_download needs a request or resume_data");
  spec.destination = m.destination;
  return spec;
}

void Daemon::handleCreateDownload(const Conn& c, const Json& id, const protocol::CreateDownload& m) {
  auto spec = newDownloadOf(c, m);
  if (!spec) return c->sendError(id, spec.error());
  tasks_->createDownload(std::move(*spec), replyWithTask(c, id));
}

// The reply names each new task by its id only (the application has the rest; 1,000 TaskInfos
// would cost more than the tasks).
void Daemon::handleCreateDownloads(const Conn& c, const Json& id, const protocol::CreateDownloads& m) {
  std::vector<Result<NewDownload>> specs;
  specs.reserve(m.tasks.size());
  for (const auto& entry : m.tasks) specs.push_back(entry ? newDownloadOf(c, *entry) : tl::unexpected(entry.error()));
  tasks_->createDownloads(std::move(specs), [this, c, id](std::vector<Result<std::uint64_t>> results) {
    Json tasks = Json::array();
    for (const auto& r : results)
      tasks.push_back(r ? Json{{"id", *r}} : Json{{"error", protocol::errorJson(r.error())}});
    reply(c, id, {{"tasks", std::move(tasks)}});
  });
}

// A group's files share its session, start and scheduling; each needs its own destination. With
// resume data the group's blob names them (each with its own download resume data, or a request).
void Daemon::handleCreateGroup(const Conn& c, const Json& id, const protocol::CreateGroup& m) {
  NewDownload common;
  const protocol::NewTaskOptions options{m.session, std::nullopt, m.description, m.start, m.scheduling};
  if (auto valid = readCommonTaskFields(c, options, common); !valid) return c->sendError(id, valid.error());
  NewGroup spec{common.session, m.name, common.description, common.start, common.scheduling, {}};
  std::vector<protocol::GroupEntry> entries = m.tasks;
  if (m.resume_data) {
    auto data = protocol::decodeGroupResumeData(*m.resume_data);
    if (!data) return c->sendError(id, data.error());
    spec.name = data->name;
    if (spec.description.empty()) spec.description = data->description;
    entries = std::move(data->entries);
  }
  for (auto& entry : entries) {
    NewDownload file;
    file.request = std::move(entry.request);
    file.destination = std::move(entry.destination);
    file.resume_data = std::move(entry.resume_data);
    spec.files.push_back(std::move(file));
  }
  tasks_->createGroup(std::move(spec), [this, c, id](Result<protocol::GroupInfo> info) {
    if (!info) return c->sendError(id, info.error());
    reply(c, id, {{"group", protocol::groupInfoToJson(*info)}});
  });
}

void Daemon::handleCreateUpload(const Conn& c, const Json& id, const protocol::CreateUpload& m) {
  NewUpload spec;
  if (auto common = readCommonTaskFields(c, m.task, spec); !common) return c->sendError(id, common.error());
  if (m.request) spec.request = *m.request;
  else if (!spec.resume_data)
    return c->sendError(id, Error(errc::invalid_argument, "create_upload needs a request (or resume_data)"));
  spec.file = m.file;
  spec.spool_from = m.spool_from;
  spec.stream = m.stream;
  if (m.length) {
    if (!spec.stream) return c->sendError(id, Error(errc::invalid_argument, "length is for streamed uploads (stream: true) only"));
    spec.stream_length = *m.length;
  }
  if (spec.stream && c->attached_session.empty())
    return c->sendError(id, Error(errc::not_attached, "a streamed upload's body comes from an attached application; attach first"));
  auto mode = resumableModeFromName(m.resumable.value_or("ietf"));
  if (!mode) return c->sendError(id, Error(errc::invalid_argument, "resumable must be ietf, tus or none"));
  spec.mode = *mode;
  if (m.redirects) {
    spec.redirects = redirectPolicyFromName(*m.redirects);
    if (!spec.redirects)
      return c->sendError(id, Error(errc::invalid_argument, "redirects must be follow, refuse or ask"));
  }
  tasks_->createUpload(std::move(spec), replyWithTask(c, id));
}

// Only the attached application streams a body: it alone was asked (needNewBodyStream).
void Daemon::handleBodyStreamOpened(const Conn& c, const Json& id, const protocol::BodyStreamOpened& m) {
  if (c->attached_session.empty()) return c->sendError(id, Error(errc::not_attached, "attach to the task's session first"));
  auto info = tasks_->bodyStreamOpened(m.task, scopeOf(c));
  if (!info) return c->sendError(id, info.error());
  reply(c, id, {{"task", protocol::taskInfoToJson(*info)}});
}

void Daemon::handleBodyStreamEnded(const Conn& c, const Json& id, const protocol::BodyStreamEnded& m) {
  if (c->attached_session.empty()) return c->sendError(id, Error(errc::not_attached, "attach to the task's session first"));
  if (auto ended = tasks_->bodyStreamEnded(m.task, scopeOf(c), m.bytes); !ended) return c->sendError(id, ended.error());
  reply(c, id, Json::object());
}

// Only the attached application was asked (willPerformHTTPRedirection), so only it answers.
void Daemon::handleDecideRedirect(const Conn& c, const Json& id, const protocol::DecideRedirect& m) {
  if (c->attached_session.empty()) return c->sendError(id, Error(errc::not_attached, "attach to the task's session first"));
  auto info = tasks_->decideRedirect(m.task, scopeOf(c), m.follow);
  if (!info) return c->sendError(id, info.error());
  reply(c, id, {{"task", protocol::taskInfoToJson(*info)}});
}

void Daemon::handleExportResumeData(const Conn& c, const Json& id, const protocol::ExportResumeData& m) {
  tasks_->exportResumeData(m.resume_data, [this, c, id](Result<std::string> blob) {
    if (!blob) return c->sendError(id, blob.error());
    reply(c, id, {{"resume_data", *blob}});
  });
}

void Daemon::handleTaskCommand(const Conn& c, const Json& id, const protocol::TaskCommand& m) {
  if (tasks_->isGroup(m.task)) return handleGroupCommand(c, id, m);
  auto scope = scopeOf(c);
  using protocol::TaskVerb;
  if (m.verb == TaskVerb::cancel_with_resume_data) {
    return tasks_->cancelWithResumeData(m.task, scope, [this, c, id](Result<std::string> blob) {
      if (!blob) return c->sendError(id, blob.error());
      reply(c, id, {{"resume_data", *blob}});
    });
  }
  Result<protocol::TaskInfo> info = m.verb == TaskVerb::suspend  ? tasks_->suspend(m.task, scope)
                                    : m.verb == TaskVerb::resume ? tasks_->resume(m.task, scope)
                                                                 : tasks_->cancel(m.task, scope);
  if (!info) return c->sendError(id, info.error());
  // A control client (ferryctl) has only the reply: it waits for the change to be committed, so a
  // resume or suspend it saw answered survives a crash right after. An attached application is
  // answered at once; it hears of its task through events. (Waiting there too widened the moment
  // in which an application that resumes and exits still takes its own task's events — see the
  // issue notes; to be revisited with an explicit detach.)
  if (!c->attached_session.empty()) return reply(c, id, {{"task", protocol::taskInfoToJson(*info)}});
  tasks_->whenDurable([this, c, id, info = *info] { reply(c, id, {{"task", protocol::taskInfoToJson(info)}}); });
}

// A command naming a group's id: the same verbs, on every member; the reply holds the group.
void Daemon::handleGroupCommand(const Conn& c, const Json& id, const protocol::TaskCommand& m) {
  auto scope = scopeOf(c);
  using protocol::TaskVerb;
  if (m.verb == TaskVerb::cancel_with_resume_data) {
    return tasks_->cancelGroupWithResumeData(m.task, scope, [this, c, id](Result<std::string> blob) {
      if (!blob) return c->sendError(id, blob.error());
      reply(c, id, {{"resume_data", *blob}});
    });
  }
  Result<protocol::GroupInfo> info = m.verb == TaskVerb::suspend  ? tasks_->suspendGroup(m.task, scope)
                                     : m.verb == TaskVerb::resume ? tasks_->resumeGroup(m.task, scope)
                                                                  : tasks_->cancelGroup(m.task, scope);
  if (!info) return c->sendError(id, info.error());
  if (!c->attached_session.empty()) return reply(c, id, {{"group", protocol::groupInfoToJson(*info)}});
  tasks_->whenDurable([this, c, id, info = *info] { reply(c, id, {{"group", protocol::groupInfoToJson(info)}}); });
}

void Daemon::handleAck(const Conn& c, const Json& id, const protocol::Ack& m) {
  if (c->attached_session.empty())
    return c->sendError(id, Error(errc::not_attached, "only the attached client of a session acknowledges its events"));
  std::vector<store::EventRow> rows;
  for (std::size_t i = 0; i <= m.seqs.size(); ++i) {
    // Already acknowledged (or never ours) is skipped: acknowledging is idempotent.
    if (auto row = outbox_.ack(c->attached_session, i == 0 ? m.seq : m.seqs[i - 1])) rows.push_back(std::move(*row));
  }
  if (rows.empty()) return;
  tasks_->onEventsAcked(rows);
  for (const auto& row : rows)
    if (row.type == protocol::event::did_become_invalid) launcher_->forget(row.session);
}

void Daemon::handleList(const Conn& c, const Json& id, const protocol::List& m) {
  std::optional<std::string> session = scopeOf(c);
  if (!session) session = m.session;
  Json tasks = Json::array();
  for (const auto& t : tasks_->list(session)) tasks.push_back(protocol::taskInfoToJson(t));
  Json groups = Json::array();
  for (const auto& g : tasks_->listGroups(session)) groups.push_back(protocol::groupInfoToJson(g));
  reply(c, id, {{"tasks", tasks}, {"groups", groups}});
}

void Daemon::handleStatus(const Conn& c, const Json& id, const protocol::Status&) {
  protocol::DaemonStatus s;
  s.daemon_version = FERRY_VERSION;
  s.pid = ::getpid();
  s.uptime_seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  s.socket = server_.socketPath().string();
  s.socket_activated = server_.socketActivated();
  s.state_dir = options_.state_dir.string();
  for (const auto& [name, config] : sessions_->all())
    s.sessions.push_back({name, outbox_.isAttached(name), outbox_.pendingCount(name), launcher_->status(name)});
  for (const auto& [state, count] : tasks_->countByState()) s.tasks_by_state[state] = static_cast<std::uint64_t>(count);
  s.bandwidth = limitsAndRates();
  s.device = deviceStatus();
  reply(c, id, protocol::daemonStatusToJson(s));
}

protocol::BandwidthStatus Daemon::limitsAndRates() {
  protocol::BandwidthStatus out = limits_->status();
  double total = 0;
  for (const auto& [session, rate] : tasks_->currentRates()) {
    out.session_rates[session] = static_cast<std::uint64_t>(rate);
    total += rate;
  }
  out.total_rate = static_cast<std::uint64_t>(total);
  return out;
}

void Daemon::handleLimits(const Conn& c, const Json& id, const protocol::Limits&) {
  reply(c, id, protocol::bandwidthStatusToJson(limitsAndRates()));
}

void Daemon::handleSetLimit(const Conn& c, const Json& id, const protocol::SetLimit& m) {
  const auto& session = m.session;
  if (session)
    if (auto valid = protocol::validateSessionId(*session); !valid) return c->sendError(id, valid.error());
  // An application may throttle its own session, not others nor the whole daemon.
  if (!c->attached_session.empty() && session != c->attached_session)
    return c->sendError(id, Error(errc::permission_denied, "a client attached to a session may set that session's limit "
                                                           "only; use ferryctl limit for the others"));
  limits_->set(session, m.bytes_per_second, [this, c, id](Result<void> stored) {
    boost::asio::post(io_, [this, c, id, stored]() {
      if (!stored) return c->sendError(id, stored.error());
      reply(c, id, protocol::bandwidthStatusToJson(limitsAndRates()));
    });
  });
}

// ---------------------------------------------------------------- the machine's state

// The services' first answers, before the tasks are restored: a task that may not use a metered
// network should not start for the moment it takes NetworkManager to say the network is metered.
// Nothing else runs on io_ yet. A service that does not answer within the bound counts as
// unknown meanwhile, as at any other time.
void Daemon::settleDevice() {
  const auto deadline = std::chrono::steady_clock::now() + kDeviceSettleTime;
  while (!device_->settled() && std::chrono::steady_clock::now() < deadline) {
    if (io_.run_one_for(std::chrono::milliseconds(50)) == 0 && io_.stopped()) io_.restart();
  }
  io_.restart();
}

void Daemon::onDeviceChange(const device::DeviceChange& change) {
  if (!tasks_ || !device_) return;
  tasks_->applyDeviceState(change);
  // About to sleep: every transfer was stopped at a checkpoint above; once their offsets are
  // committed the inhibitor goes and the machine may sleep.
  if (change.sleeping == true)
    tasks_->whenEngineIdle([this] {
      if (device_) device_->readyToSleep();
    });
}

protocol::DeviceStatus Daemon::deviceStatus() const {
  protocol::DeviceStatus d;
  if (!device_) return d;
  const auto sources = device_->sources();
  const auto view = device_->view();
  d.network_source = sources.network;
  d.metered_source = sources.metered;
  d.power_sources = sources.power;
  d.sleep_source = sources.sleep;
  if (view.routes) d.online = view.routes->online();
  d.network_cost = !view.cost.known ? "unknown" : view.cost.constrained ? "constrained" : view.cost.expensive ? "metered" : "unmetered";
  d.on_battery = view.power.on_battery;
  d.power_saver = view.power.power_saver;
  d.sleeping = view.sleeping;
  d.sleep_inhibitor = device_->holdsSleepLock();
  return d;
}

}  // namespace ferry::daemon
