#pragma once
// The kernel's links and routes as rtnetlink reports them (netlink_watcher.hpp fills it), and the
// questions ferryd asks of them: is there a usable route to this destination, and which default
// route is in use. Pure values: no socket here, so the rules are tested without a kernel.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::device {

struct Link {
  std::string name;
  unsigned flags = 0;  // IFF_UP, IFF_RUNNING, IFF_LOOPBACK (net/if.h)
  bool usable() const;
  bool loopback() const;
};

struct Route {
  int family = 0;                   // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> destination{};  // network byte order; the first 4 bytes for IPv4
  int prefix_length = 0;            // 0: a default route
  int type = 0;                     // RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ...
  int table = 0;                    // RT_TABLE_MAIN, RT_TABLE_LOCAL, ...
  std::vector<int> interfaces;      // RTA_OIF, or each hop of RTA_MULTIPATH
  std::uint32_t metric = 0;         // RTA_PRIORITY
  std::array<std::uint8_t, 16> gateway{};
  bool operator==(const Route&) const = default;
};

// An address to reach: a literal IPv4 or IPv6 address (the URL's host), or a name.
struct Destination {
  int family = 0;  // AF_INET, AF_INET6, or 0 for a host name
  std::array<std::uint8_t, 16> address{};
  bool loopback_name = false;  // "localhost" and names under ".localhost" (RFC 6761)
  static Destination parse(const std::string& host);  // host as in a URL ("[::1]" too)
};

class RouteTable {
 public:
  std::map<int, Link> links;  // by interface index
  std::vector<Route> routes;

  // A route that carries packets (unicast or local) whose prefix holds `d`'s address over a link
  // that is up and running. For a host name (its address is not known without the network): a
  // unicast route over any running link that is not a loopback; "localhost" needs the loopback.
  bool reaches(const Destination& d) const;
  // Whether anything but the loopback can be reached (ferryctl status's "network: up").
  bool online() const;
  // The usable default route with the lowest metric, per family, as "<family> dev <name> via
  // <gateway>"; empty when none. A change means connections may be stuck on the old path.
  std::string primaryDefaultRoutes() const;

 private:
  bool usableRoute(const Route& r) const;
};

}  // namespace ferry::device
