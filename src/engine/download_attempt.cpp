#include "engine/download_attempt.hpp"
#include "engine/download_sources.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <exception>

#include "common/files.hpp"
#include "engine/cookie_jar.hpp"
#include "engine/http_headers.hpp"
#include "engine/segmented_attempt.hpp"
#include "engine/transport_options.hpp"

namespace ferry::engine {

namespace {

// Bodies of answers we do not keep (503, 416...) are read and dropped so that the connection can
// be reused, unless they are big: then closing the connection is cheaper.
constexpr std::uint64_t kMaxDiscardedErrorBody = 64 * 1024;

// What a loop turn gathered is written on the transfer thread when it is smaller than this: a slow
// link gains nothing from the other thread, and a small download then costs no hand-off at all.
constexpr std::size_t kWriteBehindMin = 64 * 1024;
// Gathered bytes are handed off at the latest at this size, even within one loop turn.
constexpr std::size_t kMaxPending = 1024 * 1024;

}  // namespace

std::string describeStatus(long status) {
  static const std::pair<long, const char*> kReasons[] = {
      {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
      {405, "Method Not Allowed"}, {406, "Not Acceptable"}, {408, "Request Timeout"}, {409, "Conflict"},
      {410, "Gone"}, {411, "Length Required"}, {412, "Precondition Failed"}, {413, "Content Too Large"},
      {414, "URI Too Long"}, {415, "Unsupported Media Type"}, {416, "Range Not Satisfiable"},
      {429, "Too Many Requests"}, {500, "Internal Server Error"}, {501, "Not Implemented"},
      {502, "Bad Gateway"}, {503, "Service Unavailable"}, {504, "Gateway Timeout"},
  };
  for (const auto& [code, reason] : kReasons)
    if (code == status) return std::to_string(status) + " " + reason;
  return std::to_string(status);
}

DownloadAttempt::DownloadAttempt(Job& job, CURLM* multi, const EngineOptions& options, const EventSink& sink,
                                 files::WriteBehind* write_behind, HashBehind* hash_behind)
    : job_(job),
      down_(*job.download()),
      multi_(multi),
      options_(options),
      sink_(sink),
      easy_(curl_easy_init()),
      write_behind_(write_behind),
      hash_behind_(hash_behind) {}

Result<std::unique_ptr<DownloadAttempt>> DownloadAttempt::start(Job& job, CURLM* multi,
                                                                const EngineOptions& options,
                                                                const EventSink& sink, files::WriteBehind* write_behind,
                                                                HashBehind* hash_behind) {
  std::unique_ptr<DownloadAttempt> attempt(new DownloadAttempt(job, multi, options, sink, write_behind, hash_behind));
  if (!attempt->easy_) return fail(errc::internal, "Could not create a transfer handle (out of memory).");
  // The session's files may have gone since it was configured: a clear end, not a curl error.
  if (auto readable = checkTransportFiles(job.transport, errc::tls); !readable)
    return tl::unexpected(readable.error());
  if (auto configured = attempt->configure(); !configured) return tl::unexpected(configured.error());
  if (CURLMcode rc = curl_multi_add_handle(multi, attempt->easy_.get()); rc != CURLM_OK)
    return fail(errc::internal, std::string("Could not start a transfer: ") + curl_multi_strerror(rc));
  attempt->in_multi_ = true;
  return attempt;
}

DownloadAttempt::~DownloadAttempt() {
  // Whoever stopped this attempt may cut or close the file next: nothing may still be writing it.
  flushWrites();
  if (in_multi_) curl_multi_remove_handle(multi_, easy_.get());
}

bool appendCallerHeaders(HeaderList& list, const HttpRequest& request) {
  for (const auto& h : request.headers) {
    // curl's syntax for sending a header with an empty value is "Name;".
    std::string line = h.value.empty() ? h.name + ";" : h.name + ": " + h.value;
    if (!appendHeader(list, line.c_str())) return false;
  }
  return true;
}

bool hasCallerRange(const HttpRequest& request) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [](const Header& h) { return equalsNoCase(h.name, "Range"); });
}

