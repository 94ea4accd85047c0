#pragma once
// How an upload treats redirects and which resumable-upload protocol it speaks. The names on the
// wire and in the store ("follow", "ietf", ...) are the protocol's (protocol/upload_spec.hpp).

namespace ferry::model {

// How 3xx answers are treated. Uploads follow redirects themselves (not curl), per RFC 9110
// §15.4: 303 turns any method but HEAD into a GET without body; 301/302 turn POST into GET
// without body (what browsers and curl do) and keep any other method and its body; 307/308 keep
// method and body. Authorization and Cookie headers are dropped when the origin changes. At most
// 10 redirects.
enum class RedirectPolicy {
  follow,  // default
  refuse,  // the 3xx is the final answer: delivered with its status, headers and body, no error
  ask,     // the owner is asked (willPerformHTTPRedirection) and the job waits for its decision
};

enum class ResumableMode {
  none,  // a failed attempt starts again from byte 0 (didRestartUpload says so)
  ietf,  // IETF "Resumable Uploads for HTTP" (interop version 8 by default, 6 selectable)
  tus,   // tus 1.0.0 core + creation: POST request.url, then PATCH the upload URL
};

}  // namespace ferry::model
