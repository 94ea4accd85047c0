// Plain HTTP uploads: the application's request as it is, with no fields of ours.

#include "engine/plain_upload.hpp"

namespace ferry::engine {

std::vector<std::string> PlainUpload::requestHeaders(const UploadRequestFacts& /*facts*/) const { return {}; }

// Never asked (there is no upload resource to probe); answers as a length check would.
bool PlainUpload::probeFoundComplete(const std::vector<Header>& /*headers*/, std::uint64_t offset,
                                     std::optional<std::uint64_t> body_length) const {
  return body_length && offset == *body_length;
}

}  // namespace ferry::engine
