#include "resumable_upload.hpp"

#include "handlers.hpp"

namespace vf {

namespace {
std::unique_ptr<RequestHandler> notYet() {
  return immediateProblem({http::status::not_implemented, "resumable uploads are not available yet", {}});
}
}  // namespace

std::unique_ptr<RequestHandler> makeIetfCreation(App&, std::string) { return notYet(); }
std::unique_ptr<RequestHandler> makeIetfUpload(App&, std::string) { return notYet(); }
std::unique_ptr<RequestHandler> makeIetfOptions(App&) { return notYet(); }

}  // namespace vf
