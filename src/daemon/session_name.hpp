#pragma once
// A task's session id, interned: every task of a session points at one copy of its name. ferryd
// keeps every task in memory and a session often has thousands of them (a std::string per task
// was 32 bytes inline, plus a heap copy for a name longer than 15 characters). The pool only
// grows, by one entry per distinct session name ferryd has seen since it started.

#include <string>
#include <string_view>

namespace ferry::daemon {

class SessionName {
 public:
  SessionName() : name_(&intern({})) {}
  SessionName(std::string_view name) : name_(&intern(name)) {}  // NOLINT: a name is a session name
  SessionName(const std::string& name) : SessionName(std::string_view(name)) {}  // NOLINT
  SessionName(const char* name) : SessionName(std::string_view(name)) {}  // NOLINT

  const std::string& str() const { return *name_; }
  operator const std::string&() const { return *name_; }  // NOLINT: used wherever a name is

  // One pointer per name: comparing two interned names compares their addresses.
  friend bool operator==(const SessionName& a, const SessionName& b) { return a.name_ == b.name_; }
  friend bool operator==(const SessionName& a, const std::string& b) { return *a.name_ == b; }
  friend bool operator==(const SessionName& a, std::string_view b) { return *a.name_ == b; }

 private:
  static const std::string& intern(std::string_view name);
  const std::string* name_;
};

}  // namespace ferry::daemon
