// One request of an upload, and the decision on its answer. The upload flow (create, then for
// resumable uploads HEAD + PATCH after a failure) is written back into the job's UploadPart; what
// differs between the protocols is asked of its UploadProtocol.

#include "engine/upload_attempt.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>

#include "common/files.hpp"
#include "engine/curl_handles.hpp"
#include "engine/http_headers.hpp"
#include "engine/upload_flow.hpp"
#include "engine/url_check.hpp"

namespace ferry::engine {

Error sourceChanged(const std::filesystem::path& path) {
  return Error(errc::source_changed, "The file " + path.string() +
                                         " changed since the upload was created (its size, modification time or "
                                         "inode differ), so its bytes cannot be sent as one body; start a new upload "
                                         "of the file.");
}

Error sourceVanished(const std::filesystem::path& path) {
  return Error(errc::not_found, "The file " + path.string() +
                                    " being uploaded was removed or replaced during the upload; the upload was "
                                    "stopped. Start a new upload when the file is back.");
}

Error needsNewStream(const std::string& url, const std::string& why, std::uint64_t taken) {
  return Error(errc::needs_new_body_stream,
               "The upload to " + url + " must send its body again (" + why + ") but " + std::to_string(taken) +
                   " bytes of its body stream were already read and a stream cannot be rewound; give the task a new "
                   "body stream.");
}

std::optional<std::string> resolveUrl(const std::string& base, const std::string& location) {
  UrlHandle handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) return std::nullopt;
  // Setting a relative URL on a handle that holds one resolves it against it (RFC 3986 §5).
  if (curl_url_set(handle.get(), CURLUPART_URL, location.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
    return std::nullopt;
  char* raw = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_URL, &raw, 0) != CURLUE_OK || raw == nullptr) return std::nullopt;
  std::string resolved(raw);
  curl_free(raw);
  return resolved;
}

RedirectTarget redirectTarget(long status, const std::string& method) {
  const bool head = method == "HEAD";
  if (status == 303 && !head) return {"GET", false};
  // RFC 9110 §15.4.2/3 allow only POST to become GET on 301/302 (what browsers and curl do).
  if ((status == 301 || status == 302) && method == "POST") return {"GET", false};
  return {method, !head && method != "GET"};
}

namespace {

// Records the identity of a file body (or checks it against the one recorded in an earlier run),
// or makes a stream body non-blocking.
Result<void> takeBody(UploadPart& up, const UploadProtocol& protocol) {
  if (auto* file = std::get_if<FileBody>(&up.body)) {
    auto identity = files::fileIdentity(file->path);
    if (!identity) return tl::unexpected(identity.error());
    if (file->expected && *file->expected != *identity) return tl::unexpected(sourceChanged(file->path));
    up.identity = *identity;
    up.body_length = identity->size;
    return {};
  }
  auto& stream = std::get<StreamBody>(up.body);
  if (!stream.fd) return fail(errc::invalid_argument, "The upload's body stream is not an open descriptor.");
  if (auto refused = protocol.refuseStreamBody()) return tl::unexpected(*refused);
  const int flags = ::fcntl(stream.fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(stream.fd.get(), F_SETFL, flags | O_NONBLOCK) != 0)
    return tl::unexpected(files::errnoError(errno, "use the upload's body stream"));
  up.body_length = stream.length;
  return {};
}

}  // namespace

Result<UploadPart> makeUploadPart(UploadJob& spec) {
  const ResumableUpload& resumable = spec.resumable;
  auto protocol = makeUploadProtocol(resumable);
  if (auto refused = protocol->refuseOptions()) return tl::unexpected(*refused);
  if (!resumable.upload_url.empty()) {
    if (!protocol->resumable())
      return fail(errc::invalid_argument, "An upload URL was given for an upload that is not resumable.");
    if (auto checked = checkUrl(resumable.upload_url); !checked) return tl::unexpected(checked.error());
  }
  if (spec.response_body_path.empty() == false && spec.response_body_path.filename().empty())
    return fail(errc::invalid_argument, "The response body path " + spec.response_body_path.string() + " names no file.");
  UploadPart up;
  up.body = std::move(spec.body);
  if (auto taken = takeBody(up, *protocol); !taken) return tl::unexpected(taken.error());
  up.response_body_path = std::move(spec.response_body_path);
  up.max_response_body_bytes = spec.max_response_body_bytes;
  up.redirect_policy = spec.redirects;
  up.protocol = std::move(protocol);
  resetToCreate(up, spec.request);
  if (!resumable.upload_url.empty()) {
    up.upload_url = resumable.upload_url;
    up.confirmed_offset = resumable.known_offset;
    up.step = UploadStep::probe;
  }
  return up;
}

