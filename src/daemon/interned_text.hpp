#pragma once
// A short text that many tasks share, interned: every task with the same text points at one copy
// of it. ferryd keeps every task in memory, and a std::string per task was 32 bytes inline (plus a
// heap copy past 15 characters). Used for a task's session name (a session often has thousands of
// tasks) and for why it waits (a handful of values: "queued", "concurrency-limit", "suspended",
// "retry-backoff 30s", ...). The pool only grows, by one entry per distinct text ferryd has seen
// since it started.

#include <string>
#include <string_view>

namespace ferry::daemon {

class InternedText {
 public:
  InternedText() : text_(&intern({})) {}
  InternedText(std::string_view text) : text_(&intern(text)) {}  // NOLINT: a text is a text
  InternedText(const std::string& text) : InternedText(std::string_view(text)) {}  // NOLINT
  InternedText(const char* text) : InternedText(std::string_view(text)) {}  // NOLINT

  const std::string& str() const { return *text_; }
  operator const std::string&() const { return *text_; }  // NOLINT: used wherever a text is
  bool empty() const { return text_->empty(); }
  void clear() { *this = InternedText(); }

  // One pointer per text: comparing two interned texts compares their addresses.
  friend bool operator==(const InternedText& a, const InternedText& b) { return a.text_ == b.text_; }
  friend bool operator==(const InternedText& a, const std::string& b) { return *a.text_ == b; }
  friend bool operator==(const InternedText& a, std::string_view b) { return *a.text_ == b; }
  friend bool operator==(const InternedText& a, const char* b) { return *a.text_ == b; }

 private:
  static const std::string& intern(std::string_view text);
  const std::string* text_;
};

// A task's session id.
using SessionName = InternedText;

}  // namespace ferry::daemon
