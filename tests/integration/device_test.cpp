// ferryd and the machine's state, through the system's own interfaces played by python3-dbusmock
// on a private bus (ferryd --system-bus): NetworkManager's Metered, UPower's OnBattery,
// power-profiles-daemon's ActiveProfile, logind's sleep inhibitor and PrepareForSleep; and what
// the bus may send that is wrong (a value of another type, a service that vanishes). Connectivity
// (rtnetlink) is tests/device/connectivity_test.sh, in a network namespace of its own.

#include <gtest/gtest.h>

#include "harness.hpp"
#include "support/dbus_mock.hpp"
#include "support/servers.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

constexpr std::uint64_t KiB = 1024;
constexpr const char* kNetworkManager = "org.freedesktop.NetworkManager";
constexpr const char* kUPower = "org.freedesktop.UPower";
constexpr const char* kProfiles = "net.hadess.PowerProfiles";
constexpr const char* kLogind = "org.freedesktop.login1";

class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_ = std::make_unique<PrivateBus>(dir_ / "bus");
    std::filesystem::create_directories(dir_ / "www");
    writeRandomFile(dir_ / "www/small.bin", 192 * KiB, 1);
    // At nginx's 512 KiB/s, four seconds: long enough to change the machine under it.
    writeRandomFile(dir_ / "www/big.bin", 2 * MiB, 2);
    nginx_ = std::make_unique<NginxServer>(NginxServer::Options{dir_ / "www", "512k", kNginxDavLocation});
  }

  void startFerryd(const std::string& system_bus = "") {
    if (ferryd_) ferryd_->terminate();
    control_.reset();
    std::filesystem::create_directories(dir_ / "d");  // where its log goes
    ferryd_ = std::make_unique<Ferryd>(dir_.path() / "d", std::vector<std::string>{"--system-bus", system_bus.empty() ? bus_->address() : system_bus,
                                                                                   "--session-bus", "none"});
    ferryd_->start();
    control_ = ferryd_->control();
  }

  // NetworkManager's manager object with a Metered property (the template has none).
  std::unique_ptr<MockService> networkManager(std::uint32_t metered) {
    auto nm = std::make_unique<MockService>(*bus_, "networkmanager", kNetworkManager);
    EXPECT_EQ(bus_->busctl({"call", kNetworkManager, "/org/freedesktop/NetworkManager", "org.freedesktop.DBus.Mock", "AddProperty",
                            "ssv", kNetworkManager, "Metered", "u", std::to_string(metered)})
                  .exit_code,
              0);
    return nm;
  }
  void setMetered(std::uint32_t metered) {
    ASSERT_EQ(bus_->busctl({"set-property", kNetworkManager, "/org/freedesktop/NetworkManager", kNetworkManager, "Metered", "u",
                            std::to_string(metered)})
                  .exit_code,
              0);
  }
  void setProperty(const std::string& service, const std::string& path, const std::string& property, const std::string& type,
                   const std::string& value) {
    ASSERT_EQ(bus_->busctl({"set-property", service, path, service, property, type, value}).exit_code, 0);
  }
  void prepareForSleep(bool going) {
    ASSERT_EQ(bus_->busctl({"call", kLogind, "/org/freedesktop/login1", "org.freedesktop.DBus.Mock", "EmitSignal", "sssav",
                            "org.freedesktop.login1.Manager", "PrepareForSleep", "b", "1", "b", going ? "true" : "false"})
                  .exit_code,
              0);
  }
  // logind's inhibitors as the mock lists them ("sleep ferryd ... delay").
  std::string inhibitors() {
    return bus_->busctl({"call", kLogind, "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "ListInhibitors"}).out;
  }

  // ferryctl download --detach with `flags`; the task's id.
  std::uint64_t download(const std::string& name, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args{"download", nginx_->url("/" + name), "-o", (dir_ / (name + ".out")).string()};
    args.insert(args.end(), flags.begin(), flags.end());
    return detached(args);
  }
  // ferryctl ARGS --detach; the task's id.
  std::uint64_t detached(std::vector<std::string> args) {
    args.push_back("--detach");
    auto r = ferryd_->ferryctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    // The id is the last line (the events of earlier tasks this attach collects come first).
    const auto last = r.out.find_last_of('\n', r.out.size() >= 2 ? r.out.size() - 2 : 0);
    const auto id_text = last == std::string::npos ? r.out : r.out.substr(last + 1);
    EXPECT_FALSE(id_text.empty() || id_text.find_first_not_of("0123456789\n") != std::string::npos) << r.out;
    return id_text.empty() || id_text.find_first_not_of("0123456789\n") != std::string::npos ? 0 : std::stoull(id_text);
  }
  std::optional<TaskInfo> task(std::uint64_t id) {
    auto tasks = control_->list();
    if (!tasks) return std::nullopt;
    for (const auto& t : *tasks)
      if (t.id == id) return t;
    return std::nullopt;
  }
  bool waitsFor(std::uint64_t id, const std::string& reason) {
    return waitUntil([&] {
      auto t = task(id);
      return t && t->waiting_for == reason;
    });
  }
  bool completed(std::uint64_t id, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    return waitUntil(
        [&] {
          auto t = task(id);
          return t && t->state == "completed";
        },
        timeout);
  }
  bool sameFile(const std::string& name) { return sha256File(dir_ / (name + ".out")) == sha256File(dir_ / "www" / name); }
  // The stored durable offset (what a restart resumes from), read from ferryd's database.
  std::int64_t storedOffset(std::uint64_t id) {
    const std::string offset = ferryd_->storedTaskColumn(id, "durable_offset");
    return offset.empty() ? -1 : std::stoll(offset);
  }

  TempDir dir_{"ferry-device"};
  std::unique_ptr<PrivateBus> bus_;
  std::unique_ptr<NginxServer> nginx_;
  std::unique_ptr<Ferryd> ferryd_;
  std::unique_ptr<Control> control_;
};

TEST_F(DeviceTest, StatusNamesTheSourcesItHasAndUnavailableForTheOthers) {
  auto nm = networkManager(2);
  MockService upower(*bus_, "upower", kUPower);
  MockService profiles(*bus_, "power_profiles_daemon", kProfiles);
  MockService logind(*bus_, "logind", kLogind);
  startFerryd();
  ASSERT_TRUE(waitUntil([&] {
    auto s = control_->status();
    return s && s->device.sleep_source == "logind" && s->device.power_sources.size() == 2 && !s->device.metered_source.empty();
  }));
  auto s = *control_->status();
  EXPECT_EQ(s.device.network_source, "rtnetlink");
  EXPECT_EQ(s.device.metered_source, "NetworkManager");
  EXPECT_EQ(s.device.power_sources, (std::vector<std::string>{"UPower", "power-profiles-daemon"}));
  EXPECT_EQ(s.device.network_cost, "unmetered");
  auto text = ferryd_->ferryctl({"status"});
  EXPECT_NE(text.out.find("sources: network: rtnetlink; metered: NetworkManager; power: UPower, power-profiles-daemon; sleep: logind"),
            std::string::npos)
      << text.out;

  // No bus at all: ferryd runs as before and says so.
  startFerryd("none");
  text = ferryd_->ferryctl({"status"});
  EXPECT_NE(text.out.find("sources: network: rtnetlink; metered: unavailable; power: unavailable; sleep: unavailable"), std::string::npos)
      << text.out;
  auto id = download("small.bin", {"--no-metered", "--requires-power"});
  EXPECT_TRUE(completed(id));
  EXPECT_TRUE(sameFile("small.bin"));
}

TEST_F(DeviceTest, MeteredHoldsOnlyTasksThatMayNotUseItAndLetsThemGoWhenUnmetered) {
  auto nm = networkManager(3);  // GUESS_YES: expensive
  startFerryd();
  ASSERT_TRUE(waitUntil([&] { return control_->status()->device.network_cost == "metered"; }));
  auto careful = download("big.bin", {"--no-metered"});
  auto ordinary = download("small.bin");
  EXPECT_TRUE(waitsFor(careful, "metered-network"));
  EXPECT_TRUE(completed(ordinary));
  EXPECT_TRUE(sameFile("small.bin"));
  EXPECT_EQ(task(careful)->bytes_written, 0u);
  EXPECT_EQ(nginx_->accessLog().find("/big.bin"), std::string::npos);  // never asked for

  // A restart while metered: ferryd has NetworkManager's answer before it restores the task, so
  // the task never starts, not even for a moment.
  startFerryd();
  EXPECT_TRUE(waitsFor(careful, "metered-network"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // nginx logs a request when it ends
  EXPECT_EQ(nginx_->accessLog().find("/big.bin"), std::string::npos);

  setMetered(2);  // NO
  EXPECT_TRUE(completed(careful));
  EXPECT_TRUE(sameFile("big.bin"));
  EXPECT_EQ(task(careful)->retries, 0u);
}

TEST_F(DeviceTest, MeteredMidTransferPausesAtACheckpointAndResumesWithRange) {
  auto nm = networkManager(2);
  startFerryd();
  auto id = download("big.bin", {"--no-metered"});
  ASSERT_TRUE(waitUntil([&] { return task(id) && task(id)->bytes_written >= 512 * KiB; }));
  setMetered(1);  // YES
  ASSERT_TRUE(waitsFor(id, "metered-network"));
  // Paused at a checkpoint: what it wrote is durable, in the store and in the partial file.
  const auto paused = task(id)->bytes_written;
  EXPECT_GT(paused, 0u);
  EXPECT_LT(paused, 2 * MiB);
  ASSERT_TRUE(waitUntil([&] { return storedOffset(id) == static_cast<std::int64_t>(paused); })) << storedOffset(id);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(task(id)->bytes_written, paused);  // and it stays paused

  setMetered(4);  // GUESS_NO
  ASSERT_TRUE(completed(id));
  EXPECT_TRUE(sameFile("big.bin"));
  const auto log = nginx_->accessLogOnceItHas("bytes=" + std::to_string(paused) + "-");
  EXPECT_NE(log.find("206 bytes=" + std::to_string(paused) + "-"), std::string::npos) << log;
}

// Without NetworkManager on the system bus, the NetworkMonitor portal on the session bus says
// whether the network is metered (GetMetered, asked again on its `changed` signal).
TEST_F(DeviceTest, ThePortalTellsTheCostWhereNetworkManagerIsAbsent) {
  const std::string portal = "org.freedesktop.portal.Desktop", path = "/org/freedesktop/portal/desktop",
                    monitor = "org.freedesktop.portal.NetworkMonitor";
  MockService desktop(*bus_, portal, MockService::Plain{path, monitor});
  auto getMetered = [&](const char* answer) {
    ASSERT_EQ(bus_->busctl({"call", portal, path, "org.freedesktop.DBus.Mock", "AddMethod", "sssss", monitor, "GetMetered", "", "b",
                            std::string("ret = ") + answer})
                  .exit_code,
              0);
  };
  getMetered("True");
  if (ferryd_) ferryd_->terminate();
  std::filesystem::create_directories(dir_ / "d");
  ferryd_ = std::make_unique<Ferryd>(dir_.path() / "d", std::vector<std::string>{"--system-bus", "none", "--session-bus", bus_->address()});
  ferryd_->start();
  control_ = ferryd_->control();
  ASSERT_TRUE(waitUntil([&] { return control_->status()->device.metered_source == "NetworkMonitor portal"; }));
  EXPECT_EQ(control_->status()->device.network_cost, "metered");
  auto careful = download("small.bin", {"--no-metered"});
  EXPECT_TRUE(waitsFor(careful, "metered-network"));
  getMetered("False");
  ASSERT_EQ(bus_->busctl({"call", portal, path, "org.freedesktop.DBus.Mock", "EmitSignal", "sssav", monitor, "changed", "", "0"}).exit_code, 0);
  EXPECT_TRUE(completed(careful));
  EXPECT_TRUE(sameFile("small.bin"));
}

TEST_F(DeviceTest, AnUploadWaitsForAnUnmeteredNetworkToo) {
  auto nm = networkManager(3);
  startFerryd();
  ASSERT_TRUE(waitUntil([&] { return control_->status()->device.network_cost == "metered"; }));
  auto id = detached({"upload", (dir_ / "www/small.bin").string(), nginx_->url("/dav/up.bin"), "--no-metered"});
  EXPECT_TRUE(waitsFor(id, "metered-network"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "www/dav/up.bin"));
  setMetered(2);
  EXPECT_TRUE(completed(id));
  EXPECT_EQ(sha256File(dir_ / "www/dav/up.bin"), sha256File(dir_ / "www/small.bin"));
}

TEST_F(DeviceTest, SessionThatDisallowsExpensiveNetworksHoldsItsTasks) {
  auto nm = networkManager(1);
  startFerryd();
  ASSERT_TRUE(waitUntil([&] { return control_->status()->device.network_cost == "constrained"; }));
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd_->config("careful").allowsExpensiveNetworkAccess(false), delegate);
  ASSERT_TRUE(session) << session.error().describe();
  DownloadOptions options;
  options.start = true;
  auto held = (*session)->downloadTask(Request(nginx_->url("/small.bin")), options);
  // A task that may use a metered network but not one the user marked metered (YES).
  auto other = Session::create(ferryd_->config("other"), delegate);
  ASSERT_TRUE(other);
  options.scheduling.allows_constrained_network_access = false;
  auto constrained = (*other)->downloadTask(Request(nginx_->url("/small.bin")), options);
  EXPECT_TRUE(waitsFor(held->identifier(), "metered-network"));
  EXPECT_TRUE(waitsFor(constrained->identifier(), "constrained-network"));
  setMetered(3);  // GUESS_YES: expensive, not constrained
  EXPECT_TRUE(delegate->waitForCompletion(constrained->identifier()));
  EXPECT_EQ(task(held->identifier())->waiting_for, "metered-network");
  setMetered(2);
  EXPECT_TRUE(delegate->waitForCompletion(held->identifier()));
  EXPECT_TRUE(delegate->completion(held->identifier())->ok());

  // In-process sessions do not watch the machine: they refuse what they could not keep.
  auto local = Session::create(Configuration::defaults().allowsExpensiveNetworkAccess(false));
  ASSERT_FALSE(local);
  EXPECT_TRUE(local.error().is(errc::invalid_argument)) << local.error().describe();
}

TEST_F(DeviceTest, OnBatteryHoldsDiscretionaryAndPowerRequiringTasks) {
  MockService upower(*bus_, "upower", kUPower, R"({"OnBattery": true})");
  startFerryd();
  ASSERT_TRUE(waitUntil([&] { return control_->status()->device.on_battery; }));
  auto discretionary = download("big.bin", {"--discretionary"});
  auto requires_power = download("small.bin", {"--requires-power"});
  EXPECT_TRUE(waitsFor(discretionary, "on-battery"));
  EXPECT_TRUE(waitsFor(requires_power, "on-battery"));
  auto ordinary = ferryd_->ferryctl({"download", nginx_->url("/small.bin"), "-o", (dir_ / "ordinary.out").string()});
  EXPECT_EQ(ordinary.exit_code, 0) << ordinary.out;
  EXPECT_EQ(sha256File(dir_ / "ordinary.out"), sha256File(dir_ / "www/small.bin"));
  auto listed = ferryd_->ferryctl({"list"});
  EXPECT_NE(listed.out.find("(waiting: on-battery)"), std::string::npos) << listed.out;

  setProperty(kUPower, "/org/freedesktop/UPower", "OnBattery", "b", "false");
  EXPECT_TRUE(completed(discretionary));
  EXPECT_TRUE(completed(requires_power));
  EXPECT_TRUE(sameFile("big.bin"));
  EXPECT_TRUE(sameFile("small.bin"));
}

TEST_F(DeviceTest, PowerSaverHoldsDiscretionaryTasks) {
  MockService profiles(*bus_, "power_profiles_daemon", kProfiles, R"({"ActiveProfile": "power-saver"})");
  startFerryd();
  ASSERT_TRUE(waitUntil([&] { return control_->status()->device.power_saver; }));
  auto discretionary = download("small.bin", {"--discretionary"});
  EXPECT_TRUE(waitsFor(discretionary, "power-saver"));
  setProperty(kProfiles, "/net/hadess/PowerProfiles", "ActiveProfile", "s", "balanced");
  EXPECT_TRUE(completed(discretionary));
  EXPECT_TRUE(sameFile("small.bin"));
}

TEST_F(DeviceTest, SleepCheckpointsReleasesTheInhibitorAndRestartsWithoutBackOff) {
  MockService logind(*bus_, "logind", kLogind);
  startFerryd();
  ASSERT_TRUE(waitUntil([&] { return control_->status()->device.sleep_source == "logind"; }));
  EXPECT_EQ(inhibitors().find("ferryd"), std::string::npos);  // nothing runs: no lock
  auto id = download("big.bin");
  ASSERT_TRUE(waitUntil([&] { return task(id) && task(id)->bytes_written >= 256 * KiB; }));
  ASSERT_TRUE(waitUntil([&] { return inhibitors().find("\"sleep\" \"ferryd\"") != std::string::npos; })) << inhibitors();
  EXPECT_NE(inhibitors().find("\"delay\""), std::string::npos) << inhibitors();

  prepareForSleep(true);
  ASSERT_TRUE(waitsFor(id, "sleep"));
  // The lock goes once the offsets are committed: by then the store has the bytes written.
  ASSERT_TRUE(waitUntil([&] { return inhibitors().find("ferryd") == std::string::npos; })) << inhibitors();
  const auto written = task(id)->bytes_written;
  EXPECT_GT(written, 0u);
  EXPECT_EQ(storedOffset(id), static_cast<std::int64_t>(written));
  EXPECT_EQ(std::filesystem::file_size(ferryd_->stateDir() / "partial" / (std::to_string(id) + ".part")), written);

  prepareForSleep(false);
  ASSERT_TRUE(waitUntil([&] { return task(id) && task(id)->bytes_written > written; }));
  EXPECT_TRUE(waitUntil([&] { return inhibitors().find("ferryd") != std::string::npos; }));  // held again while it runs
  ASSERT_TRUE(completed(id));
  EXPECT_TRUE(sameFile("big.bin"));
  EXPECT_EQ(task(id)->retries, 0u);  // no attempt failed, no back-off spent
  EXPECT_NE(nginx_->accessLogOnceItHas("bytes=" + std::to_string(written) + "-").find("206 bytes=" + std::to_string(written) + "-"),
            std::string::npos);
}

TEST_F(DeviceTest, WrongTypesAndVanishingServicesFallBackToUnknown) {
  auto nm = networkManager(1);
  MockService upower(*bus_, "upower", kUPower, R"({"OnBattery": true})");
  MockService logind(*bus_, "logind", kLogind);
  startFerryd();
  ASSERT_TRUE(waitUntil([&] { return control_->status()->device.network_cost == "constrained" && control_->status()->device.on_battery; }));
  auto careful = download("small.bin", {"--no-metered"});
  EXPECT_TRUE(waitsFor(careful, "metered-network"));

  // Metered as a string: unusable, so unknown (unmetered); the task goes on.
  ASSERT_EQ(bus_->busctl({"set-property", kNetworkManager, "/org/freedesktop/NetworkManager", kNetworkManager, "Metered", "s", "yes"})
                .exit_code,
            0);
  EXPECT_TRUE(completed(careful));
  EXPECT_TRUE(sameFile("small.bin"));
  auto s = *control_->status();
  EXPECT_EQ(s.device.network_cost, "unknown");
  EXPECT_EQ(s.device.metered_source, "");
  EXPECT_NE(ferryd_->log().find("NetworkManager sent Metered as another type"), std::string::npos);

  // PrepareForSleep with a string: ignored (logged); nothing sleeps.
  ASSERT_EQ(bus_->busctl({"call", kLogind, "/org/freedesktop/login1", "org.freedesktop.DBus.Mock", "EmitSignal", "sssav",
                          "org.freedesktop.login1.Manager", "PrepareForSleep", "s", "1", "s", "yes"})
                .exit_code,
            0);
  // UPower vanishes while on battery: power is unknown, so external; discretionary work goes on.
  auto discretionary = download("big.bin", {"--discretionary"});
  EXPECT_TRUE(waitsFor(discretionary, "on-battery"));
  upower.vanish();
  EXPECT_TRUE(completed(discretionary));
  EXPECT_TRUE(sameFile("big.bin"));
  EXPECT_NE(ferryd_->log().find("UPower left the bus"), std::string::npos);
  EXPECT_NE(ferryd_->log().find("PrepareForSleep carried no boolean"), std::string::npos);
  EXPECT_FALSE(control_->status()->device.sleeping);
  ASSERT_TRUE(ferryd_->running());

  // The bus itself dies: every source on it is unavailable; ferryd goes on without them.
  bus_->stop();
  ASSERT_TRUE(waitUntil([&] { return control_->status()->device.sleep_source.empty(); }));
  EXPECT_NE(ferryd_->log().find("lost the system bus"), std::string::npos);
  auto after = download("small.bin", {"--no-metered", "--requires-power"});
  EXPECT_TRUE(completed(after));
  EXPECT_TRUE(sameFile("small.bin"));
}

}  // namespace