std::string lastResponseHeader(CURL* easy, const char* name) {
  curl_header* found = nullptr;
  // request -1: the last response, i.e. the one after any redirects.
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &found) != CURLHE_OK || found == nullptr) return {};
  return std::string(trimHeaderValue(found->value));
}

CURLcode setDownloadOptions(CURL* easy, const Job& job, const EngineOptions& options, const DownloadHandle& handle) {
  const HttpRequest& request = job.request;
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
  };
  set(CURLOPT_URL, handle.url != nullptr ? handle.url->c_str() : request.url.c_str());
  set(CURLOPT_PRIVATE, static_cast<void*>(const_cast<Job*>(&job)));
  set(CURLOPT_ERRORBUFFER, handle.error_buffer);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, std::get<DownloadPart>(job.part).follow_redirects ? 1L : 0L);
  set(CURLOPT_MAXREDIRS, 10L);
  set(CURLOPT_USERAGENT, "ferry/" FERRY_VERSION);
  // A stall is < 1 byte/s for stall_timeout; there is deliberately no CURLOPT_TIMEOUT.
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.stall_timeout.count()));
  set(CURLOPT_CONNECTTIMEOUT, static_cast<long>(request.connect_timeout.count()));
  set(CURLOPT_BUFFERSIZE, receiveBufferSize(handle.rate_limit, options.buffer_size));
  if (handle.rate_limit > 0) set(CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(handle.rate_limit));
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_HTTPHEADER, handle.headers);
  set(CURLOPT_WRITEFUNCTION, handle.write);
  set(CURLOPT_WRITEDATA, handle.write_data);
  // No CURLOPT_ACCEPT_ENCODING: byte offsets for Range must be offsets of the identity encoding.
  if (request.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (rc == CURLE_OK) rc = applyTransport(easy, job.transport, options.ca_bundle);
  if (rc == CURLE_OK && options.cookies) rc = options.cookies->attach(easy);
  return rc;
}

AttemptOutcome overloadedAnswer(CURL* easy, long status, const std::string& what) {
  AttemptOutcome out = transient(errc::http_error, "The server answered " + describeStatus(status) + " for " + what +
                                                       "; the server is failing or overloaded, try later if this persists.");
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
    out.retry_after = std::chrono::seconds(retry_after);
  return out;
}

long receiveBufferSize(std::uint64_t rate_limit, long buffer_size) {
  // curl reads up to ~100 buffers in a row while the socket has data and only then checks the
  // rate limit, so a big buffer turns a limit into bursts: keep a burst near 100 ms of data.
  if (rate_limit == 0) return buffer_size;
  const auto per_read = static_cast<long>(std::min<std::uint64_t>(rate_limit / 1000, static_cast<std::uint64_t>(buffer_size)));
  return std::max(per_read, 1024L);  // CURLOPT_BUFFERSIZE's minimum
}

Result<void> DownloadAttempt::buildHeaders() {
  caller_range_ = hasCallerRange(job_.request);
  if (!appendCallerHeaders(headers_, job_.request)) return fail(errc::internal, "Out of memory building headers.");
  // Resuming needs a validator: without one a changed entity would be spliced silently. A caller
  // that asks for a range itself gets exactly that range on every attempt: no resuming inside it.
  const bool resume =
      !caller_range_ && !down_.next_attempt_from_zero && !down_.validators.empty() && down_.bytes_in_file > 0;
  down_.next_attempt_from_zero = false;
  requested_offset_ = resume ? down_.bytes_in_file : 0;
  if (resume) {
    // Range and If-Range are ours to send: CURLOPT_RESUME_FROM never sends If-Range and fails
    // when the server answers with a different range instead of letting us restart.
    std::string range = "Range: bytes=" + std::to_string(requested_offset_) + "-";
    std::string if_range = "If-Range: " + ifRangeValue(down_.validators);
    if (!appendHeader(headers_, range.c_str()) || !appendHeader(headers_, if_range.c_str()))
      return fail(errc::internal, "Out of memory building headers.");
  }
  // A download that may take several connections asks for a range from the start: a 206 shows the
  // server serves ranges (and how long the entity is) before any byte is written.
  may_split_ = job_.request.connectionsWanted() > 1 && !caller_range_ && !down_.memory && job_.request.method == "GET" &&
               down_.segments.empty() && !down_.segments_refused;
  if (may_split_ && !resume && !appendHeader(headers_, "Range: bytes=0-"))
    return fail(errc::internal, "Out of memory building headers.");
  return {};
}

