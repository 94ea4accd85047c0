// The decision on an upload request's answer: deliver it, go on with the next request of the
// flow (probe, append, a redirect's target), retry, or end. What an answer means for the
// resumable-upload protocol in use is asked of the job's UploadProtocol.

#include <chrono>

#include "engine/upload_attempt.hpp"
#include "engine/url_check.hpp"

namespace ferry::engine {

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
