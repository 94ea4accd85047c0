#pragma once
// Cookies kept in memory for the life of one engine and shared by all its transfers, as
// URLSession's default configuration keeps them: a Set-Cookie answer to one task is sent back by
// the next task to that site. Nothing is written to disk. An in-process default session gives its
// engine one (EngineOptions::cookies); ephemeral sessions and ferryd give none, and then no
// cookie is kept at all.
//
// Only the engine's transfer thread attaches handles and transfers, so the libcurl share needs no
// lock callbacks. The jar must outlive every handle attached to it (EngineOptions is declared
// before the engine's jobs, so it is destroyed after them).

#include <curl/curl.h>

#include "engine/curl_handles.hpp"

namespace ferry::engine {

class CookieJar {
 public:
  CookieJar();  // throws std::bad_alloc when libcurl cannot make the share
  CookieJar(const CookieJar&) = delete;
  CookieJar& operator=(const CookieJar&) = delete;

  // Makes `easy` send the jar's cookies that match its URL and keep the ones it is given.
  CURLcode attach(CURL* easy) const;

 private:
  ShareHandle share_;
};

}  // namespace ferry::engine
