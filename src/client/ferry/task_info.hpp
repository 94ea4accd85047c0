#pragma once
// A task as ferryd reports it (Session::getAllTasks, Control::list, the replies to task commands).
// The protocol carries it (protocol::TaskInfo, taskInfoToJson).

#include <cstdint>
#include <optional>
#include <string>

#include "ferry/error.hpp"
#include "ferry/task_metrics.hpp"

namespace ferry {

struct TaskInfo {
  std::uint64_t id = 0;
  std::string session;
  std::string kind = "download";
  std::string state;        // suspended | running | finalizing | completed | failed | cancelled
  std::string waiting_for;  // why it is not moving bytes now ("" when it is): suspended,
                            // queued, concurrency-limit, connection-limit, retry-backoff 30s,
                            // no-network, metered-network, on-battery, ...
  std::string url;
  std::string destination;
  std::string description;
  std::uint64_t bytes_written = 0;
  std::optional<std::uint64_t> expected_total;
  long http_status = 0;
  std::optional<Error> error;  // why it ended without success
  int suspend_count = 0;
  std::int64_t created_at = 0;
  double priority = 0.5;                  // 0.0 (lowest) .. 1.0 (highest)
  bool discretionary = false;             // runs only when no other work runs
  std::optional<std::int64_t> begin_at;   // held until then (seconds since the epoch)
  // What it asks of the machine (its own options; its session's settings count too).
  bool allows_expensive_network_access = true;
  bool allows_constrained_network_access = true;
  bool requires_external_power = false;
  // Failed attempts retried since ferryd last started it (waits for the machine spend none).
  std::uint64_t retries = 0;
  // An ended task's metrics (what its didComplete carried); none while it runs, or when ferryd
  // has none (a task that ended before ferryd kept them, or never reached the engine).
  std::optional<TaskMetrics> metrics;
  // The download group it belongs to (ferry/group_info.hpp); 0: none.
  std::uint64_t group = 0;
};

}  // namespace ferry
