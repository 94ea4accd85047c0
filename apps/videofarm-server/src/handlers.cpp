#include "handlers.hpp"

#include <spdlog/spdlog.h>

namespace vf {

std::unique_ptr<RequestHandler> immediate(ImmediateHandler::Fn fn) {
  return std::make_unique<ImmediateHandler>(std::move(fn));
}

std::unique_ptr<RequestHandler> immediateProblem(Problem p) {
  return immediate([p = std::move(p)](const RequestHeader&) { return errorResponse(p); });
}

Problem storeProblem(const ferry::Error& error, const std::string& doing) {
  spdlog::error("blob store: cannot {}: {}", doing, error.describe());
  if (error.is(ferry::errc::timeout) || error.is(ferry::errc::network))
    return {http::status::service_unavailable,
            "the object store is not answering (" + error.message + "); cannot " + doing, {{http::field::retry_after, "5"}}};
  if (error.is(ferry::errc::no_space))
    return {http::status::insufficient_storage, "the object store is full; cannot " + doing, {}};
  return {http::status::internal_server_error, "the object store failed; cannot " + doing, {}};
}

Problem uploadBusy(std::uint64_t durable_offset) {
  return {http::status::conflict,
          "another request is appending to this upload (here or on another instance); it is at offset " +
              std::to_string(durable_offset) + " now: ask for its offset (HEAD) again and resume from there",
          {{"Upload-Offset", std::to_string(durable_offset)}}};
}

}  // namespace vf
