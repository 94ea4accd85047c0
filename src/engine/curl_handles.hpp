#pragma once
// RAII owners for libcurl handles, so that every exit path (errors, stop(), engine destruction)
// releases them exactly once.

#include <curl/curl.h>

#include <memory>

namespace ferry::engine {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct ShareDeleter {
  void operator()(CURLSH* share) const { curl_share_cleanup(share); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;
using ShareHandle = std::unique_ptr<CURLSH, ShareDeleter>;

// curl_slist_append returns a new head (or null on allocation failure, leaving the old list
// intact): keep ownership straight in one place.
inline bool appendHeader(HeaderList& list, const char* line) {
  curl_slist* head = curl_slist_append(list.get(), line);
  if (head == nullptr) return false;
  (void)list.release();
  list.reset(head);
  return true;
}

}  // namespace ferry::engine
