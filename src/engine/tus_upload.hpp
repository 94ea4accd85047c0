#pragma once
// tus 1.0 (ResumableMode::tus): a body-less creation POST answered with the upload resource's
// Location, then PATCH requests carrying the bytes from the server's offset.

#include <string>

#include "engine/upload_protocol.hpp"

namespace ferry::engine {

class TusUpload final : public UploadProtocol {
 public:
  explicit TusUpload(std::string metadata) : metadata_(std::move(metadata)) {}

  bool resumable() const override { return true; }
  std::optional<Error> refuseStreamBody() const override;
  std::string createMethod(const std::string& /*requested*/) const override { return "POST"; }
  bool createSendsBody() const override { return false; }
  std::vector<std::string> requestHeaders(const UploadRequestFacts& facts) const override;
  bool creationMadeResourceOnly(long status) const override { return status >= 200 && status < 300; }
  Error creationWithoutResource(long status, const std::string& url) const override;
  bool probeFoundComplete(const std::vector<Header>& headers, std::uint64_t offset,
                          std::optional<std::uint64_t> body_length) const override;
  bool appendMayTakePart() const override { return true; }

 private:
  std::string metadata_;  // Upload-Metadata of the creation request, as given
};

}  // namespace ferry::engine
