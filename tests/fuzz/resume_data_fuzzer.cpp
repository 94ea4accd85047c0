// libFuzzer target: ResumeDataCodec::decode gets whatever an application hands back as resume
// data. It must refuse anything it did not make (a clear error, one of the documented codes),
// never crash, and accept only what carries our HMAC; and what it makes it must read back.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "daemon/resume_data.hpp"

using namespace ferry;

namespace {

const daemon::ResumeDataCodec& codec() {
  static const daemon::ResumeDataCodec instance = [] {
    auto dir = std::filesystem::temp_directory_path() / ("ferry-resume-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto c = daemon::ResumeDataCodec::open(dir / "resume.key");
    if (!c) std::abort();
    return std::move(*c);
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto decoded = codec().decode(input);
  // The fuzzer cannot forge our HMAC: nothing it makes may decode.
  if (decoded) __builtin_trap();
  if (decoded.error().code.empty() || decoded.error().message.empty()) __builtin_trap();
  // Anything we encode decodes to the same fields. (Field values reach encode() from JSON that
  // ferryd parsed, so they are valid UTF-8: printable ASCII stands in for them here.)
  std::string printable;
  for (unsigned char c : input) printable += static_cast<char>(' ' + c % 95);
  daemon::ResumeData made{codec().keyId(), printable.substr(0, 32), printable.substr(0, 16), printable, size};
  auto back = codec().decode(codec().encode(made));
  if (!back || back->token != made.token || back->session != made.session || back->url != made.url ||
      back->offset != made.offset)
    __builtin_trap();
  return 0;
}
