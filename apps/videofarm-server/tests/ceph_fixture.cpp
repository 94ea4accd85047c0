#include "ceph_fixture.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vf::test {
namespace {
using namespace std::chrono_literals;
using ferry::test::Process;
using ferry::test::readFile;
using ferry::test::runCommand;

bool onPath(const std::string& program) {
  return runCommand({"sh", "-c", "command -v " + program}).exit_code == 0;
}

std::string randomUuid() { return ferry::test::readFile("/proc/sys/kernel/random/uuid").substr(0, 36); }

}  // namespace

std::string cephMissing() {
  for (const char* program : {"ceph-mon", "ceph-osd", "monmaptool", "ceph", "rados"}) {
    if (!onPath(program))
      return std::string(program) + " is not installed (scripts/install-deps.sh installs ceph-mon and ceph-osd)";
  }
  return "";
}

CephCluster::CephCluster() {
  const auto dir = dir_.path();
  conf_ = dir / "ceph.conf";
  const std::string fsid = randomUuid();
  const int port = ferry::test::freePort();
  for (const char* sub : {"mon.a", "osd.0", "run", "log"}) std::filesystem::create_directories(dir / sub);
  // Loopback and msgr v1 only; no cephx; one copy of everything; memstore. The client's timeouts
  // are short so that a stopped OSD turns into an error the tests can see in seconds.
  std::ofstream(conf_) << "[global]\n"
                       << "fsid = " << fsid << "\n"
                       << "mon host = v1:127.0.0.1:" << port << "\n"
                       << "public addr = 127.0.0.1\n"
                       << "ms bind msgr2 = false\n"
                       << "auth cluster required = none\nauth service required = none\nauth client required = none\n"
                       << "run dir = " << (dir / "run").string() << "\n"
                       << "mon data = " << dir.string() << "/mon.$id\n"
                       << "osd data = " << dir.string() << "/osd.$id\n"
                       << "osd objectstore = memstore\n"
                       << "memstore device bytes = 2147483648\n"
                       << "osd fast shutdown = false\n"
                       << "osd pool default size = 1\nosd pool default min size = 1\n"
                       << "osd pool default pg autoscale mode = off\n"
                       << "mon allow pool size one = true\nmon allow pool delete = true\n"
                       << "mon data avail warn = 1\nmon data avail crit = 0\n"
                       << "osd crush chooseleaf type = 0\n"
                       // Placed in the CRUSH map by us, before it starts: the OSD's own placement
                       // at start-up races with its first monitor map (a command sent with a zero
                       // fsid is refused, and the OSD gives up).
                       << "osd crush update on start = false\nosd class update on start = false\n"
                       << "[mon]\nadmin socket = " << (dir / "run").string() << "/$name.asok\n"
                       << "log file = " << (dir / "log").string() << "/$name.log\n"
                       << "[osd]\nadmin socket = " << (dir / "run").string() << "/$name.asok\n"
                       << "log file = " << (dir / "log").string() << "/$name.log\n"
                       // Clients (the servers, the ceph and rados tools) share one name: no
                       // admin socket and no log file of their own.
                       << "[client]\nadmin socket =\nlog file =\n";
  auto run = [&](const std::vector<std::string>& argv, const std::string& what) {
    auto r = runCommand(argv, {}, 60s);
    if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.out + logs());
  };
  run({"monmaptool", "--create", "--fsid", fsid, "--addv", "a", "[v1:127.0.0.1:" + std::to_string(port) + "]",
       (dir / "monmap").string()},
      "monmaptool");
  run({"ceph-mon", "-c", conf_.string(), "--mkfs", "-i", "a", "--monmap", (dir / "monmap").string()}, "ceph-mon --mkfs");
  mon_ = std::make_unique<Process>(
      Process::Options{{"ceph-mon", "-f", "-c", conf_.string(), "-i", "a"}, {}, dir / "mon.out", {}, std::nullopt});
  const std::string osd_uuid = randomUuid();
  auto created = ceph({"osd", "create", osd_uuid});
  if (created.exit_code != 0 || created.out.find('0') == std::string::npos)
    throw std::runtime_error("ceph osd create failed: " + created.out + logs());
  run({"ceph-osd", "-c", conf_.string(), "-i", "0", "--mkfs", "--osd-uuid", osd_uuid}, "ceph-osd --mkfs");
  auto placed = ceph({"osd", "crush", "add", "osd.0", "1.0", "host=vf", "root=default"});
  if (placed.exit_code != 0) throw std::runtime_error("ceph osd crush add failed: " + placed.out + logs());
  startOsd();
}

