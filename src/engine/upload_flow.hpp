#pragma once
// An upload between its requests: the job's UploadPart made from the UploadJob, pointed at a
// redirect's target or back at the creation request, and its answer delivered. The requests
// themselves are UploadAttempts (upload_attempt.hpp).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "engine/job.hpp"
#include "engine/upload_part.hpp"

namespace ferry::engine {

// `location` resolved against `base` (RFC 3986), or nullopt when curl cannot make a URL of it.
std::optional<std::string> resolveUrl(const std::string& base, const std::string& location);

inline bool isRedirectStatus(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The request a redirect leads to (RFC 9110 §15.4): the method, and whether the body goes along.
struct RedirectTarget {
  std::string method;
  bool keeps_body = false;
};
RedirectTarget redirectTarget(long status, const std::string& method);

// Checks the upload-only options of `spec` (body source, resumable options, response path) and
// makes the job's part from them, taking them from `spec`: the protocol chosen, the file's
// identity recorded (or compared with the expected one), a stream made non-blocking, and the
// first request chosen (HEAD of a known upload URL, else the creation of spec.request).
Result<UploadPart> makeUploadPart(UploadJob& spec);

// Points the next request at the creation request as the application asked for it (before any
// redirect).
void resetToCreate(UploadPart& up, const HttpRequest& request);

// Points the next create request at a redirect's target. needs-new-body-stream when a stream's
// body would have to be sent again.
Result<void> followRedirect(UploadPart& up, const PendingRedirect& redirect);

// Empties (creating if needed) the response body file: a new answer is to be delivered.
Result<void> resetResponseBody(UploadPart& up);

// Sends Responded for the answer in the job's upload part and records its status in the job.
void deliverResponse(Job& job, const EventSink& sink);

// ---- the errors that end an upload because of its body source ----
Error sourceChanged(const std::filesystem::path& path);
Error sourceVanished(const std::filesystem::path& path);
Error needsNewStream(const std::string& url, const std::string& why, std::uint64_t taken);

}  // namespace ferry::engine
