// The web page's static files, from --web-dir. Only plain names are served (no sub-folders, no
// dot files), so no request can reach outside the folder.
#include "file_response.hpp"
#include "handlers.hpp"

namespace vf {
namespace {

std::string typeOf(const std::string& name) {
  auto dot = name.rfind('.');
  std::string ext = dot == std::string::npos ? "" : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "png") return "image/png";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "json") return "application/json";
  return "application/octet-stream";
}

bool isPlainName(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.size() > 100) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Response getStaticFile(App& app, const RequestHeader& req, const std::string& name) {
  if (!isPlainName(name)) return errorResponse({http::status::not_found, "no such page", {}});
  return fileResponse(req, app.config.web_dir / name, {typeOf(name), "no-cache", false});
}

}  // namespace vf
