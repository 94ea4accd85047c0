#pragma once
// The resumable-upload protocol an upload speaks, chosen once when the job is made
// (makeUploadProtocol): plain HTTP (no resumption), the IETF draft "Resumable Uploads for HTTP"
// (interop versions 6 and 8), or tus 1.0. The upload flow (upload_attempt.*) is the same for all:
// create, and after a failure HEAD the upload resource (probe) and PATCH from the server's offset
// (append). The protocol says what differs: the fields each request carries and what an answer
// means. It holds no state of the upload; one object per job.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/transfer.hpp"

namespace ferry::engine {

// The requests an upload is made of. `create` is the application's own request (for tus: the
// creation POST); `probe` is HEAD of the upload resource; `append` is PATCH from the server's offset.
enum class UploadStep { create, probe, append };

// What the protocol's header fields depend on.
struct UploadRequestFacts {
  UploadStep step = UploadStep::create;
  std::optional<std::uint64_t> body_length;  // the whole body's, when known
  std::uint64_t offset = 0;                  // the body is sent from this byte (append)
};

class UploadProtocol {
 public:
  virtual ~UploadProtocol() = default;

  // ---- the job ----
  // Whether an upload resource can be asked for what it kept (probe + append after a failure).
  virtual bool resumable() const = 0;
  // The options the job gave are not ones this protocol can do.
  virtual std::optional<Error> refuseOptions() const { return std::nullopt; }
  // A stream body (bytes that cannot be read again) is not one this protocol can send.
  virtual std::optional<Error> refuseStreamBody() const { return std::nullopt; }

  // ---- the requests ----
  // The method of the creation request: the application's, unless the protocol has its own.
  virtual std::string createMethod(const std::string& requested) const { return requested; }
  // Whether the creation request carries the body (tus sends every byte with PATCH).
  virtual bool createSendsBody() const { return true; }
  // The protocol's own header fields ("Name: value") for the request `facts` describe.
  virtual std::vector<std::string> requestHeaders(const UploadRequestFacts& facts) const = 0;

  // ---- the answers ----
  // An interim (1xx) answer to a creation request names the upload resource (its Location).
  virtual bool interimNamesResource(long /*status*/) const { return false; }
  // A final answer to the creation request only made the upload resource (its Location): the
  // body goes with append requests, and the answer is not the upload's answer.
  virtual bool creationMadeResourceOnly(long /*status*/) const { return false; }
  // Why such an answer without a usable Location cannot go on.
  virtual Error creationWithoutResource(long status, const std::string& url) const;
  // A successful probe found the upload complete: the server has every byte of it.
  virtual bool probeFoundComplete(const std::vector<Header>& headers, std::uint64_t offset,
                                  std::optional<std::uint64_t> body_length) const = 0;
  // A successful append may have taken only part of what was sent (its Upload-Offset says how
  // much): the rest goes with another append.
  virtual bool appendMayTakePart() const { return false; }
};

// The protocol of `resumable.mode`. The one place that looks at the mode.
std::unique_ptr<const UploadProtocol> makeUploadProtocol(const ResumableUpload& resumable);

// The value of the first field called `name` (any case), or "".
std::string findHeader(const std::vector<Header>& headers, std::string_view name);

}  // namespace ferry::engine
