#pragma once
// What only an upload job has (Job::part): the body source, the protocol it speaks, the
// resumable upload's resource and offset, the next request to make, and the answer to deliver.
// Only the transfer thread touches it.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/unique_fd.hpp"
#include "engine/transfer.hpp"
#include "engine/upload_protocol.hpp"

namespace ferry::engine {

struct PendingRedirect {
  long status = 0;
  std::string location;
  std::string method;
  bool keeps_body = false;
};

struct UploadPart {
  // ---- what was asked (the upload-only fields of the UploadJob) ----
  UploadBody body;
  std::filesystem::path response_body_path;
  std::uint64_t max_response_body_bytes = 0;
  RedirectPolicy redirect_policy = RedirectPolicy::follow;
  std::unique_ptr<const UploadProtocol> protocol;  // chosen from ResumableUpload::mode at job start

  // ---- the body ----
  bool is_stream() const { return std::holds_alternative<StreamBody>(body); }
  const FileBody* file() const { return std::get_if<FileBody>(&body); }
  StreamBody* stream() { return std::get_if<StreamBody>(&body); }
  std::optional<std::uint64_t> body_length;  // file size, or the stream's declared length
  FileIdentity identity;                     // of a file source, recorded (or given) at job start
  std::uint64_t stream_bytes_taken = 0;      // bytes read from a stream source: it cannot give them again

  // ---- the next request ----
  UploadStep step = UploadStep::create;
  std::string url;            // of the create request (changes with redirects)
  std::string method;         // of the create request (a 303 makes it GET)
  bool send_body = true;      // false after a redirect that turned the request into a GET
  bool origin_changed = false;  // a redirect went to another scheme://host:port: no credentials
  int redirects = 0;
  std::optional<PendingRedirect> pending_redirect;  // RedirectPolicy::ask, while held
  int conflicts = 0;                                // 409s in a row on PATCH
  std::optional<std::string> restart_reason;        // UploadRestarted, sent when the next request starts
  bool next_request_continues = false;              // the next start continues the current attempt

  // ---- resumable ----
  std::string upload_url;            // absolute; empty until known
  std::uint64_t confirmed_offset = 0;
  bool completed_before = false;

  // ---- progress ----
  std::uint64_t total_sent = 0;  // byte position in the body of the last byte handed to curl

  // ---- the answer ----
  long status = 0;
  std::vector<Header> headers;
  std::string content_type;
  std::optional<std::uint64_t> content_length;
  std::string final_url;
  UniqueFd response_file;
  std::uint64_t response_bytes = 0;
  bool response_truncated = false;
};

}  // namespace ferry::engine
