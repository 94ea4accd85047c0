// The C API's error codes and per-thread last error (ferry/ferry.h, "Errors"), and the memory it
// hands out.

#include <array>
#include <cstdlib>
#include <cstring>

#include "handles.hpp"

namespace ferry::c_api {

namespace {
// Indexed by ferry_code: the numbers are ABI and never change, so new codes go at the end.
constexpr std::array<std::string_view, 29> kCodeNames = {
    "ok",                     errc::invalid_argument, errc::bad_url,          errc::unsupported_scheme,
    errc::http_error,         errc::tls,              errc::network,          errc::timeout,
    errc::resource_timeout,   errc::cancelled,        errc::io,               errc::no_space,
    errc::not_found,          errc::already_attached, errc::not_attached,     errc::protocol,
    errc::version_mismatch,   errc::resume_data_invalid, errc::resume_data_foreign, errc::resume_data_stale,
    errc::permission_denied,  errc::daemon_unavailable, errc::invalid_state,  errc::session_invalidated,
    errc::internal,           errc::source_changed,   errc::needs_new_body_stream, errc::too_large,
    errc::integrity,
};
static_assert(kCodeNames.size() == FERRY_E_INTEGRITY + 1, "every ferry_code has a name");

struct LastError {
  ferry_code code = FERRY_OK;
  std::string message;
};
thread_local LastError last_error;
}  // namespace

ferry_code codeOf(std::string_view name) {
  for (std::size_t i = 1; i < kCodeNames.size(); ++i)
    if (kCodeNames[i] == name) return static_cast<ferry_code>(i);
  return FERRY_E_INTERNAL;
}

const char* nameOf(ferry_code code) {
  auto index = static_cast<std::size_t>(code);
  // Every name is a string literal (errc's are constexpr views of literals): NUL-terminated.
  return index < kCodeNames.size() ? kCodeNames[index].data() : "unknown";
}

ferry_code succeed() {
  last_error = {};
  return FERRY_OK;
}

ferry_code failWith(const Error& error) {
  last_error.code = codeOf(error.code);
  last_error.message = error.message;
  return last_error.code;
}

std::string required(const char* text, const char* what) {
  if (!text) throw Refusal{Error(errc::invalid_argument, std::string(what) + " is NULL")};
  return text;
}

char* copyOut(std::string_view bytes) {
  // One byte more, so that text is also NUL-terminated for C.
  auto* memory = static_cast<char*>(std::malloc(bytes.size() + 1));
  if (!memory) throw std::bad_alloc();
  if (!bytes.empty()) std::memcpy(memory, bytes.data(), bytes.size());
  memory[bytes.size()] = '\0';
  return memory;
}

}  // namespace ferry::c_api

using namespace ferry::c_api;

extern "C" {

const char* ferry_code_name(ferry_code code) { return nameOf(code); }
const char* ferry_last_error_message(void) { return last_error.message.c_str(); }
ferry_code ferry_last_error_code(void) { return last_error.code; }
void ferry_free(void* memory) { std::free(memory); }
const char* ferry_version(void) { return FERRY_VERSION; }

}  // extern "C"
