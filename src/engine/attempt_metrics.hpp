#pragma once
// What an attempt cost (model/task_metrics.hpp), read from libcurl's transfer info when it ends,
// for downloads and uploads alike, and the job's list of them.

#include <curl/curl.h>

#include "model/task_metrics.hpp"

namespace ferry::engine {

// The metrics of the transfer `easy` made (done, failed or stopped midway).
model::AttemptMetrics readAttemptMetrics(CURL* easy);

// Adds one request's metrics to `metrics`. A request that continues the last attempt (an
// upload's HEAD then PATCH, a redirect we follow ourselves) is merged into its entry: the steps
// of the first request that made a connection (dns, connect, tls), the first request's first
// byte, the sum of totals and bytes, and the last request's URL, status, version and address;
// the attempt reused its connection only if none of its requests made one. Keeps the last
// `max_attempts` entries.
void recordAttemptMetrics(model::TaskMetrics& metrics, model::AttemptMetrics request, bool continues_last,
                          std::size_t max_attempts);

// Appends the attempts of a task's later job (`more`) to those of its earlier ones, keeping the
// last `max_attempts` (a task suspended and resumed, or restarted by ferryd, runs several jobs).
void appendAttempts(model::TaskMetrics& metrics, const model::TaskMetrics& more, std::size_t max_attempts);

}  // namespace ferry::engine