CephCluster::~CephCluster() {
  // The OSD first: a stopping OSD waits for the monitor's acknowledgement.
  if (osd_ && osd_->running()) {
    osd_->signal(SIGTERM);
    if (!osd_->wait(20s)) osd_->kill9AndWait();
  }
  if (mon_ && mon_->running()) {
    mon_->signal(SIGTERM);
    if (!mon_->wait(20s)) mon_->kill9AndWait();
  }
}

// Every command the fixture sends is idempotent, and tried up to five times: the ceph tool (like
// the OSD at start-up) now and then sends its first command before it has the monitor map, with
// a zero fsid, and the monitor refuses it ("problem getting command descriptions from mon").
ferry::test::CommandResult CephCluster::ceph(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"ceph", "-c", conf_.string(), "--connect-timeout", "20"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = runCommand(argv, {}, 60s);
  for (int attempt = 1; attempt < 5 && r.exit_code != 0; ++attempt) {
    std::this_thread::sleep_for(500ms);
    r = runCommand(argv, {}, 60s);
  }
  return r;
}

void CephCluster::startOsd() {
  osd_ = std::make_unique<Process>(Process::Options{
      {"ceph-osd", "-f", "-c", conf_.string(), "-i", "0"}, {}, dir_ / "osd.out", {}, std::nullopt});
  waitForOsdUp();
}

void CephCluster::stopOsd() {
  osd_->signal(SIGTERM);
  if (!osd_->wait(30s)) throw std::runtime_error("ceph-osd did not stop: " + logs());
}

void CephCluster::waitForOsdUp() {
  bool up = ferry::test::waitUntil(
      [&] { return ceph({"osd", "stat"}).out.find("1 up") != std::string::npos; }, 60s);
  if (!up) throw std::runtime_error("ceph-osd did not come up: " + logs());
}

void CephCluster::createPool(const std::string& pool) {
  auto r = ceph({"osd", "pool", "create", pool, "8", "8"});
  if (r.exit_code != 0) throw std::runtime_error("ceph osd pool create failed: " + r.out + logs());
  // Ready once an object can be written and removed (the placement groups are active).
  bool ready = ferry::test::waitUntil(
      [&] {
        return runCommand({"rados", "-c", conf_.string(), "-p", pool, "put", "probe", conf_.string()}, {}, 30s)
                       .exit_code == 0 &&
               runCommand({"rados", "-c", conf_.string(), "-p", pool, "rm", "probe"}, {}, 30s).exit_code == 0;
      },
      60s);
  if (!ready) throw std::runtime_error("the pool " + pool + " does not take objects: " + logs());
}

std::string CephCluster::blobStoreUrl(const std::string& pool, int op_timeout_s) const {
  auto conf = conf_;
  if (op_timeout_s > 0) {
    conf = dir_ / ("ceph-timeout-" + std::to_string(op_timeout_s) + ".conf");
    std::ofstream(conf) << readFile(conf_) << "rados osd op timeout = " << op_timeout_s
                        << "\nrados mon op timeout = " << op_timeout_s << "\n";
  }
  return "rados://" + pool + "?conf=" + conf.string() + "&id=admin";
}

std::vector<std::string> CephCluster::objects(const std::string& pool) const {
  auto r = runCommand({"rados", "-c", conf_.string(), "-p", pool, "ls"}, {}, 60s);
  for (int attempt = 1; attempt < 5 && r.exit_code != 0; ++attempt) {  // as ceph() above
    std::this_thread::sleep_for(500ms);
    r = runCommand({"rados", "-c", conf_.string(), "-p", pool, "ls"}, {}, 60s);
  }
  if (r.exit_code != 0) throw std::runtime_error("rados ls failed: " + r.out);
  std::vector<std::string> names;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) names.push_back(line);
  std::sort(names.begin(), names.end());
  return names;
}

std::string CephCluster::logs() const {
  std::string out;
  for (const char* name : {"mon.out", "osd.out", "log/mon.a.log", "log/osd.0.log"}) {
    auto text = readFile(dir_ / name);
    if (text.size() > 4000) text = text.substr(text.size() - 4000);
    out += "\n--- " + std::string(name) + " ---\n" + text;
  }
  return out;
}

}  // namespace vf::test
