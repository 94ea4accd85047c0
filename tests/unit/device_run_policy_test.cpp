// The machine's state as rules: which routes reach a destination (device/route_table.hpp) and
// which state holds which task (device/run_policy.hpp). Tables are written as rtnetlink reports
// them; the kernel's own answers are tested end to end by tests/device/connectivity_test.sh.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "device/run_policy.hpp"

using namespace ferry::device;

namespace {

constexpr unsigned kUp = IFF_UP | IFF_RUNNING;

Route route(int family, const char* prefix, int length, int link, int type = RTN_UNICAST, int table = RT_TABLE_MAIN,
            std::uint32_t metric = 0) {
  Route r;
  r.family = family;
  ::inet_pton(family, prefix, r.destination.data());
  r.prefix_length = length;
  r.type = type;
  r.table = table;
  r.interfaces = {link};
  r.metric = metric;
  return r;
}

// What a laptop's table looks like: lo (1), wlan0 (2) with a default route, eth0 (3) unplugged.
RouteTable laptop(unsigned lo = kUp | IFF_LOOPBACK, unsigned wlan = kUp, unsigned eth = IFF_UP) {
  RouteTable t;
  t.links[1] = Link{"lo", lo};
  t.links[2] = Link{"wlan0", wlan};
  t.links[3] = Link{"eth0", eth};
  t.routes.push_back(route(AF_INET, "127.0.0.0", 8, 1, RTN_LOCAL, RT_TABLE_LOCAL));
  t.routes.push_back(route(AF_INET, "127.0.0.1", 32, 1, RTN_LOCAL, RT_TABLE_LOCAL));
  t.routes.push_back(route(AF_INET6, "::1", 128, 1, RTN_LOCAL, RT_TABLE_LOCAL));
  t.routes.push_back(route(AF_INET, "0.0.0.0", 0, 2, RTN_UNICAST, RT_TABLE_MAIN, 600));
  t.routes.push_back(route(AF_INET, "192.168.1.0", 24, 2));
  t.routes.push_back(route(AF_INET, "0.0.0.0", 0, 3, RTN_UNICAST, RT_TABLE_MAIN, 100));  // linkdown: kept by the kernel
  t.routes.push_back(route(AF_INET, "10.9.0.0", 16, 2, RTN_UNREACHABLE));
  return t;
}

TEST(DeviceRouteTable, LiteralAddressesNeedAUsableRoute) {
  auto t = laptop();
  EXPECT_TRUE(t.reaches(Destination::parse("127.0.0.1")));
  EXPECT_TRUE(t.reaches(Destination::parse("[::1]")));
  EXPECT_TRUE(t.reaches(Destination::parse("192.168.1.20")));
  EXPECT_TRUE(t.reaches(Destination::parse("93.184.216.34")));  // the default route over wlan0
  EXPECT_FALSE(t.reaches(Destination::parse("10.9.1.1")));       // an unreachable route is more specific
  EXPECT_FALSE(t.reaches(Destination::parse("2001:db8::1")));    // no IPv6 route beyond the loopback
  EXPECT_TRUE(t.online());
}

TEST(DeviceRouteTable, ALinkDownTakesItsRoutesWithIt) {
  auto lo_down = laptop(IFF_LOOPBACK);  // `ip link set lo down`: the local routes stay, the link does not run
  EXPECT_FALSE(lo_down.reaches(Destination::parse("127.0.0.1")));
  EXPECT_FALSE(lo_down.reaches(Destination::parse("localhost")));
  EXPECT_TRUE(lo_down.reaches(Destination::parse("example.org")));

  auto offline = laptop(kUp | IFF_LOOPBACK, IFF_UP);  // wlan0 lost its carrier
  EXPECT_FALSE(offline.reaches(Destination::parse("93.184.216.34")));
  EXPECT_FALSE(offline.reaches(Destination::parse("example.org")));  // a name needs a route beyond the loopback
  EXPECT_TRUE(offline.reaches(Destination::parse("localhost")));
  EXPECT_TRUE(offline.reaches(Destination::parse("127.0.0.1")));
  EXPECT_FALSE(offline.online());
}

TEST(DeviceRouteTable, ThePrimaryDefaultRouteIsTheUsableOneWithTheLowestMetric) {
  auto wifi = laptop();
  EXPECT_EQ(wifi.primaryDefaultRoutes(), "ipv4 dev wlan0 via 0.0.0.0");
  auto wired = laptop(kUp | IFF_LOOPBACK, kUp, kUp);  // eth0 plugged in: metric 100 wins
  EXPECT_EQ(wired.primaryDefaultRoutes(), "ipv4 dev eth0 via 0.0.0.0");
  EXPECT_EQ(laptop(kUp | IFF_LOOPBACK, IFF_UP, IFF_UP).primaryDefaultRoutes(), "");
}

TEST(DeviceRouteTable, NamesAreNamesAndAddressesAreAddresses) {
  EXPECT_EQ(Destination::parse("127.0.0.1").family, AF_INET);
  EXPECT_EQ(Destination::parse("[2001:db8::1]").family, AF_INET6);
  EXPECT_EQ(Destination::parse("example.org").family, 0);
  EXPECT_TRUE(Destination::parse("LocalHost").loopback_name);
  EXPECT_TRUE(Destination::parse("app.localhost").loopback_name);
  EXPECT_FALSE(Destination::parse("localhost.example.org").loopback_name);
  EXPECT_FALSE(Destination::parse("").loopback_name);
}

TEST(DeviceRunPolicy, EachStateHoldsTheTasksItConcerns) {
  auto table = laptop();
  DeviceView device{&table, {}, {}, false};
  TaskNeeds ordinary{Destination::parse("93.184.216.34"), true, true, false};
  TaskNeeds careful = ordinary;
  careful.allows_expensive = false;
  careful.allows_constrained = false;
  TaskNeeds only_expensive = ordinary;
  only_expensive.allows_constrained = false;
  TaskNeeds discretionary = ordinary;
  discretionary.needs_external_power = true;

  for (const auto* task : {&ordinary, &careful, &only_expensive, &discretionary}) EXPECT_FALSE(waitReason(*task, device));

  device.cost = {true, false, true};  // GUESS_YES
  EXPECT_EQ(waitReason(careful, device), "metered-network");
  EXPECT_FALSE(waitReason(only_expensive, device));
  EXPECT_FALSE(waitReason(ordinary, device));
  device.cost = {true, true, true};  // YES
  EXPECT_EQ(waitReason(only_expensive, device), "constrained-network");
  device.cost = {};  // unknown: never holds

  device.power = {true, false};
  EXPECT_EQ(waitReason(discretionary, device), "on-battery");
  EXPECT_FALSE(waitReason(ordinary, device));
  device.power = {false, true};
  EXPECT_EQ(waitReason(discretionary, device), "power-saver");
  device.power = {};

  auto offline = laptop(kUp | IFF_LOOPBACK, IFF_UP);
  device.routes = &offline;
  device.cost = {true, true, true};
  EXPECT_EQ(waitReason(careful, device), "no-network");  // the network before its cost
  device.sleeping = true;
  EXPECT_EQ(waitReason(ordinary, device), "sleep");  // sleep before everything

  DeviceView unwatched;  // no rtnetlink: every destination counts as reachable
  EXPECT_FALSE(waitReason(ordinary, unwatched));
}

}  // namespace