void resetToCreate(UploadPart& up, const HttpRequest& request) {
  up.step = UploadStep::create;
  up.url = request.url;
  up.method = up.protocol->createMethod(request.method);
  up.send_body = up.protocol->createSendsBody();
  up.origin_changed = false;
  up.redirects = 0;
  up.pending_redirect.reset();
}

Result<void> followRedirect(UploadPart& up, const PendingRedirect& redirect) {
  if (redirect.keeps_body && up.is_stream())
    return tl::unexpected(needsNewStream(up.url, "the server redirected it with " + std::to_string(redirect.status) +
                                                     ", which keeps the body",
                                         up.stream_bytes_taken));
  auto from = checkUrl(up.url);
  auto to = checkUrl(redirect.location);
  if (!to) return tl::unexpected(to.error());
  if (!from || from->host_key != to->host_key) up.origin_changed = true;
  up.url = redirect.location;
  up.method = redirect.method;
  up.send_body = up.send_body && redirect.keeps_body;
  ++up.redirects;
  up.pending_redirect.reset();
  return {};
}

Result<void> resetResponseBody(UploadPart& up) {
  up.response_bytes = 0;
  up.response_truncated = false;
  const auto& path = up.response_body_path;
  if (path.empty()) return {};
  if (!up.response_file) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return tl::unexpected(files::errnoError(errno, "open " + path.string()));
    up.response_file = std::move(fd);
  } else if (::ftruncate(up.response_file.get(), 0) != 0) {
    return tl::unexpected(files::errnoError(errno, "cut " + path.string()));
  }
  return {};
}

void deliverResponse(Job& job, const EventSink& sink) {
  UploadPart& up = *job.upload();
  job.flushProgress(sink);  // every byte is accounted for before the answer
  job.http_status = up.status;
  job.content_type = up.content_type;
  Responded responded{job.id, up.status, 0, up.content_length, Validators{}, up.content_type, up.headers};
  sink(std::move(responded));
}

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
  if (!options_.ca_bundle.empty()) set(CURLOPT_CAINFO, options_.ca_bundle.c_str());
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

size_t UploadAttempt::onRead(char* buffer, size_t size, size_t count, void* self) {
  auto* attempt = static_cast<UploadAttempt*>(self);
  try {  // no exception may cross curl's C frames
    return attempt->readBody(buffer, size * count);
  } catch (const std::exception& e) {
    attempt->read_error_ = Error(errc::internal, std::string("Internal error while reading the upload: ") + e.what());
  } catch (...) {
    attempt->read_error_ = Error(errc::internal, "Internal error while reading the upload.");
  }
  return CURL_READFUNC_ABORT;
}

size_t UploadAttempt::readBody(char* buffer, size_t size) {
  if (!with_body_) return 0;
  size_t n = up_.is_stream() ? readStream(buffer, size) : readFile(buffer, size);
  if (n == CURL_READFUNC_ABORT || n == CURL_READFUNC_PAUSE || n == 0) return n;
  body_read_ += n;
  up_.total_sent = body_start_ + body_read_;
  job_.noteWritten(n, options_.progress_interval, sink_);
  return n;
}

size_t UploadAttempt::readFile(char* buffer, size_t size) {
  const auto& path = up_.file()->path;
  // Every read checks that the bytes still are the job's: a file rewritten in place keeps its
  // inode but not its mtime/size; a file replaced by rename or removed leaves us an unlinked inode.
  struct stat open_st{};
  struct stat path_st{};
  if (::fstat(source_.get(), &open_st) != 0 || open_st.st_nlink == 0 || ::stat(path.c_str(), &path_st) != 0 ||
      path_st.st_dev != open_st.st_dev || path_st.st_ino != open_st.st_ino) {
    read_error_ = sourceVanished(path);
    return CURL_READFUNC_ABORT;
  }
  if (files::fileIdentityOf(open_st) != up_.identity) {
    read_error_ = sourceChanged(path);
    return CURL_READFUNC_ABORT;
  }
  const std::uint64_t position = body_start_ + body_read_;
  const std::uint64_t left = up_.identity.size - std::min(up_.identity.size, position);
  const size_t want = static_cast<size_t>(std::min<std::uint64_t>(size, left));
  if (want == 0) return 0;
  while (true) {
    ssize_t n = ::pread(source_.get(), buffer, want, static_cast<off_t>(position));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_error_ = files::errnoError(errno, "read " + path.string());
      return CURL_READFUNC_ABORT;
    }
    if (n == 0) {  // shorter than its size said a moment ago
      read_error_ = sourceChanged(path);
      return CURL_READFUNC_ABORT;
    }
    return static_cast<size_t>(n);
  }
}

