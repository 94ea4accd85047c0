#pragma once
// One error style everywhere (docs/architecture.md, "Error handling"): failures a caller must
// handle come back as ferry::Result<T>; exceptions are only for programming errors and start-up
// failures. Every Error a user can see carries a stable code (kebab-case, never renamed once
// shipped) and a sentence that says what happened and what to do.
//
// Result is tl::expected (Debian's libexpected-dev, header-only): g++ 12 has no <expected> in
// C++20, and a hand-written copy would be a second expected for applications to learn. It is a
// public dependency of libferry (ferry.pc and FerryConfig.cmake name it).

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace ferry {

// Stable error codes. They travel over IPC and appear in ferryctl output and scripts.
namespace errc {
inline constexpr std::string_view invalid_argument = "invalid-argument";
inline constexpr std::string_view bad_url = "bad-url";
inline constexpr std::string_view unsupported_scheme = "unsupported-scheme";
inline constexpr std::string_view http_error = "http-error";          // a permanent 4xx
inline constexpr std::string_view tls = "tls";
inline constexpr std::string_view network = "network";                // connection refused/reset, DNS
inline constexpr std::string_view timeout = "timeout";                // stall detected
inline constexpr std::string_view resource_timeout = "resource-timeout";  // gave up retrying
inline constexpr std::string_view cancelled = "cancelled";
inline constexpr std::string_view io = "io";
inline constexpr std::string_view no_space = "no-space";
inline constexpr std::string_view not_found = "not-found";
inline constexpr std::string_view already_attached = "already-attached";
inline constexpr std::string_view not_attached = "not-attached";
inline constexpr std::string_view protocol = "protocol";
inline constexpr std::string_view version_mismatch = "version-mismatch";
inline constexpr std::string_view resume_data_invalid = "resume-data-invalid";
inline constexpr std::string_view resume_data_foreign = "resume-data-foreign";
inline constexpr std::string_view resume_data_stale = "resume-data-stale";
inline constexpr std::string_view permission_denied = "permission-denied";
inline constexpr std::string_view daemon_unavailable = "daemon-unavailable";
inline constexpr std::string_view invalid_state = "invalid-state";
inline constexpr std::string_view session_invalidated = "session-invalidated";
inline constexpr std::string_view internal = "internal";
// Uploads: the source file changed (size, mtime or inode) since the job was made.
inline constexpr std::string_view source_changed = "source-changed";
// Uploads: a streamed body would have to be sent again (retry, 307/308): ask for a new stream.
inline constexpr std::string_view needs_new_body_stream = "needs-new-body-stream";
// Data tasks (in-process sessions): the answer's body is larger than the session's limit.
inline constexpr std::string_view too_large = "too-large";
// Downloads: the bytes do not match the expected digest or the server's Repr-Digest/Digest, also
// after one more fetch from zero (the message names both digests).
inline constexpr std::string_view integrity = "integrity";
}  // namespace errc

struct Error {
  std::string code;     // one of ferry::errc
  std::string message;  // a sentence for a person: what happened, what to do

  Error() = default;
  Error(std::string_view c, std::string m) : code(c), message(std::move(m)) {}

  std::string describe() const { return code + ": " + message; }
  bool is(std::string_view c) const { return code == c; }
  bool operator==(const Error&) const = default;
};

template <class T>
using Result = tl::expected<T, Error>;

// The failure of a Result<T>: `return fail(errc::not_found, "no video 42 on the server");`
inline tl::unexpected<Error> fail(std::string_view code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}

}  // namespace ferry
