// libFuzzer target: the streaming multipart parser must never crash, hold unbounded memory, or
// give a different result when the same body arrives in different pieces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "multipart_parser.hpp"

namespace {

// Records what the parser reported. Data events may be split differently by different cuts, so
// a part's data is kept as one concatenation; the log is then comparable however the body was cut.
struct Recorder : vf::MultipartHandler {
  struct Part {
    std::string headers;
    std::string data;
    bool ended = false;
    bool operator==(const Part&) const = default;
  };
  std::vector<Part> parts;
  ferry::Result<void> onPartBegin(const vf::PartHeaders& h) override {
    parts.push_back({h.name + "|" + h.filename.value_or("-") + "|" + h.content_type, {}, false});
    return {};
  }
  ferry::Result<void> onPartData(std::string_view d) override {
    if (parts.empty() || parts.back().ended) __builtin_trap();  // data outside a part
    parts.back().data.append(d);
    return {};
  }
  ferry::Result<void> onPartEnd() override {
    if (parts.empty() || parts.back().ended) __builtin_trap();  // end without a begin
    parts.back().ended = true;
    return {};
  }
};

std::vector<Recorder::Part> run(const std::string& body, const std::vector<size_t>& cuts, bool& ok) {
  Recorder r;
  vf::MultipartParser parser("fuzzBOUNDARY", r, vf::MultipartLimits{256, 6});
  size_t at = 0;
  ok = true;
  for (size_t cut : cuts) {
    if (cut <= at || cut > body.size()) continue;
    if (!parser.feed(std::string_view(body).substr(at, cut - at))) ok = false;
    at = cut;
  }
  if (!parser.feed(std::string_view(body).substr(at))) ok = false;
  if (ok && !parser.finish()) ok = false;
  return r.parts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first byte seeds where the body is cut into pieces.
  unsigned step = data[0] % 13 + 1;
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<size_t> cuts;
  for (size_t c = step; c < body.size(); c += step + (c % 7)) cuts.push_back(c);
  bool whole_ok = false;
  bool split_ok = false;
  auto whole = run(body, {}, whole_ok);
  auto split = run(body, cuts, split_ok);
  if (whole_ok != split_ok) __builtin_trap();
  if (whole_ok && whole != split) __builtin_trap();
  return 0;
}