size_t UploadAttempt::readStream(char* buffer, size_t size) {
  StreamBody& stream = *up_.stream();
  size_t want = size;
  if (stream.length) {
    const std::uint64_t left = *stream.length - std::min(*stream.length, up_.stream_bytes_taken);
    if (left == 0) return 0;
    want = static_cast<size_t>(std::min<std::uint64_t>(want, left));
  }
  while (true) {
    ssize_t n = ::read(stream.fd.get(), buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      paused_ = true;  // the loop polls the descriptor and unpauses us
      return CURL_READFUNC_PAUSE;
    }
    if (n < 0) {
      read_error_ = files::errnoError(errno, "read the upload's body stream");
      return CURL_READFUNC_ABORT;
    }
    if (n == 0 && stream.length && up_.stream_bytes_taken < *stream.length) {
      read_error_ = Error(errc::needs_new_body_stream, "The upload's body stream ended after " + std::to_string(up_.stream_bytes_taken) +
                                        " of the " + std::to_string(*stream.length) +
                                        " bytes announced; give the task a stream of the announced length.");
      return CURL_READFUNC_ABORT;
    }
    up_.stream_bytes_taken += static_cast<std::uint64_t>(n);
    return static_cast<size_t>(n);
  }
}

int UploadAttempt::onSeek(void* self, curl_off_t offset, int origin) {
  auto* attempt = static_cast<UploadAttempt*>(self);
  // curl rewinds when it must send the body again on a new connection (a reused connection that
  // turned out dead). A file goes back; a stream can only "rewind" to where it still is.
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  if (attempt->up_.is_stream()) return offset == 0 && attempt->body_read_ == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
  attempt->body_read_ = static_cast<std::uint64_t>(offset);
  attempt->up_.total_sent = attempt->body_start_ + attempt->body_read_;
  return CURL_SEEKFUNC_OK;
}

int UploadAttempt::pausedFd() const {
  if (!paused_ || !up_.is_stream()) return -1;
  return std::get<StreamBody>(up_.body).fd.get();
}

void UploadAttempt::unpause() {
  if (!paused_) return;
  paused_ = false;
  curl_easy_pause(easy_.get(), CURLPAUSE_CONT);  // may call onRead at once (and pause again)
}

namespace {

constexpr int kMaxRedirects = 10;
constexpr int kMaxConflicts = 3;  // 409s in a row on PATCH before we stop believing the server

}  // namespace

bool UploadAttempt::keepsBodyOf(long status) const {
  if (isRetryableStatus(status) || up_.step == UploadStep::probe || method_ == "HEAD") return false;
  if (up_.step == UploadStep::append && (status == 409 || status == 404 || status == 410)) return false;
  if (isRedirectStatus(status) && !findHeader(block_headers_, "Location").empty() &&
      up_.redirect_policy == RedirectPolicy::follow && up_.step == UploadStep::create)
    return false;
  if (up_.step == UploadStep::create && protocol_.creationMadeResourceOnly(status))
    return false;  // the creation's answer is not the upload's answer
  return true;
}

AttemptOutcome UploadAttempt::finish(CURLcode result) {
  AttemptOutcome out;
  long status = final_seen_ ? up_.status : 0;
  if (read_error_) {
    out = outcome(AttemptOutcome::Kind::permanent, read_error_);
  } else if (write_error_) {
    out = outcome(AttemptOutcome::Kind::permanent, write_error_);
  } else if (result != CURLE_OK && !(discard_limit_hit_ && status >= 200) &&
             !(status >= 300 && !isRetryableStatus(status) && !keep_body_)) {
    // No complete answer. (An answer we do not keep, e.g. a 409 or a followed 3xx, is complete
    // enough once its header is in, even if the server closed while we were still sending.)
    out = classifyCurlFailure(result, error_buffer_, url_, job_.request.stall_timeout);
    if (out.kind == AttemptOutcome::Kind::transient) out = failedTransiently(std::move(out));
  } else if (status < 200) {
    out = failedTransiently(
        transient(errc::protocol, "The server sent no usable HTTP answer to the upload to " + url_ + "."));
  } else {
    out = decide(status);
  }
  // Bytes sent and then cut are a flaky link (back-off starts over, as for downloads); bytes the
  // server answered with a 503 are not progress, so an overloaded server gets longer waits.
  out.made_progress = body_read_ > 0 && !final_seen_;
  return out;
}

