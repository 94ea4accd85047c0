#pragma once
// Splits a byte stream into lines, refusing lines longer than a bound (so a peer that never sends
// a newline cannot make us buffer without limit).

#include <optional>
#include <string>
#include <string_view>

namespace ferry::protocol {

class LineBuffer {
 public:
  explicit LineBuffer(std::size_t max_line) : max_line_(max_line) {}

  void append(std::string_view bytes) { data_.append(bytes); }

  // The next complete line without its '\n', or nullopt when none is complete yet.
  std::optional<std::string> next() {
    auto nl = data_.find('\n', scanned_);
    if (nl == std::string::npos) {
      scanned_ = data_.size();
      return std::nullopt;
    }
    std::string line = data_.substr(0, nl);
    data_.erase(0, nl + 1);
    scanned_ = 0;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

  // True when the unfinished line already exceeds the bound: the peer is misbehaving.
  bool overflowed() const { return data_.size() > max_line_ && data_.find('\n') == std::string::npos; }

 private:
  std::size_t max_line_;
  std::string data_;
  std::size_t scanned_ = 0;
};

}  // namespace ferry::protocol
