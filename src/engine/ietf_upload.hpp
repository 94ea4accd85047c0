#pragma once
// The IETF draft "Resumable Uploads for HTTP" (ResumableMode::ietf), interop version 8 (drafts
// -09..-12) or 6 (-04/-05): the creation request carries the body and Upload-Complete: ?1; a
// 104 (Upload Resumption Supported) interim answer names the upload resource at once.

#include "engine/upload_protocol.hpp"

namespace ferry::engine {

class IetfUpload final : public UploadProtocol {
 public:
  explicit IetfUpload(int interop_version) : interop_version_(interop_version) {}

  bool resumable() const override { return true; }
  std::optional<Error> refuseOptions() const override;
  std::vector<std::string> requestHeaders(const UploadRequestFacts& facts) const override;
  bool interimNamesResource(long status) const override { return status == 104; }
  bool probeFoundComplete(const std::vector<Header>& headers, std::uint64_t offset,
                          std::optional<std::uint64_t> body_length) const override;

 private:
  int interop_version_;  // Upload-Draft-Interop-Version
};

}  // namespace ferry::engine
