#include "handlers.hpp"

namespace vf {

std::unique_ptr<RequestHandler> immediate(ImmediateHandler::Fn fn) {
  return std::make_unique<ImmediateHandler>(std::move(fn));
}

std::unique_ptr<RequestHandler> immediateProblem(Problem p) {
  return immediate([p = std::move(p)](const RequestHeader&) { return errorResponse(p); });
}

}  // namespace vf
