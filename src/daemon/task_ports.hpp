#pragma once
// The two things TaskManager drives besides its own tables: the transfer engine and the durable
// writer. Each is a small interface so that the lifecycle can be unit-tested with fakes
// (tests/unit/daemon_task_lifecycle_test.cpp) and so that the manager's dependencies are visible
// in one place. ferryd's real implementations wrap engine::Engine and store::Writer.

#include <cstdint>
#include <memory>
#include <string>

#include "engine/engine.hpp"
#include "store/writer.hpp"

namespace ferry::daemon {

// Commands to the transfer engine; its events come back through TaskManager::onEngineEvent.
class TransferEngine {
 public:
  virtual ~TransferEngine() = default;
  virtual void start(engine::DownloadJob job) = 0;
  virtual void start(engine::UploadJob job) = 0;
  virtual void stop(std::uint64_t id) = 0;
  virtual void restartFrom(std::uint64_t id, std::uint64_t offset) = 0;
  virtual void decideRedirect(std::uint64_t id, bool follow) = 0;
  virtual void setGroupLimits(const std::string& group, engine::GroupLimits limits) = 0;
};

// Durable writes, run in submission order; `done` is called (on the writer's thread) once the
// work is committed or has failed. store::Writer's contract (store/writer.hpp) is the model.
class DurableWrites {
 public:
  virtual ~DurableWrites() = default;
  virtual void submit(store::Durability durability, store::Writer::Work work, store::Writer::Done done = {},
                      store::Commit commit = store::Commit::batched) = 0;
};

// ferryd's engine. Holds the owner's pointer rather than the engine, because ferryd stops the
// engine before its last checkpoints at SIGTERM: commands after that are dropped, not sent to a
// destroyed engine.
class EngineCommands final : public TransferEngine {
 public:
  explicit EngineCommands(const std::unique_ptr<engine::Engine>& engine) : engine_(engine) {}
  void start(engine::DownloadJob job) override {
    if (engine_) engine_->start(std::move(job));
  }
  void start(engine::UploadJob job) override {
    if (engine_) engine_->start(std::move(job));
  }
  void stop(std::uint64_t id) override {
    if (engine_) engine_->stop(id);
  }
  void restartFrom(std::uint64_t id, std::uint64_t offset) override {
    if (engine_) engine_->restartFrom(id, offset);
  }
  void decideRedirect(std::uint64_t id, bool follow) override {
    if (engine_) engine_->decideRedirect(id, follow);
  }
  void setGroupLimits(const std::string& group, engine::GroupLimits limits) override {
    if (engine_) engine_->setGroupLimits(group, limits);
  }

 private:
  const std::unique_ptr<engine::Engine>& engine_;
};

// ferryd's store writer.
class StoreWrites final : public DurableWrites {
 public:
  explicit StoreWrites(store::Writer& writer) : writer_(writer) {}
  void submit(store::Durability durability, store::Writer::Work work, store::Writer::Done done,
              store::Commit commit) override {
    writer_.submit(durability, std::move(work), std::move(done), commit);
  }

 private:
  store::Writer& writer_;
};

}  // namespace ferry::daemon
