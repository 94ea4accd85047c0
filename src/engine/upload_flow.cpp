// An upload between its requests: making its part, redirects, restarting at the creation
// request, and delivering the answer.

#include "engine/upload_flow.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/files.hpp"
#include "engine/curl_handles.hpp"
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
  Responded responded{job.id, up.status, 0, up.content_length, Validators{}, up.content_type, up.headers, {}};
  sink(std::move(responded));
}

}  // namespace ferry::engine
