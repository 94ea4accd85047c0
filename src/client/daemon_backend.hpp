#pragma once
// A background session's backend: its tasks live in ferryd, reached over the IPC socket
// (ipc_connection.hpp). Requests are sent as they are; events arrive on the connection's reader
// thread and are decoded here into Deliveries; a stored event is acknowledged once its delegate
// call returned (`delivered`), so a process that dies inside a callback gets it again.

#include <cstdint>
#include <memory>
#include <vector>

#include "ferry/configuration.hpp"
#include "ipc_connection.hpp"
#include "session_backend.hpp"

namespace ferry {

class DaemonBackend final : public SessionBackend {
 public:
  // Connects (starting ferryd when allowed) and attaches to the configuration's session.
  static Result<std::unique_ptr<DaemonBackend>> attach(const Configuration& configuration, Deliver deliver);

  Result<TaskInfo> createDownload(const protocol::CreateDownload& create) override;
  std::vector<Result<std::uint64_t>> createDownloads(const std::vector<protocol::CreateDownload>& creates) override;
  Result<TaskInfo> createDataTask(const protocol::CreateDownload& create) override;
  Result<TaskInfo> createUpload(const protocol::CreateUpload& create) override;
  Result<TaskInfo> command(protocol::TaskVerb verb, std::uint64_t id) override;
  Result<std::string> cancelProducingResumeData(std::uint64_t id) override;
  Result<std::vector<TaskInfo>> allTasks() override;
  Result<GroupInfo> createGroup(const protocol::CreateGroup& create) override;
  Result<GroupInfo> groupCommand(protocol::TaskVerb verb, std::uint64_t id) override;
  Result<std::string> cancelGroupProducingResumeData(std::uint64_t id) override;
  Result<std::vector<GroupInfo>> allGroups() override;
  Result<void> invalidate(bool cancel) override;
  void decideRedirect(std::uint64_t id, bool follow) override;
  Result<void> bodyStreamOpened(std::uint64_t id) override;
  void bodyStreamEnded(std::uint64_t id, std::uint64_t bytes) override;
  // Acknowledgements are gathered and sent as one ack message by acknowledge() (at most
  // kMaxAckBatch at once): the delegate thread calls it when it has nothing more to deliver.
  void delivered(const Delivery& delivery) override;
  void acknowledge() override;

 private:
  static constexpr std::size_t kMaxAckBatch = 1000;
  DaemonBackend() = default;
  void onMessage(const protocol::Json& message);  // the reader thread
  Result<TaskInfo> taskReply(Result<protocol::Json> reply);

  Deliver deliver_;
  std::unique_ptr<IpcConnection> connection_;
  std::vector<std::uint64_t> unacknowledged_;  // the delegate thread's: delivered, ack not sent yet
};

}  // namespace ferry