Result<void> DownloadAttempt::configure() {
  if (auto built = buildHeaders(); !built) return built;
  const CURLcode rc = setDownloadOptions(
      easy_.get(), job_, options_,
      DownloadHandle{error_buffer_, headers_.get(), &DownloadAttempt::onWrite, this, job_.rate_limit,
                     job_.download() ? &sourceUrl(job_, firstUsableSource(*job_.download())) : nullptr});
  if (rc != CURLE_OK)
    return fail(errc::internal, std::string("Could not configure the transfer: ") + curl_easy_strerror(rc));
  return {};
}

void DownloadAttempt::setRateLimit(std::uint64_t bytes_per_second) {
  // The receive buffer keeps the size it started with (curl refuses a new CURLOPT_BUFFERSIZE on a
  // running transfer); curl caps one read burst at a second's worth of the new limit.
  curl_easy_setopt(easy_.get(), CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(bytes_per_second));
}

size_t DownloadAttempt::onWrite(char* data, size_t size, size_t count, void* self) {
  auto* attempt = static_cast<DownloadAttempt*>(self);
  // No exception may cross curl's C frames (the sink or an allocation could throw).
  try {
    return attempt->writeBody(data, size * count);
  } catch (const std::exception& e) {
    attempt->write_error_ = Error(errc::internal, std::string("Internal error while writing the download: ") + e.what());
  } catch (...) {
    attempt->write_error_ = Error(errc::internal, "Internal error while writing the download.");
  }
  return CURL_WRITEFUNC_ERROR;
}

size_t DownloadAttempt::writeBody(const char* data, size_t size) {
  if (!decided_) decideOnResponse();
  if (write_error_) return CURL_WRITEFUNC_ERROR;
  if (verdict_) {
    if (verdict_->kind == AttemptOutcome::Kind::split) return CURL_WRITEFUNC_ERROR;  // no byte of it is kept
    discarded_bytes_ += size;
    return discarded_bytes_ > kMaxDiscardedErrorBody ? CURL_WRITEFUNC_ERROR : size;
  }
  if (!accepting_body_) return CURL_WRITEFUNC_ERROR;
  made_progress_ = made_progress_ || size > 0;
  if (down_.memory) return keepInMemory(data, size) ? size : CURL_WRITEFUNC_ERROR;
  if (write_behind_ == nullptr || (direct_writes_ && pending_.empty() && !in_flight_)) {
    const files::WriteResult written = files::writeAll(down_.file.get(), data, size, down_.bytes_in_file);
    down_.integrity.take(data, written.written);  // nothing in flight: the hashes are this thread's
    return account(written) ? size : CURL_WRITEFUNC_ERROR;
  }
  // curl calls this with at most 16 KiB at a time: gathered here, written once per loop turn (see
  // settleWrites) or once kMaxPending have come.
  pending_.insert(pending_.end(), data, data + size);
  if (pending_.size() >= kMaxPending && !handOff()) return CURL_WRITEFUNC_ERROR;
  return size;
}

bool DownloadAttempt::keepInMemory(const char* data, size_t size) {
  MemoryBody& memory = *down_.memory;
  if (memory.bytes.size() + size > memory.limit) {
    write_error_ = Error(errc::too_large, "The answer from " + job_.request.url + " is larger than the " +
                                              std::to_string(memory.limit) + " bytes it may have in memory.");
    return false;
  }
  memory.bytes.append(data, size);
  return account(files::WriteResult{0, size});
}