AttemptOutcome UploadAttempt::decide(long status) {
  if (isRetryableStatus(status)) {
    AttemptOutcome out = transient(errc::http_error, "The server answered " + describeStatus(status) + " for " +
                                                         url_ + "; the server is failing or overloaded, try later if this persists.");
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(easy_.get(), CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
      out.retry_after = std::chrono::seconds(retry_after);
    return failedTransiently(std::move(out));
  }
  if (isRedirectStatus(status) && !header("Location").empty()) {
    if (up_.step == UploadStep::create) return decideRedirect(status);
    return permanent(errc::protocol, "The server redirected the " + method_ + " of the upload resource " + url_ +
                                         " (" + describeStatus(status) +
                                         "); resumable upload resources must not move. Start the upload again.");
  }
  switch (up_.step) {
    case UploadStep::create:
      return decideCreate(status);
    case UploadStep::probe:
      return decideProbe(status);
    case UploadStep::append:
      return decideAppend(status);
  }
  return httpError(status);
}

AttemptOutcome UploadAttempt::decideCreate(long status) {
  if (protocol_.creationMadeResourceOnly(status)) {
    auto location = header("Location");
    auto resolved = location.empty() ? std::nullopt : resolveUrl(url_, location);
    if (!resolved || !checkUrl(*resolved))
      return outcome(AttemptOutcome::Kind::permanent, protocol_.creationWithoutResource(status, url_));
    learnUploadUrl(*resolved);
    up_.step = UploadStep::append;
    return outcome(AttemptOutcome::Kind::next_request);
  }
  if (status >= 200 && status < 300) {
    if (with_body_) up_.confirmed_offset = up_.total_sent;
    return deliver();
  }
  return httpError(status);
}

AttemptOutcome UploadAttempt::decideProbe(long status) {
  if (status == 404 || status == 410)
    return restartFromZero("The server no longer knows the upload at " + url_ + " (it answered " +
                           describeStatus(status) + " to HEAD); the body is sent again from byte 0.");
  if (status < 200 || status >= 300) return httpError(status);
  auto offset = uploadOffset();
  if (!offset)
    return permanent(errc::protocol, "The server answered HEAD " + url_ +
                                         " without a valid Upload-Offset; it does not support resumable uploads as "
                                         "the task asked.");
  if (up_.body_length && *offset > *up_.body_length)
    return permanent(errc::protocol, "The server says it has " + std::to_string(*offset) + " bytes of the upload at " +
                                         url_ + ", more than the body's " + std::to_string(*up_.body_length) + ".");
  up_.confirmed_offset = *offset;
  if (protocol_.probeFoundComplete(up_.headers, *offset, up_.body_length)) {
    // The request that completed the upload lost its answer: the HEAD's is all there is.
    up_.completed_before = true;
    up_.total_sent = *offset;
    if (auto reset = resetResponseBody(up_); !reset) return outcome(AttemptOutcome::Kind::permanent, reset.error());
    return deliver();
  }
  up_.step = UploadStep::append;
  return outcome(AttemptOutcome::Kind::next_request);
}

AttemptOutcome UploadAttempt::decideAppend(long status) {
  if (status == 409) {
    // Our offset was not the server's (it kept fewer bytes than it had said, or another request
    // raced us): ask again.
    if (++up_.conflicts > kMaxConflicts)
      return permanent(errc::protocol, "The server refused the upload's offset at " + url_ + " " +
                                           std::to_string(kMaxConflicts) + " times in a row (409 Conflict).");
    up_.step = UploadStep::probe;
    return outcome(AttemptOutcome::Kind::next_request);
  }
  if (status == 404 || status == 410)
    return restartFromZero("The server no longer knows the upload at " + url_ + " (it answered " +
                           describeStatus(status) + " to PATCH); the body is sent again from byte 0.");
  if (status < 200 || status >= 300) return httpError(status);
  up_.conflicts = 0;
  auto offset = uploadOffset();
  if (protocol_.appendMayTakePart() && offset && up_.body_length && *offset < *up_.body_length) {
    if (*offset <= body_start_)
      return permanent(errc::protocol, "The tus server at " + url_ + " took none of the bytes sent with PATCH.");
    up_.confirmed_offset = *offset;  // it took part of the body: send the rest
    return outcome(AttemptOutcome::Kind::next_request);
  }
  up_.confirmed_offset = offset.value_or(up_.total_sent);
  return deliver();
}

AttemptOutcome UploadAttempt::decideRedirect(long status) {
  auto location = resolveUrl(url_, header("Location"));
  if (!location)
    return permanent(errc::bad_url, "The server redirected the upload to " + url_ + " to \"" + header("Location") +
                                        "\", which is not a valid URL.");
  if (auto checked = checkUrl(*location); !checked) return outcome(AttemptOutcome::Kind::permanent, checked.error());
  if (up_.redirect_policy == RedirectPolicy::refuse) return deliver();  // the 3xx is the answer
  if (up_.redirects >= kMaxRedirects)
    return permanent(errc::protocol, "The server redirected the upload to " + job_.request.url +
                                         " too many times (more than 10); check the URL.");
  const auto target = redirectTarget(status, method_);
  PendingRedirect redirect{status, *location, target.method, target.keeps_body && with_body_};
  if (up_.redirect_policy == RedirectPolicy::ask) {
    up_.pending_redirect = redirect;
    up_.final_url = url_;
    sink_(RedirectProposed{job_.id, status, redirect.location, redirect.method, redirect.keeps_body});
    return outcome(AttemptOutcome::Kind::hold);
  }
  if (auto followed = followRedirect(up_, redirect); !followed)
    return outcome(AttemptOutcome::Kind::permanent, followed.error());
  return outcome(AttemptOutcome::Kind::next_request);
}

AttemptOutcome UploadAttempt::failedTransiently(AttemptOutcome out) {
  if (up_.is_stream() && up_.stream_bytes_taken > 0) {
    const std::string why = out.error ? out.error->message : std::string("a failed attempt");
    return outcome(AttemptOutcome::Kind::permanent,
                   needsNewStream(url_, "the attempt failed: " + why, up_.stream_bytes_taken));
  }
  if (protocol_.resumable() && !up_.upload_url.empty()) {
    up_.step = UploadStep::probe;  // the next attempt asks the server what it kept
    return out;
  }
  if (up_.total_sent > 0) {
    up_.restart_reason = "The attempt failed after " + std::to_string(up_.total_sent) + " bytes were sent" +
                         (protocol_.resumable() ? std::string(" before the server named an upload resource")
                                                : std::string(" and the upload is not resumable")) +
                         "; the body is sent again from byte 0.";
  }
  resetToCreate(up_, job_.request);
  return out;
}

AttemptOutcome UploadAttempt::restartFromZero(std::string reason) {
  if (up_.is_stream() && up_.stream_bytes_taken > 0)
    return outcome(AttemptOutcome::Kind::permanent, needsNewStream(url_, reason, up_.stream_bytes_taken));
  up_.restart_reason = std::move(reason);
  up_.upload_url.clear();
  up_.confirmed_offset = 0;
  resetToCreate(up_, job_.request);
  return outcome(AttemptOutcome::Kind::next_request);
}

// The upload resource became known (an interim answer or the creation's): the owner hears of it
// before any more of the body is trusted to the server.
void UploadAttempt::learnUploadUrl(std::string url) {
  up_.upload_url = std::move(url);
  up_.confirmed_offset = 0;
  sink_(UploadResourceKnown{job_.id, up_.upload_url});
}

AttemptOutcome UploadAttempt::deliver(std::optional<Error> error) {
  up_.final_url = url_;
  deliverResponse(job_, sink_);
  if (error) return outcome(AttemptOutcome::Kind::permanent, std::move(error));
  return outcome(AttemptOutcome::Kind::success);
}

AttemptOutcome UploadAttempt::httpError(long status) {
  return deliver(Error(errc::http_error, "The server answered " + describeStatus(status) + " to the upload to " +
                                             url_ + "; check the URL and your access to it (the server's answer is in "
                                             "the response body)."));
}

}  // namespace ferry::engine
