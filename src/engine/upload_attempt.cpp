// One request of an upload on the wire: the easy handle's options, the request's header fields
// (the caller's and the protocol's), and the answer's header blocks and body as they arrive.

#include "engine/upload_attempt.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "common/files.hpp"
#include "engine/cookie_jar.hpp"
#include "engine/http_headers.hpp"
#include "engine/transport_options.hpp"
#include "engine/url_check.hpp"

namespace ferry::engine {

namespace {

// Bodies of answers that are not delivered (503, 409, a followed 3xx) are read and dropped so the
// connection can be reused; past this the connection is dropped instead.
constexpr std::uint64_t kMaxDiscardedAnswerBody = 1024 * 1024;

}  // namespace

// ---- UploadAttempt ----

UploadAttempt::UploadAttempt(Job& job, CURLM* multi, const EngineOptions& options, const EventSink& sink)
    : job_(job),
      up_(*job.upload()),
      protocol_(*up_.protocol),
      multi_(multi),
      options_(options),
      sink_(sink),
      easy_(curl_easy_init()) {}

Result<std::unique_ptr<UploadAttempt>> UploadAttempt::start(Job& job, CURLM* multi, const EngineOptions& options,
                                                            const EventSink& sink) {
  std::unique_ptr<UploadAttempt> attempt(new UploadAttempt(job, multi, options, sink));
  if (!attempt->easy_) return fail(errc::internal, "Could not create a transfer handle (out of memory).");
  // The session's files may have gone since it was configured: a clear end, not a curl error.
  if (auto readable = checkTransportFiles(job.transport, errc::tls); !readable)
    return tl::unexpected(readable.error());
  if (auto prepared = attempt->prepareBody(); !prepared) return tl::unexpected(prepared.error());
  if (auto configured = attempt->configure(); !configured) return tl::unexpected(configured.error());
  if (CURLMcode rc = curl_multi_add_handle(multi, attempt->easy_.get()); rc != CURLM_OK)
    return fail(errc::internal, std::string("Could not start a transfer: ") + curl_multi_strerror(rc));
  attempt->in_multi_ = true;
  return attempt;
}

UploadAttempt::~UploadAttempt() {
  if (in_multi_) curl_multi_remove_handle(multi_, easy_.get());
}

Result<void> UploadAttempt::prepareBody() {
  switch (up_.step) {
    case UploadStep::create:
      url_ = up_.url;
      method_ = up_.method;
      with_body_ = up_.send_body;
      break;
    case UploadStep::probe:
      url_ = up_.upload_url;
      method_ = "HEAD";
      break;
    case UploadStep::append:
      url_ = up_.upload_url;
      method_ = "PATCH";
      with_body_ = true;
      body_start_ = up_.confirmed_offset;
      break;
  }
  if (with_body_) {
    if (up_.is_stream()) {
      if (up_.stream_bytes_taken > 0 || body_start_ > 0)
        return tl::unexpected(needsNewStream(url_, "a new attempt", up_.stream_bytes_taken));
    } else {
      const auto& path = up_.file()->path;
      auto now = files::fileIdentity(path);
      if (!now) return tl::unexpected(now.error().is(errc::not_found) ? sourceVanished(path) : now.error());
      if (*now != up_.identity) return tl::unexpected(sourceChanged(path));
      source_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!source_) return tl::unexpected(files::errnoError(errno, "open " + path.string()));
      struct stat st{};
      if (::fstat(source_.get(), &st) != 0 || files::fileIdentityOf(st) != up_.identity)
        return tl::unexpected(sourceChanged(path));
    }
    up_.total_sent = body_start_;
  }
  if (up_.restart_reason) {
    up_.total_sent = 0;
    sink_(UploadRestarted{job_.id, *up_.restart_reason});
    up_.restart_reason.reset();
  }
  return {};
}

