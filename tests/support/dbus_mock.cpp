#include "support/dbus_mock.hpp"

#include <stdexcept>

namespace ferry::test {

std::string systemPython() { return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

PrivateBus::PrivateBus(const std::filesystem::path& dir) : dir_(dir) {
  std::filesystem::create_directories(dir_);
  const auto socket = dir_ / "bus";
  address_ = "unix:path=" + socket.string();
  daemon_ = std::make_unique<Process>(Process::Options{
      {"dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=" + address_}, {}, dir_ / "dbus-daemon.log", {}, std::nullopt});
  if (!waitUntil([&] { return std::filesystem::exists(socket) && busctl({"status"}).exit_code == 0; }, std::chrono::seconds(10)))
    throw std::runtime_error("dbus-daemon did not start: " + readFile(dir_ / "dbus-daemon.log"));
}

PrivateBus::~PrivateBus() = default;

void PrivateBus::stop() {
  if (daemon_) daemon_->kill9AndWait();
  daemon_.reset();
}

CommandResult PrivateBus::busctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"busctl", "--address=" + address_};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, {}, std::chrono::seconds(20));
}

bool PrivateBus::hasOwner(const std::string& name) const {
  return busctl({"call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", name}).out ==
         "b true\n";
}

MockService::MockService(const PrivateBus& bus, const std::string& template_name, std::string name, const std::string& parameters)
    : bus_(bus), name_(std::move(name)) {
  std::vector<std::string> args{"--template", template_name};
  if (!parameters.empty()) args.insert(args.end(), {"--parameters", parameters});
  start(std::move(args));
}

MockService::MockService(const PrivateBus& bus, std::string name, const Plain& object) : bus_(bus), name_(std::move(name)) {
  start({"--session", name_, object.path, object.interface});
}

void MockService::start(std::vector<std::string> args) {
  std::vector<std::string> argv{systemPython(), "-m", "dbusmock"};
  argv.insert(argv.end(), args.begin(), args.end());
  // The templates of system services go to the system bus: this bus plays it (and the session bus).
  process_ = std::make_unique<Process>(Process::Options{
      argv, {{"DBUS_SYSTEM_BUS_ADDRESS", bus_.address()}, {"DBUS_SESSION_BUS_ADDRESS", bus_.address()}}, {}, {}, std::nullopt});
  if (!waitUntil([&] { return bus_.hasOwner(name_); }, std::chrono::seconds(20)))
    throw std::runtime_error("python3-dbusmock did not bring up " + name_ + " (is python3-dbusmock installed?)");
}

MockService::~MockService() { vanish(); }

void MockService::vanish() {
  if (process_) process_->kill9AndWait();
  process_.reset();
}

}  // namespace ferry::test
