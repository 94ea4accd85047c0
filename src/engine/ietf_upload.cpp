// IETF resumable uploads: the fields of the creation, probe and append requests, and what the
// server's answers mean.

#include "engine/ietf_upload.hpp"

namespace ferry::engine {

std::optional<Error> IetfUpload::refuseOptions() const {
  if (interop_version_ == 6 || interop_version_ == 8) return std::nullopt;
  return Error(errc::invalid_argument,
               "Resumable uploads speak IETF interop version 6 or 8, not " + std::to_string(interop_version_) + ".");
}

std::vector<std::string> IetfUpload::requestHeaders(const UploadRequestFacts& facts) const {
  std::vector<std::string> fields{"Upload-Draft-Interop-Version: " + std::to_string(interop_version_)};
  switch (facts.step) {
    case UploadStep::create:
      fields.push_back("Upload-Complete: ?1");
      // Upload-Length came with draft -03; interop 6 servers take the length from Content-Length.
      if (facts.body_length && interop_version_ >= 8)
        fields.push_back("Upload-Length: " + std::to_string(*facts.body_length));
      break;
    case UploadStep::append:
      fields.push_back("Content-Type: application/partial-upload");
      fields.push_back("Upload-Offset: " + std::to_string(facts.offset));
      fields.push_back("Upload-Complete: ?1");
      break;
    case UploadStep::probe:
      break;
  }
  return fields;
}

// The server says so itself; its offset alone would not tell a complete upload from one whose
// last bytes are still to be declared complete.
bool IetfUpload::probeFoundComplete(const std::vector<Header>& headers, std::uint64_t /*offset*/,
                                    std::optional<std::uint64_t> /*body_length*/) const {
  return findHeader(headers, "Upload-Complete") == "?1";
}

}  // namespace ferry::engine
