#include "engine/attempt_metrics.hpp"

#include <string>

namespace ferry::engine {

namespace {

std::chrono::microseconds timeInfo(CURL* easy, CURLINFO info) {
  curl_off_t us = 0;
  if (curl_easy_getinfo(easy, info, &us) != CURLE_OK || us < 0) return std::chrono::microseconds{0};
  return std::chrono::microseconds{us};
}

std::uint64_t sizeInfo(CURL* easy, CURLINFO info) {
  curl_off_t bytes = 0;
  if (curl_easy_getinfo(easy, info, &bytes) != CURLE_OK || bytes < 0) return 0;
  return static_cast<std::uint64_t>(bytes);
}

long longInfo(CURL* easy, CURLINFO info) {
  long value = 0;
  return curl_easy_getinfo(easy, info, &value) == CURLE_OK ? value : 0;
}

std::string stringInfo(CURL* easy, CURLINFO info) {
  const char* text = nullptr;
  if (curl_easy_getinfo(easy, info, &text) != CURLE_OK || text == nullptr) return {};
  return text;
}

std::string httpVersionName(long version) {
  switch (version) {
    case CURL_HTTP_VERSION_1_0: return "1.0";
    case CURL_HTTP_VERSION_1_1: return "1.1";
    case CURL_HTTP_VERSION_2_0: return "2";
    case CURL_HTTP_VERSION_3: return "3";
    default: return {};
  }
}

}  // namespace

model::AttemptMetrics readAttemptMetrics(CURL* easy) {
  model::AttemptMetrics m;
  m.url = stringInfo(easy, CURLINFO_EFFECTIVE_URL);
  m.status = longInfo(easy, CURLINFO_RESPONSE_CODE);
  m.http_version = m.status == 0 ? std::string() : httpVersionName(longInfo(easy, CURLINFO_HTTP_VERSION));
  m.remote_address = stringInfo(easy, CURLINFO_PRIMARY_IP);
  m.remote_port = longInfo(easy, CURLINFO_PRIMARY_PORT);
  // A transfer that failed before any answer (refused, unreachable) made no connection and
  // reused none either.
  m.reused_connection = longInfo(easy, CURLINFO_NUM_CONNECTS) == 0 && m.status != 0;
  m.dns = timeInfo(easy, CURLINFO_NAMELOOKUP_TIME_T);
  m.connect = timeInfo(easy, CURLINFO_CONNECT_TIME_T);
  m.tls = timeInfo(easy, CURLINFO_APPCONNECT_TIME_T);
  m.first_byte = timeInfo(easy, CURLINFO_STARTTRANSFER_TIME_T);
  m.total = timeInfo(easy, CURLINFO_TOTAL_TIME_T);
  m.bytes_sent = sizeInfo(easy, CURLINFO_SIZE_UPLOAD_T);
  m.bytes_received = sizeInfo(easy, CURLINFO_SIZE_DOWNLOAD_T);
  return m;
}

void recordAttemptMetrics(model::TaskMetrics& metrics, model::AttemptMetrics request, bool continues_last,
                          std::size_t max_attempts) {
  auto& attempts = metrics.attempts;
  if (!continues_last || attempts.empty()) {
    attempts.push_back(std::move(request));
    if (attempts.size() > max_attempts) attempts.erase(attempts.begin(), attempts.end() - static_cast<std::ptrdiff_t>(max_attempts));
    return;
  }
  model::AttemptMetrics& last = attempts.back();
  const auto offset = last.total;  // the request started about when the previous ones ended
  if (last.reused_connection && !request.reused_connection) {
    last.dns = request.dns == std::chrono::microseconds{0} ? request.dns : offset + request.dns;
    last.connect = request.connect == std::chrono::microseconds{0} ? request.connect : offset + request.connect;
    last.tls = request.tls == std::chrono::microseconds{0} ? request.tls : offset + request.tls;
  }
  if (last.first_byte == std::chrono::microseconds{0} && request.first_byte != std::chrono::microseconds{0})
    last.first_byte = offset + request.first_byte;
  last.total += request.total;
  last.bytes_sent += request.bytes_sent;
  last.bytes_received += request.bytes_received;
  last.reused_connection = last.reused_connection && request.reused_connection;
  last.url = std::move(request.url);
  last.status = request.status;
  last.http_version = std::move(request.http_version);
  last.remote_address = std::move(request.remote_address);
  last.remote_port = request.remote_port;
}

void appendAttempts(model::TaskMetrics& metrics, const model::TaskMetrics& more, std::size_t max_attempts) {
  auto& attempts = metrics.attempts;
  attempts.insert(attempts.end(), more.attempts.begin(), more.attempts.end());
  if (attempts.size() > max_attempts)
    attempts.erase(attempts.begin(), attempts.end() - static_cast<std::ptrdiff_t>(max_attempts));
}

}  // namespace ferry::engine
