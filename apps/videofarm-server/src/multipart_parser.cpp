#include "multipart_parser.hpp"
#include "ows.hpp"

#include <algorithm>
#include <cctype>

namespace vf {
namespace {

using ferry::Result;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isBoundaryChar(char c) {
  // RFC 2046 bchars.
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// Splits "a; b=c; d=\"e;f\"" into parameters; returns the value of `key` (case-insensitive).
std::optional<std::string> headerParameter(std::string_view value, std::string_view key) {
  size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string name = lower(trimOws(value.substr(i, eq - i)));
    size_t v = eq + 1;
    std::string out;
    size_t next;
    if (v < value.size() && value[v] == '"') {
      size_t j = v + 1;
      for (; j < value.size() && value[j] != '"'; ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        out += value[j];
      }
      if (j >= value.size()) return std::nullopt;  // unterminated quote
      next = value.find(';', j + 1);
    } else {
      next = value.find(';', v);
      out = std::string(trimOws(value.substr(v, next == std::string_view::npos ? next : next - v)));
    }
    if (name == key) return out;
    i = next;
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> multipartBoundary(std::string_view content_type) {
  auto semi = content_type.find(';');
  if (lower(trimOws(content_type.substr(0, semi))) != "multipart/form-data")
    return ferry::fail(ferry::errc::invalid_argument,
                       "the body must be multipart/form-data (send the form as a file upload form)");
  auto boundary = headerParameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70)
    return ferry::fail(ferry::errc::invalid_argument,
                       "multipart/form-data needs a boundary parameter of 1 to 70 characters");
  if (!std::all_of(boundary->begin(), boundary->end(), isBoundaryChar) || boundary->back() == ' ')
    return ferry::fail(ferry::errc::invalid_argument, "the multipart boundary has characters RFC 2046 forbids");
  return *boundary;
}

Result<PartHeaders> parsePartHeaders(std::string_view block) {
  PartHeaders headers;
  bool disposition = false;
  while (!block.empty()) {
    auto eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return ferry::fail(ferry::errc::invalid_argument, "a multipart part has a malformed header line");
    std::string name = lower(trimOws(line.substr(0, colon)));
    std::string_view value = trimOws(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (lower(trimOws(value.substr(0, value.find(';')))) != "form-data")
        return ferry::fail(ferry::errc::invalid_argument, "a multipart part is not form-data");
      auto n = headerParameter(value, "name");
      if (!n || n->empty())
        return ferry::fail(ferry::errc::invalid_argument, "a multipart part has no field name");
      headers.name = *n;
      headers.filename = headerParameter(value, "filename");
      disposition = true;
    } else if (name == "content-type") {
      headers.content_type = std::string(value);
    }
  }
  if (!disposition)
    return ferry::fail(ferry::errc::invalid_argument, "a multipart part has no Content-Disposition header");
  return headers;
}

MultipartParser::MultipartParser(std::string boundary, MultipartHandler& handler, MultipartLimits limits)
    : delimiter_("\r\n--" + boundary), handler_(handler), limits_(limits) {
  // The first delimiter may start the body without a preceding CRLF: pretend one was there.
  pending_ = "\r\n";
}

Result<void> MultipartParser::failWith(std::string message) {
  state_ = State::Failed;
  error_ = std::move(message);
  return ferry::fail(ferry::errc::invalid_argument, error_);
}

Result<void> MultipartParser::feed(std::string_view bytes) {
  if (state_ == State::Failed) return ferry::fail(ferry::errc::invalid_argument, error_);
  if (state_ == State::Epilogue) return {};  // the epilogue is ignored
  pending_.append(bytes);
  bool progressed = true;
  while (progressed && state_ != State::Epilogue) {
    progressed = false;
    auto r = step(progressed);
    if (!r) {
      if (state_ != State::Failed) return failWith(r.error().message);
      return r;
    }
  }
  if (state_ == State::Epilogue) pending_.clear();
  return {};
}

Result<void> MultipartParser::finish() {
  if (state_ == State::Failed) return ferry::fail(ferry::errc::invalid_argument, error_);
  if (state_ != State::Epilogue)
    return failWith("the multipart body ended before its closing boundary (truncated upload?)");
  return {};
}

Result<void> MultipartParser::step(bool& progressed) {
  switch (state_) {
    case State::Preamble: return stepPreamble(progressed);
    case State::AfterDelimiter: return stepAfterDelimiter(progressed);
    case State::PartHeaders: return stepHeaders(progressed);
    case State::PartBody: return stepBody(progressed);
    case State::Epilogue:
    case State::Failed: return {};
  }
  return {};
}

Result<void> MultipartParser::stepPreamble(bool& progressed) {
  auto at = pending_.find(delimiter_);
  if (at == std::string::npos) {
    // Keep only what could be the start of a delimiter.
    if (pending_.size() >= delimiter_.size()) pending_.erase(0, pending_.size() - (delimiter_.size() - 1));
    return {};
  }
  pending_.erase(0, at + delimiter_.size());
  state_ = State::AfterDelimiter;
  progressed = true;
  return {};
}

Result<void> MultipartParser::stepAfterDelimiter(bool& progressed) {
  // After a delimiter: "--" closes the body; otherwise optional transport padding, then CRLF.
  if (pending_.size() < 2) return {};
  if (pending_.compare(0, 2, "--") == 0) {
    state_ = State::Epilogue;
    progressed = true;
    return {};
  }
  size_t i = 0;
  while (i < pending_.size() && (pending_[i] == ' ' || pending_[i] == '\t')) ++i;
  if (i > 64) return failWith("a multipart delimiter is followed by too much padding");
  if (pending_.size() < i + 2) return {};
  if (pending_.compare(i, 2, "\r\n") != 0) return failWith("a multipart delimiter is not followed by CRLF");
  pending_.erase(0, i + 2);
  if (++parts_ > limits_.max_parts)
    return failWith("the form has more than " + std::to_string(limits_.max_parts) + " parts");
  state_ = State::PartHeaders;
  progressed = true;
  return {};
}

Result<void> MultipartParser::stepHeaders(bool& progressed) {
  size_t end;
  size_t skip;
  if (pending_.size() >= 2 && pending_.compare(0, 2, "\r\n") == 0) {
    end = 0;  // a part without headers
    skip = 2;
  } else {
    end = pending_.find("\r\n\r\n");
    skip = 4;
  }
  if (end == std::string::npos) {
    // Up to three bytes of the blank line may already be here ("\r\n\r"), so the block is only
    // known to be too large once more than limit + 3 bytes are waiting; judging earlier would
    // make the answer depend on how the body was cut into reads.
    if (pending_.size() > limits_.max_part_header_bytes + 3)
      return failWith("a multipart part's headers are larger than " +
                      std::to_string(limits_.max_part_header_bytes) + " bytes");
    return {};
  }
  if (end > limits_.max_part_header_bytes)
    return failWith("a multipart part's headers are larger than " +
                    std::to_string(limits_.max_part_header_bytes) + " bytes");
  auto headers = parsePartHeaders(std::string_view(pending_).substr(0, end));
  if (!headers) return failWith(headers.error().message);
  pending_.erase(0, end + skip);
  if (auto r = handler_.onPartBegin(*headers); !r) return failWith(r.error().message);
  state_ = State::PartBody;
  progressed = true;
  return {};
}

Result<void> MultipartParser::stepBody(bool& progressed) {
  auto at = pending_.find(delimiter_);
  if (at == std::string::npos) {
    // Hand out all but what could be the beginning of the delimiter.
    if (pending_.size() >= delimiter_.size()) {
      size_t n = pending_.size() - (delimiter_.size() - 1);
      if (auto r = handler_.onPartData(std::string_view(pending_).substr(0, n)); !r)
        return failWith(r.error().message);
      pending_.erase(0, n);
    }
    return {};
  }
  if (at > 0) {
    if (auto r = handler_.onPartData(std::string_view(pending_).substr(0, at)); !r)
      return failWith(r.error().message);
  }
  if (auto r = handler_.onPartEnd(); !r) return failWith(r.error().message);
  pending_.erase(0, at + delimiter_.size());
  state_ = State::AfterDelimiter;
  progressed = true;
  return {};
}

}  // namespace vf
