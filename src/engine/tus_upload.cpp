// tus 1.0 uploads: the fields of the creation, probe and append requests, and what the server's
// answers mean.

#include "engine/tus_upload.hpp"

#include "engine/attempt.hpp"

namespace ferry::engine {

// Every PATCH may have to start again at the server's offset, which a stream cannot go back to.
std::optional<Error> TusUpload::refuseStreamBody() const {
  return Error(errc::invalid_argument,
               "A tus upload needs a body of known bytes (a file); stream uploads cannot be resumed.");
}

std::vector<std::string> TusUpload::requestHeaders(const UploadRequestFacts& facts) const {
  std::vector<std::string> fields{"Tus-Resumable: 1.0.0"};
  switch (facts.step) {
    case UploadStep::create:
      fields.push_back("Upload-Length: " + std::to_string(facts.body_length.value_or(0)));
      if (!metadata_.empty()) fields.push_back("Upload-Metadata: " + metadata_);
      break;
    case UploadStep::append:
      fields.push_back("Content-Type: application/offset+octet-stream");
      fields.push_back("Upload-Offset: " + std::to_string(facts.offset));
      break;
    case UploadStep::probe:
      break;
  }
  return fields;
}

Error TusUpload::creationWithoutResource(long status, const std::string& url) const {
  return Error(errc::protocol, "The tus server answered " + describeStatus(status) + " to the creation POST " + url +
                                   " without a usable Location; it does not speak tus 1.0.0 as expected.");
}

// tus has no completion field: the upload is complete when the server has all of its length.
bool TusUpload::probeFoundComplete(const std::vector<Header>& /*headers*/, std::uint64_t offset,
                                   std::optional<std::uint64_t> body_length) const {
  return body_length && offset == *body_length;
}

}  // namespace ferry::engine
