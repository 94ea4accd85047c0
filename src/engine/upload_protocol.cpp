// The choice of an upload's protocol, and what the protocols share.

#include "engine/upload_protocol.hpp"

#include "engine/attempt.hpp"
#include "engine/http_headers.hpp"
#include "engine/ietf_upload.hpp"
#include "engine/plain_upload.hpp"
#include "engine/tus_upload.hpp"

namespace ferry::engine {

std::unique_ptr<const UploadProtocol> makeUploadProtocol(const ResumableUpload& resumable) {
  switch (resumable.mode) {
    case ResumableMode::ietf:
      return std::make_unique<IetfUpload>(resumable.ietf_interop_version);
    case ResumableMode::tus:
      return std::make_unique<TusUpload>(resumable.tus_metadata);
    case ResumableMode::none:
      break;
  }
  return std::make_unique<PlainUpload>();
}

Error UploadProtocol::creationWithoutResource(long status, const std::string& url) const {
  return Error(errc::protocol, "The server answered " + describeStatus(status) + " to the creation request " + url +
                                   " without a usable Location.");
}

std::string findHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const auto& h : headers)
    if (equalsNoCase(h.name, name)) return h.value;
  return {};
}

}  // namespace ferry::engine
