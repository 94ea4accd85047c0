#pragma once
// What a task's attempts cost (URLSessionTaskMetrics): one entry per attempt (a retry, a resumed
// upload's HEAD + PATCH, a followed redirect inside one attempt counts once), read from libcurl's
// transfer info when the attempt ends. Delivered with didComplete (didFinishCollectingMetrics) for
// both kinds of session and shown by `ferryctl list --json`. The model names these as its own
// (model::TaskMetrics).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ferry {

struct AttemptMetrics {
  std::string url;             // the URL this attempt ended at (after redirects)
  long status = 0;             // its last HTTP status (0: no answer)
  std::string http_version;    // "1.0", "1.1", "2", "3"; empty: no answer
  std::string remote_address;  // the peer's IP address (a proxy's when one is used)
  long remote_port = 0;
  // An answer came on a connection made before (libcurl's CURLINFO_NUM_CONNECTS == 0); false
  // when the attempt got no answer at all.
  bool reused_connection = false;
  // Time from the attempt's start until each step finished, as libcurl measures them (0 when the
  // step did not happen, e.g. dns for a reused connection or an IP literal).
  std::chrono::microseconds dns{0};
  std::chrono::microseconds connect{0};
  std::chrono::microseconds tls{0};
  std::chrono::microseconds first_byte{0};
  std::chrono::microseconds total{0};
  std::uint64_t bytes_sent = 0;      // request body bytes uploaded by this attempt
  std::uint64_t bytes_received = 0;  // response body bytes downloaded by this attempt
  bool operator==(const AttemptMetrics&) const = default;
};

struct TaskMetrics {
  std::vector<AttemptMetrics> attempts;  // oldest first
  bool operator==(const TaskMetrics&) const = default;
};

}  // namespace ferry
