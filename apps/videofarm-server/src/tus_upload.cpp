#include "tus_upload.hpp"

#include "handlers.hpp"

namespace vf {

namespace {
std::unique_ptr<RequestHandler> notYet() {
  return immediateProblem({http::status::not_implemented, "tus uploads are not available yet", {}});
}
}  // namespace

std::unique_ptr<RequestHandler> makeTusCreation(App&, std::string) { return notYet(); }
std::unique_ptr<RequestHandler> makeTusUpload(App&, std::string) { return notYet(); }
std::unique_ptr<RequestHandler> makeTusOptions(App&) { return notYet(); }

}  // namespace vf
