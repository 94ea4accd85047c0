#pragma once
// One short synchronous HTTP exchange over a libcurl easy handle (RAII), for the REST calls that
// are not worth a background task: list, get, prepare (multipart POST), delete, OPTIONS. Redirects
// are not followed here: the caller sees the 303 of POST /videos and follows it itself.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "videofarm/errors.hpp"

namespace videofarm {

struct HttpAnswer {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::optional<std::string> header(std::string_view name) const;  // lowercase name
};

// A multipart/form-data part: text, or a file streamed from disk by curl.
struct FormPart {
  std::string name;
  std::string text;
  std::optional<std::filesystem::path> file;
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<FormPart> form;  // non-empty: a multipart body
  std::chrono::seconds timeout{60};
  std::vector<std::string> headers;  // "Name: value" lines (Authorization)
  std::optional<std::string> json;   // a JSON body (Content-Type: application/json)
};

// Network failures come back as server-unreachable with curl's reason; any HTTP status is an
// answer (the caller decides what a 404 means). Bodies are capped at 16 MiB.
Result<HttpAnswer> perform(const HttpCall& call);

}  // namespace videofarm
