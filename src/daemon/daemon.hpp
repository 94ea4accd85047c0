#pragma once
// ferryd: the IPC loop (this thread), the engine's transfer thread and the store's writer thread.
// Daemon wires them together and answers IPC requests; TaskManager holds the tasks.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio.hpp>

#include "common/unique_fd.hpp"
#include "daemon/app_launcher.hpp"
#include "daemon/session_book.hpp"
#include "daemon/bandwidth_limits.hpp"
#include "daemon/client_connection.hpp"
#include "daemon/event_outbox.hpp"
#include "daemon/ipc_server.hpp"
#include "daemon/resume_data.hpp"
#include "daemon/task_manager.hpp"
#include "device/device_monitor.hpp"
#include "engine/engine.hpp"
#include "protocol/requests.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace ferry::daemon {

struct DaemonOptions {
  std::filesystem::path socket_path;
  std::filesystem::path state_dir;
  std::chrono::milliseconds checkpoint_interval{1000};
  // A launched application that has not attached after this is stopped (daemon/app_launcher).
  std::chrono::seconds launch_attach_timeout = AppLauncher::kDefaultAttachTimeout;
  int max_transfers = 64;  // across all sessions (the engine's total limit)
  // store::Writer's batching tick. 2 ms: a transfer's end reaches didComplete in ~3 ms (p99; 20 ms
  // gave ~25 ms, as the finish waited for the tick after the resume's commit), and small downloads
  // finish faster too; under load commits still share a tick. bench/RESULTS.md has the figures.
  std::chrono::milliseconds commit_tick{2};
  // Where the machine's state comes from (src/device): the buses and whether rtnetlink is watched.
  device::DeviceOptions device;
};

class Daemon : public MessageHandler {
 public:
  // Opens the state (creating it), restores tasks and starts listening. Start-up failures are
  // returned as errors with a sentence for the user.
  static Result<std::unique_ptr<Daemon>> start(const DaemonOptions& options);
  ~Daemon() override;

  // Serves until SIGTERM/SIGINT; then stops transfers, makes written bytes durable and returns.
  int run();

  void onMessage(const std::shared_ptr<ClientConnection>& connection, const protocol::Json& message) override;
  void onClosed(const std::shared_ptr<ClientConnection>& connection) override;

 private:
  Daemon(DaemonOptions options, std::unique_ptr<store::Store> store, store::Snapshot snapshot, ResumeDataCodec codec);

  using Conn = std::shared_ptr<ClientConnection>;
  void reply(const Conn& c, const protocol::Json& id, protocol::Json result);
  // Every handler gets its request decoded (protocol/requests.hpp) and the request's id.
  void handleHello(const Conn& c, const protocol::Json& id, const protocol::Hello& m);
  void handleCreateDownload(const Conn& c, const protocol::Json& id, const protocol::CreateDownload& m);
  void handleCreateDownloads(const Conn& c, const protocol::Json& id, const protocol::CreateDownloads& m);
  Result<NewDownload> newDownloadOf(const Conn& c, const protocol::CreateDownload& m);
  void handleCreateUpload(const Conn& c, const protocol::Json& id, const protocol::CreateUpload& m);
  void handleTaskCommand(const Conn& c, const protocol::Json& id, const protocol::TaskCommand& m);
  void handleGroupCommand(const Conn& c, const protocol::Json& id, const protocol::TaskCommand& m);
  void handleCreateGroup(const Conn& c, const protocol::Json& id, const protocol::CreateGroup& m);
  void handleBodyStreamOpened(const Conn& c, const protocol::Json& id, const protocol::BodyStreamOpened& m);
  void handleBodyStreamEnded(const Conn& c, const protocol::Json& id, const protocol::BodyStreamEnded& m);
  void handleDecideRedirect(const Conn& c, const protocol::Json& id, const protocol::DecideRedirect& m);
  void handleExportResumeData(const Conn& c, const protocol::Json& id, const protocol::ExportResumeData& m);
  template <class NewTask>
  Result<void> readCommonTaskFields(const Conn& c, const protocol::NewTaskOptions& options, NewTask& spec);
  TaskManager::Reply replyWithTask(const Conn& c, const protocol::Json& id);
  void handleAck(const Conn& c, const protocol::Json& id, const protocol::Ack& m);
  void handleList(const Conn& c, const protocol::Json& id, const protocol::List& m);
  void handleStatus(const Conn& c, const protocol::Json& id, const protocol::Status& m);
  void handleLimits(const Conn& c, const protocol::Json& id, const protocol::Limits& m);
  void handleSetLimit(const Conn& c, const protocol::Json& id, const protocol::SetLimit& m);
  void handleWatch(const Conn& c, const protocol::Json& id, const protocol::Watch& m);
  void handleInvalidate(const Conn& c, const protocol::Json& id, const protocol::Invalidate& m);
  // Every request type after hello and its handler (onMessage's dispatch): route decodes the
  // message into its struct and answers a malformed one with the decoder's error.
  using Handler = void (*)(Daemon&, const Conn&, const protocol::Json&);
  static const std::unordered_map<std::string_view, Handler>& handlers();
  template <class Request, void (Daemon::*handle)(const Conn&, const protocol::Json&, const Request&)>
  static void route(Daemon& d, const Conn& c, const protocol::Json& m);
  protocol::BandwidthStatus limitsAndRates();
  std::optional<std::string> scopeOf(const Conn& c) const;

  DaemonOptions options_;
  UniqueFd state_lock_;  // flock on <state>/ferryd.lock, held for the daemon's life
  boost::asio::io_context io_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Writer> writer_;
  std::unique_ptr<engine::Engine> engine_;
  std::vector<engine::Event> turn_events_;  // the transfer thread's: what its loop turn sent so far
  // What TaskManager drives: the engine (commands dropped once engine_ is reset at SIGTERM) and
  // the writer.
  std::unique_ptr<EngineCommands> engine_commands_;
  std::unique_ptr<StoreWrites> store_writes_;
  ResumeDataCodec codec_;
  EventOutbox outbox_;
  std::unique_ptr<TaskManager> tasks_;
  std::unique_ptr<BandwidthLimitBook> limits_;
  IpcServer server_;
  std::unique_ptr<AppLauncher> launcher_;  // runs sessions' launch commands (relaunch, refresh)
  std::unique_ptr<SessionBook> sessions_;  // every session's configuration: the one copy
  std::unique_ptr<device::DeviceMonitor> device_;  // the machine's state: network, cost, power, sleep
  void onDeviceChange(const device::DeviceChange& change);
  static constexpr auto kDeviceSettleTime = std::chrono::seconds(1);
  void settleDevice();
  protocol::DeviceStatus deviceStatus() const;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace ferry::daemon