Result<void> UploadAttempt::buildHeaders() {
  const bool create = up_.step == UploadStep::create;
  const bool content_dropped = create && !with_body_ && (method_ == "GET" || method_ == "HEAD");
  for (const auto& h : job_.request.headers) {
    if (up_.origin_changed && (equalsNoCase(h.name, "Authorization") || equalsNoCase(h.name, "Cookie") ||
                               equalsNoCase(h.name, "Proxy-Authorization")))
      continue;  // credentials never follow a redirect to another origin
    const bool about_content = startsWithNoCase(h.name, "Content-") || equalsNoCase(h.name, "Transfer-Encoding") ||
                               equalsNoCase(h.name, "Expect");
    if (content_dropped && about_content) continue;  // RFC 9110 §15.4: the GET has no content
    // HEAD and PATCH of the upload resource carry the protocol's own fields, not the caller's.
    if (!create && (about_content || startsWithNoCase(h.name, "Upload-") || equalsNoCase(h.name, "Tus-Resumable")))
      continue;
    std::string line = h.value.empty() ? h.name + ";" : h.name + ": " + h.value;
    if (!appendHeader(headers_, line.c_str())) return fail(errc::internal, "Out of memory building headers.");
  }
  // The protocol's own fields, unless the request became a GET (a redirect) that carries no upload.
  std::vector<std::string> ours;
  if (!content_dropped) ours = protocol_.requestHeaders(UploadRequestFacts{up_.step, up_.body_length, body_start_});
  for (const auto& line : ours)
    if (!appendHeader(headers_, line.c_str())) return fail(errc::internal, "Out of memory building headers.");
  return {};
}

void UploadAttempt::setRateLimit(std::uint64_t bytes_per_second) {
  curl_easy_setopt(easy_.get(), CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(bytes_per_second));
}

long UploadAttempt::bufferSize() const {
  // As for downloads: with a rate limit, keep what curl sends in one go near 100 ms of data.
  constexpr long kMin = 16 * 1024, kMax = 2 * 1024 * 1024;  // CURLOPT_UPLOAD_BUFFERSIZE's bounds
  const auto rate = job_.rate_limit;
  long size = options_.buffer_size;
  if (rate > 0) size = static_cast<long>(std::min<std::uint64_t>(rate / 10, static_cast<std::uint64_t>(size)));
  return std::clamp(size, kMin, kMax);
}

Result<void> UploadAttempt::configure() {
  if (auto built = buildHeaders(); !built) return built;
  CURL* easy = easy_.get();
  const HttpRequest& request = job_.request;
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
  };
  set(CURLOPT_URL, url_.c_str());
  set(CURLOPT_PRIVATE, static_cast<void*>(&job_));
  set(CURLOPT_ERRORBUFFER, error_buffer_);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  // Redirects are ours (RedirectPolicy::ask needs it, and the method/body rules are explicit).
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_USERAGENT, "ferry/" FERRY_VERSION);
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.stall_timeout.count()));
  set(CURLOPT_CONNECTTIMEOUT, static_cast<long>(request.connect_timeout.count()));
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_HTTPHEADER, headers_.get());
  set(CURLOPT_HEADERFUNCTION, &UploadAttempt::onHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(this));
  set(CURLOPT_WRITEFUNCTION, &UploadAttempt::onWrite);
  set(CURLOPT_WRITEDATA, static_cast<void*>(this));
  if (job_.rate_limit > 0)
    set(CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(job_.rate_limit));
  if (method_ == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (method_ == "GET" && !with_body_) {
    set(CURLOPT_HTTPGET, 1L);
  } else {
    // CURLOPT_UPLOAD sends the read callback's bytes as the content (a PUT unless renamed), with
    // Content-Length when the size is known and chunked transfer encoding when it is not. A
    // body-less POST/PATCH/... still gets "Content-Length: 0".
    curl_off_t size = 0;
    if (with_body_) {
      const auto length = up_.body_length;
      size = length ? static_cast<curl_off_t>(*length - std::min(*length, body_start_)) : -1;
    }
    set(CURLOPT_UPLOAD, 1L);
    set(CURLOPT_UPLOAD_BUFFERSIZE, bufferSize());
    set(CURLOPT_INFILESIZE_LARGE, size);
    set(CURLOPT_READFUNCTION, &UploadAttempt::onRead);
    set(CURLOPT_READDATA, static_cast<void*>(this));
    set(CURLOPT_SEEKFUNCTION, &UploadAttempt::onSeek);
    set(CURLOPT_SEEKDATA, static_cast<void*>(this));
    if (method_ != "PUT") set(CURLOPT_CUSTOMREQUEST, method_.c_str());
  }
  if (rc == CURLE_OK) rc = applyTransport(easy, job_.transport, options_.ca_bundle);
  if (rc == CURLE_OK && options_.cookies) rc = options_.cookies->attach(easy);
  if (rc != CURLE_OK)
    return fail(errc::internal, std::string("Could not configure the transfer: ") + curl_easy_strerror(rc));
  return {};
}

