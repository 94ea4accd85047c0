// ferryctl get: one request in ferryctl's own process (a default session's data task), the body
// to standard output. No ferryd is needed or started.

#include <iostream>

#include "commands.hpp"
#include "ferry/session.hpp"

namespace ferry::cli {

int get(const Context& ctx, const GetArgs& args) {
  auto request = requestFor(args.url, args.headers);
  if (!request) return report(ctx, request.error());
  auto session = Session::create(Configuration::defaults());
  if (!session) return report(ctx, session.error());
  auto answer = (*session)->data(*request).get();
  if (!answer) return report(ctx, answer.error());
  if (args.fail && answer->status_code >= 400) {
    std::cerr << "ferryctl: the server answered " << answer->status_code << " for " << args.url << "\n";
    return kExitTaskFailed;
  }
  if (args.include) {
    std::cout << "HTTP " << answer->status_code << "\r\n";
    for (const auto& [name, value] : answer->headers) std::cout << name << ": " << value << "\r\n";
    std::cout << "\r\n";
  }
  std::cout.write(answer->body.data(), static_cast<std::streamsize>(answer->body.size()));
  std::cout.flush();
  return kExitOk;
}

}  // namespace ferry::cli
