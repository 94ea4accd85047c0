#pragma once
// An upload that is not resumable (ResumableMode::none): one request, sent again from byte 0
// after a failure.

#include "engine/upload_protocol.hpp"

namespace ferry::engine {

class PlainUpload final : public UploadProtocol {
 public:
  bool resumable() const override { return false; }
  std::vector<std::string> requestHeaders(const UploadRequestFacts& facts) const override;
  bool probeFoundComplete(const std::vector<Header>& headers, std::uint64_t offset,
                          std::optional<std::uint64_t> body_length) const override;
};

}  // namespace ferry::engine
