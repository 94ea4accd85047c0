#pragma once
// A private D-Bus for a test and python3-dbusmock services on it: what ferryd takes for the
// system bus (ferryd --system-bus ADDRESS), with NetworkManager, UPower, power-profiles-daemon
// and logind played by dbusmock's templates. Each service is its own process, so a test can make
// one vanish. busctl drives them (set-property, the mocks' org.freedesktop.DBus.Mock methods).

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace ferry::test {

class PrivateBus {
 public:
  // Starts dbus-daemon (a session-type bus listening in `dir`); throws when it does not come up.
  explicit PrivateBus(const std::filesystem::path& dir);
  ~PrivateBus();
  const std::string& address() const { return address_; }
  // busctl --address=<this bus> ARGS...; exit code and standard output.
  CommandResult busctl(const std::vector<std::string>& args) const;
  // Whether `name` has an owner on the bus now.
  bool hasOwner(const std::string& name) const;
  // The bus daemon goes away (SIGKILL), and every connection to it with it.
  void stop();

 private:
  std::filesystem::path dir_;
  std::string address_;
  std::unique_ptr<Process> daemon_;
};

class MockService {
 public:
  // python3 -m dbusmock --template `template_name` (its service `name`), with the template's
  // `parameters` (JSON), on `bus`; waits until the name is owned.
  MockService(const PrivateBus& bus, const std::string& template_name, std::string name, const std::string& parameters = "");
  // A plain mock: python3 -m dbusmock NAME PATH INTERFACE (methods added with busctl and the
  // mock's AddMethod).
  struct Plain {
    std::string path;
    std::string interface;
  };
  MockService(const PrivateBus& bus, std::string name, const Plain& object);
  ~MockService();
  // The service leaves the bus (SIGKILL: no goodbye).
  void vanish();
  const std::string& name() const { return name_; }

 private:
  void start(std::vector<std::string> args);
  const PrivateBus& bus_;
  std::string name_;
  std::unique_ptr<Process> process_;
};

// The Python with python3-dbusmock: Debian's (/usr/bin/python3), not whatever python3 is first
// in PATH.
std::string systemPython();

}  // namespace ferry::test
