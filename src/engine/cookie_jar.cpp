#include "engine/cookie_jar.hpp"

#include <new>

namespace ferry::engine {

CookieJar::CookieJar() : share_(curl_share_init()) {
  if (!share_ || curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE) != CURLSHE_OK)
    throw std::bad_alloc();
}

CURLcode CookieJar::attach(CURL* easy) const {
  // An empty cookie file turns libcurl's cookie engine on without reading any file; the share
  // makes the store one for all handles instead of one per handle.
  CURLcode rc = curl_easy_setopt(easy, CURLOPT_COOKIEFILE, "");
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_SHARE, share_.get());
  return rc;
}

}  // namespace ferry::engine