// ---- the answer ----

size_t UploadAttempt::onHeader(char* data, size_t size, size_t count, void* self) {
  auto* attempt = static_cast<UploadAttempt*>(self);
  try {
    attempt->headerLine(std::string_view(data, size * count));
    return size * count;
  } catch (const std::exception& e) {
    attempt->write_error_ = Error(errc::internal, std::string("Internal error while reading the answer: ") + e.what());
  } catch (...) {
    attempt->write_error_ = Error(errc::internal, "Internal error while reading the answer.");
  }
  return 0;  // aborts the transfer
}

void UploadAttempt::headerLine(std::string_view line) {
  // curl hands every header line of every answer, 1xx ones included, then an empty line each.
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (final_seen_) return;  // trailers
  if (line.substr(0, 5) == "HTTP/") {
    auto space = line.find(' ');
    block_status_ = 0;
    if (space != std::string_view::npos) {
      if (auto code = parseDecimal(line.substr(space + 1, 3))) block_status_ = static_cast<long>(*code);
    }
    block_headers_.clear();
    return;
  }
  if (line.empty()) return endOfHeaderBlock();
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return;
  block_headers_.push_back(Header{std::string(line.substr(0, colon)),
                                  std::string(trimHeaderValue(line.substr(colon + 1)))});
}

void UploadAttempt::endOfHeaderBlock() {
  if (block_status_ >= 100 && block_status_ < 200) {
    // 104 Upload Resumption Supported: the upload resource exists from now on. The owner hears
    // of it before any more of the body is trusted to the server.
    if (protocol_.interimNamesResource(block_status_) && up_.step == UploadStep::create) {
      auto location = findHeader(block_headers_, "Location");
      auto resolved = location.empty() ? std::nullopt : resolveUrl(url_, location);
      if (resolved && checkUrl(*resolved) && *resolved != up_.upload_url) learnUploadUrl(*resolved);
    }
    return;
  }
  final_seen_ = true;
  up_.status = block_status_;
  up_.headers = block_headers_;
  up_.content_type = findHeader(block_headers_, "Content-Type");
  up_.content_length = parseDecimal(findHeader(block_headers_, "Content-Length"));
  keep_body_ = keepsBodyOf(block_status_) && !up_.response_body_path.empty();
  if (keep_body_) {
    if (auto reset = resetResponseBody(up_); !reset) write_error_ = reset.error();
  }
}

size_t UploadAttempt::onWrite(char* data, size_t size, size_t count, void* self) {
  auto* attempt = static_cast<UploadAttempt*>(self);
  try {
    return attempt->writeBody(data, size * count);
  } catch (...) {
    attempt->write_error_ = Error(errc::internal, "Internal error while writing the answer.");
  }
  return CURL_WRITEFUNC_ERROR;
}

size_t UploadAttempt::writeBody(const char* data, size_t size) {
  if (write_error_) return CURL_WRITEFUNC_ERROR;
  if (!keep_body_) {
    discarded_bytes_ += size;
    if (discarded_bytes_ > kMaxDiscardedAnswerBody) {
      discard_limit_hit_ = true;  // cheaper to drop the connection than to read it all
      return CURL_WRITEFUNC_ERROR;
    }
    return size;
  }
  const std::uint64_t room = up_.max_response_body_bytes - std::min(up_.max_response_body_bytes, up_.response_bytes);
  const size_t keep = static_cast<size_t>(std::min<std::uint64_t>(room, size));
  if (keep < size) up_.response_truncated = true;  // read and dropped: the answer is still complete
  if (auto written = files::writeAll(up_.response_file.get(), std::string_view(data, keep), up_.response_bytes,
                                     up_.response_body_path);
      !written) {
    write_error_ = written.error();
    return CURL_WRITEFUNC_ERROR;
  }
  up_.response_bytes += keep;
  return size;
}

std::string UploadAttempt::header(std::string_view name) const { return findHeader(up_.headers, name); }

std::optional<std::uint64_t> UploadAttempt::uploadOffset() const { return parseDecimal(header("Upload-Offset")); }

}  // namespace ferry::engine