bool DownloadAttempt::handOff() {
  if (!awaitWrite()) return false;  // the previous chunk is in the file, and counted
  if (pending_.size() >= kWriteBehindMin) {
    chunk_.swap(pending_);
    pending_.clear();
    in_flight_ = write_behind_->write(down_.file.get(), chunk_.data(), chunk_.size(), down_.bytes_in_file);
    // Hashed while it is written. Were the write to fail, the hashes would be ahead of the file:
    // the next check feeds them from the file again (download_integrity.hpp).
    if (down_.integrity.active() && hash_behind_ != nullptr) {
      hash_in_flight_ = hash_behind_->post([&integrity = down_.integrity, data = chunk_.data(), size = chunk_.size()] {
        integrity.take(data, size);
      });
    } else {
      down_.integrity.take(chunk_.data(), chunk_.size());
    }
    return true;
  }
  const files::WriteResult written = files::writeAll(down_.file.get(), pending_.data(), pending_.size(), down_.bytes_in_file);
  down_.integrity.take(pending_.data(), written.written);
  // A slow transfer keeps no buffers: a thousand of them would otherwise hold a megabyte each.
  std::vector<char>().swap(pending_);
  std::vector<char>().swap(chunk_);
  return account(written);
}

bool DownloadAttempt::flushWrites() {
  if (!pending_.empty() && !write_error_ && !handOff()) return false;
  return awaitWrite();
}

bool DownloadAttempt::awaitWrite() {
  if (hash_in_flight_) {
    hash_in_flight_->get();
    hash_in_flight_.reset();
  }
  if (!in_flight_) return true;
  const files::WriteResult written = in_flight_->get();
  in_flight_.reset();
  return account(written);
}

bool DownloadAttempt::settleWrites() {
  using namespace std::chrono_literals;
  if (in_flight_ && in_flight_->wait_for(0s) != std::future_status::ready) return true;
  if (hash_in_flight_ && hash_in_flight_->wait_for(0s) != std::future_status::ready) return true;
  if (!awaitWrite()) return false;
  if (!pending_.empty() && !write_error_) handOff();
  return in_flight_.has_value();
}

bool DownloadAttempt::account(const files::WriteResult& written) {
  down_.bytes_in_file += written.written;
  if (written.error != 0) {
    // The bytes before the failure are in the file but not reported as progress: the next attempt
    // asks for the rest from here.
    write_error_ = files::errnoError(written.error, "write " + down_.partial_path.string());
    return false;
  }
  if (down_.file) writeback_.wrote(down_.file.get(), down_.bytes_in_file);  // the checkpoint's fdatasync then finds little to do
  job_.noteWritten(written.written, options_.progress_interval, sink_);
  return true;
}

std::string DownloadAttempt::header(const char* name) const { return lastResponseHeader(easy_.get(), name); }

std::vector<Header> DownloadAttempt::responseHeaders() const {
  // In-process data tasks hand them to the application; request -1: the last response.
  std::vector<Header> out;
  curl_header* h = nullptr;
  while ((h = curl_easy_nextheader(easy_.get(), CURLH_HEADER, -1, h)) != nullptr)
    out.push_back(Header{h->name, std::string(trimHeaderValue(h->value))});
  return out;
}

std::optional<std::uint64_t> DownloadAttempt::contentLength() const {
  curl_off_t length = -1;
  curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  if (length < 0) return std::nullopt;
  return static_cast<std::uint64_t>(length);
}

Validators DownloadAttempt::responseValidators() const {
  return Validators{strongEtag(header("ETag")), header("Last-Modified")};
}

void DownloadAttempt::decideOnResponse() {
  long status = 0;
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status == 0) return;  // no answer yet: nothing to decide
  decided_ = true;
  const std::string& url = job_.request.url;

  if (isRetryableStatus(status)) {
    verdict_ = overloadedAnswer(easy_.get(), status, url);
    return;
  }
  if (status == 206) return decideOnPartialContent(responseValidators());
  if (status == 416 && requested_offset_ > 0) return decideOnRangeNotSatisfiable();

  if (status >= 200 && status < 300) {
    if (may_split_) single_connection_reason_ = "the server does not serve byte ranges (it answered " + describeStatus(status) + ")";
    return acceptBody(status, 0, contentLength(), responseValidators());
  }
  // A final answer that is not a success (a 4xx, or a 3xx that was not followed): its body is the
  // answer, delivered like URLSession does; it describes no entity we could resume.
  acceptBody(status, 0, contentLength(), Validators{});
}

