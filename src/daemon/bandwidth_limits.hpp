#pragma once
// The bandwidth limits a user set with `ferryctl limit` (global and per session): kept in the
// store's meta table as "limit:global" and "limit:session:<id>" (bytes/s), so they survive
// restarts without a schema change, and handed to the engine, which splits them among the
// running transfers. Lives on the IPC thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/bandwidth.hpp"
#include "engine/engine.hpp"
#include "protocol/daemon_status.hpp"
#include "protocol/messages.hpp"
#include "store/writer.hpp"

namespace ferry::daemon {

class BandwidthLimitBook {
 public:
  BandwidthLimitBook(engine::Engine& engine, store::Writer& writer) : engine_(engine), writer_(writer) {}

  // At start-up, from the meta rows the store loaded.
  void restore(const std::map<std::string, std::int64_t>& meta);

  // Sets (0: clears) the global limit (no session) or a session's. Durable before `done` runs
  // (on the writer's thread: post it). Applied to the engine at once.
  void set(const std::optional<std::string>& session, std::uint64_t bytes_per_second, store::Writer::Done done);

  const engine::BandwidthLimits& limits() const { return limits_; }
  // {"global": N, "sessions": {"id": N, ...}} (0: none).
  // The limits part of `limits` (rates are the daemon's to add).
  protocol::BandwidthStatus status() const;

 private:
  engine::Engine& engine_;
  store::Writer& writer_;
  engine::BandwidthLimits limits_;
};

}  // namespace ferry::daemon
