#include "videofarm/http_call.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace videofarm {

namespace {

constexpr std::size_t kMaxBody = 16 << 20;

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct MimeDeleter {
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Mime = std::unique_ptr<curl_mime, MimeDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Received {
  HttpAnswer answer;
  bool too_big = false;
};

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Received*>(user);
  if (r->answer.body.size() + size * n > kMaxBody) {
    r->too_big = true;
    return 0;
  }
  r->answer.body.append(data, size * n);
  return size * n;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Received*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) r->answer.headers.clear();  // a new response (after 1xx)
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string value = line.substr(colon + 1);
  auto first = value.find_first_not_of(" \t");
  auto last = value.find_last_not_of(" \t\r\n");
  value = first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
  r->answer.headers.emplace_back(std::move(name), std::move(value));
  return size * n;
}

}  // namespace

std::optional<std::string> HttpAnswer::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (n == name) return v;
  return std::nullopt;
}

Result<HttpAnswer> perform(const HttpCall& call) {
  globalInit();
  Easy easy(curl_easy_init());
  if (!easy) return fail(errc::internal, "libcurl could not make a handle");
  CURL* h = easy.get();
  Received received;
  char error_text[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(call.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &received);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &received);
  Slist headers(curl_slist_append(nullptr, "Accept: application/json"));
  for (const auto& line : call.headers) headers.reset(curl_slist_append(headers.release(), line.c_str()));
  if (call.json) {
    headers.reset(curl_slist_append(headers.release(), "Content-Type: application/json"));
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.json->size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.json->data());
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  Mime mime;
  if (!call.form.empty()) {
    mime.reset(curl_mime_init(h));
    for (const auto& part : call.form) {
      curl_mimepart* p = curl_mime_addpart(mime.get());
      curl_mime_name(p, part.name.c_str());
      if (part.file) {
        if (curl_mime_filedata(p, part.file->c_str()) != CURLE_OK)
          return fail(errc::io, "cannot read " + part.file->string());
      } else {
        curl_mime_data(p, part.text.data(), part.text.size());
      }
    }
    curl_easy_setopt(h, CURLOPT_MIMEPOST, mime.get());
  }
  if (call.method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  else if (call.method != "GET" && !(call.method == "POST" && (!call.form.empty() || call.json)))
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  CURLcode rc = curl_easy_perform(h);
  if (received.too_big)
    return fail(errc::bad_answer, "the server at " + call.url + " answered with more than 16 MiB; not a VideoFarm answer");
  if (rc != CURLE_OK) {
    std::string why = error_text[0] ? error_text : curl_easy_strerror(rc);
    if (rc == CURLE_READ_ERROR) return fail(errc::io, "could not read a file to send: " + why);
    return fail(errc::server_unreachable, "cannot reach the VideoFarm server (" + call.method + " " + call.url + "): " + why);
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &received.answer.status);
  return std::move(received.answer);
}

}  // namespace videofarm