void DownloadAttempt::decideOnPartialContent(const Validators& response_validators) {
  if (caller_range_) {
    // The caller's own range: the file holds just that part, from its byte 0.
    return acceptBody(206, 0, contentLength(), response_validators);
  }
  const auto range = parseContentRange(header("Content-Range"));
  // A server that ignores If-Range could send a range of a changed entity: compare ETags too.
  const bool etag_changed = requested_offset_ > 0 && !down_.validators.etag.empty() && !response_validators.etag.empty() &&
                            response_validators.etag != down_.validators.etag;
  if (!range || !range->first || *range->first != requested_offset_ || etag_changed) {
    if (requested_offset_ > 0) {
      verdict_ = outcome(AttemptOutcome::Kind::restart_from_zero);
      return;
    }
    verdict_ = permanent(errc::protocol, "The server sent a partial answer (206) for " + job_.request.url +
                                             " that does not start at byte 0 although the whole file was asked for.");
    return;
  }
  std::optional<std::uint64_t> expected = range->complete_length;
  if (!expected) {
    if (auto length = contentLength()) expected = requested_offset_ + *length;
  }
  if (may_split_ && splitIntoSegments(range->complete_length, response_validators)) return;
  acceptBody(206, requested_offset_, expected,
             response_validators.empty() ? down_.validators : response_validators);
}

bool DownloadAttempt::splitIntoSegments(std::optional<std::uint64_t> total, const Validators& validators) {
  if (!total) {
    single_connection_reason_ = "the server does not say how long the file is (Content-Range without a length)";
    return false;
  }
  if (validators.empty()) {
    single_connection_reason_ = "the server sends no ETag or Last-Modified, which would keep the ranges of one file together";
    return false;
  }
  Segments plan = planSegments(*total, requested_offset_, job_.request.connectionsWanted());
  if (plan.empty()) return false;  // too small to be worth more connections
  // The file gets its final length now: each segment writes at its own offset.
  if (::ftruncate(down_.file.get(), static_cast<off_t>(*total)) != 0) {
    write_error_ = files::errnoError(errno, "extend " + down_.partial_path.string());
    return true;
  }
  down_.segments = std::move(plan);
  down_.bytes_in_file = requested_offset_;
  down_.validators = validators;
  down_.expected_total = total;
  verdict_ = outcome(AttemptOutcome::Kind::split);
  return true;
}

void DownloadAttempt::decideOnRangeNotSatisfiable() {
  const auto range = parseContentRange(header("Content-Range"));
  if (range && !range->first && range->complete_length == requested_offset_) {
    // "bytes */N" with N == our offset: every byte is already in the file.
    job_.http_status = 200;
    down_.expected_total = requested_offset_;
    verdict_ = outcome(AttemptOutcome::Kind::success);
    return;
  }
  verdict_ = outcome(AttemptOutcome::Kind::restart_from_zero);
}

void DownloadAttempt::acceptBody(long status, std::uint64_t offset, std::optional<std::uint64_t> expected_total,
                                 const Validators& response_validators) {
  if (down_.memory) {
    std::string& bytes = down_.memory->bytes;
    bytes.resize(std::min<std::uint64_t>(offset, bytes.size()));
    // One allocation for an announced body instead of a doubling per append.
    if (expected_total && *expected_total <= down_.memory->limit) bytes.reserve(*expected_total);
  } else if (offset < down_.bytes_in_file && ::ftruncate(down_.file.get(), static_cast<off_t>(offset)) != 0) {
    write_error_ = files::errnoError(errno, "cut " + down_.partial_path.string());
    return;
  }
  down_.bytes_in_file = offset;
  if (!down_.memory) {
    auto [announced, by] = announcedDigests(status);
    if (auto started = down_.integrity.startBody(down_.partial_path, offset, std::move(announced), by); !started) {
      write_error_ = started.error();
      return;
    }
  }
  down_.validators = response_validators;
  down_.expected_total = expected_total;
  job_.http_status = status;
  const char* content_type = nullptr;
  curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_TYPE, &content_type);
  job_.content_type = content_type ? content_type : "";
  accepting_body_ = true;
  if (may_split_ && !single_connection_reason_.empty()) down_.segments_refused = true;
  sink_(Responded{job_.id, status, offset, expected_total, down_.validators, job_.content_type,
                  down_.memory ? responseHeaders() : std::vector<Header>(), std::move(single_connection_reason_)});
  // A small announced body goes straight into the file as it comes (usually in one piece):
  // gathering it for a write at the end of the loop turn would only copy it once more.
  direct_writes_ = expected_total && *expected_total - offset <= kWriteBehindMin;
}

AttemptOutcome DownloadAttempt::finish(CURLcode result) {
  flushWrites();  // a failure is write_error_
  if (!decided_ && result == CURLE_OK) decideOnResponse();
  AttemptOutcome out;
  const std::string& url = job_.request.url;
  if (write_error_) {
    out = outcome(AttemptOutcome::Kind::permanent, write_error_);
  } else if (verdict_) {
    // A 416 "bytes */N" at our offset: the file was already whole, and is checked like any other.
    out = verdict_->kind == AttemptOutcome::Kind::success ? verifiedSuccess() : *verdict_;
  } else if (result != CURLE_OK) {
    out = classifyCurlFailure(result, error_buffer_, url, job_.request.stall_timeout);
  } else if (!accepting_body_) {
    out = permanent(errc::protocol, "The server sent no usable HTTP answer for " + url + ".");
  } else if (job_.http_status >= 300) {
    out = permanent(errc::http_error, "The server answered " + describeStatus(job_.http_status) + " for " + url +
                                          "; check the URL and your access to it (the server's answer is in the file).");
  } else {
    out = verifiedSuccess();
  }
  out.made_progress = made_progress_;
  return out;
}

std::pair<std::vector<Digest>, std::string> DownloadAttempt::announcedDigests(long status) const {
  // The caller's own Range: the file holds a part, which no digest of the whole describes.
  if (caller_range_ || status < 200 || status >= 300) return {};
  // Repr-Digest is about the representation, so a 206 carries it too. RFC 3230's Digest was
  // computed over the range by some servers: trusted on a whole answer only. Content-Digest (the
  // content, i.e. only this range) is never used.
  if (auto repr = parseReprDigestHeader(header("Repr-Digest")); !repr.empty()) return {std::move(repr), "Repr-Digest"};
  if (status == 206) return {};
  return {parseLegacyDigestHeader(header("Digest")), "Digest"};
}

AttemptOutcome DownloadAttempt::verifiedSuccess() {
  // A HEAD has no body to check; a body in memory is a data task's, which has no digest to meet.
  if (down_.memory || job_.request.method == "HEAD") return outcome(AttemptOutcome::Kind::success);
  return verifyFile(job_);
}

AttemptOutcome verifyFile(Job& job) {
  DownloadPart& down = *job.download();
  auto differs = down.integrity.check(down.partial_path, down.bytes_in_file);
  if (!differs) return outcome(AttemptOutcome::Kind::permanent, differs.error());
  if (!*differs) return outcome(AttemptOutcome::Kind::success);
  const std::string what = "The bytes of " + job.request.url + " are not the ones expected: " + **differs;
  if (std::exchange(down.integrity.refetched, true)) {
    return permanent(errc::integrity, what + ", again after fetching them once more from zero. The file on the server "
                                             "is not the one the digest describes: check the digest, or the server.");
  }
  // The bytes are worthless: they go now, so that a restart of ferryd cannot resume after them.
  down.segments.clear();
  if (::ftruncate(down.file.get(), 0) != 0)
    return outcome(AttemptOutcome::Kind::permanent, files::errnoError(errno, "cut " + down.partial_path.string()));
  down.bytes_in_file = 0;
  down.validators = {};
  return outcome(AttemptOutcome::Kind::restart_from_zero, Error(errc::integrity, what + "; fetching it once more from zero."));
}

}  // namespace ferry::engine
