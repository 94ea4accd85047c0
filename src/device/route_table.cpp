#include "device/route_table.hpp"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>

namespace ferry::device {
namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && std::equal(suffix.rbegin(), suffix.rend(), s.rbegin());
}

std::string lowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Whether the first `bits` bits of `a` and `b` are equal.
bool samePrefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

// The kernel's order: the longer prefix, and at equal length the local table's route; among
// equals, one that can carry packets now (the kernel keeps IPv4 routes over a link without carrier).
bool preferred(const Route& r, bool r_usable, const Route* than, bool than_usable) {
  if (than == nullptr) return true;
  if (r.prefix_length != than->prefix_length) return r.prefix_length > than->prefix_length;
  const bool r_local = r.table == RT_TABLE_LOCAL, than_local = than->table == RT_TABLE_LOCAL;
  if (r_local != than_local) return r_local;
  return r_usable && !than_usable;
}

bool carriesPackets(const Route& r) { return r.type == RTN_UNICAST || r.type == RTN_LOCAL; }

std::string addressText(int family, const std::array<std::uint8_t, 16>& bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes.data(), text, sizeof text);
  return text;
}

}  // namespace

bool Link::usable() const { return (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0; }
bool Link::loopback() const { return (flags & IFF_LOOPBACK) != 0; }

Destination Destination::parse(const std::string& host) {
  Destination d;
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (::inet_pton(AF_INET, h.c_str(), d.address.data()) == 1) {
    d.family = AF_INET;
  } else if (::inet_pton(AF_INET6, h.c_str(), d.address.data()) == 1) {
    d.family = AF_INET6;
  } else {
    const std::string name = lowerCase(h);
    d.loopback_name = name == "localhost" || endsWith(name, ".localhost");
  }
  return d;
}

bool RouteTable::usableRoute(const Route& r) const {
  if (!carriesPackets(r)) return false;
  return std::any_of(r.interfaces.begin(), r.interfaces.end(), [&](int index) {
    auto link = links.find(index);
    return link != links.end() && link->second.usable();
  });
}

bool RouteTable::reaches(const Destination& d) const {
  if (d.family == 0 && d.loopback_name) {
    Destination loop = Destination::parse("127.0.0.1");
    return reaches(loop) || reaches(Destination::parse("::1"));
  }
  if (d.family == 0) return online();
  // The most specific route decides, as the kernel's lookup does in the local and main tables:
  // an "unreachable" route hides a wider one, and so does a local route over a loopback that is
  // down (`ip link set lo down` keeps 127.0.0.0/8 in the local table; nothing reaches it).
  const Route* best = nullptr;
  bool best_usable = false;
  for (const auto& r : routes) {
    if (r.family != d.family || !samePrefix(r.destination, d.address, r.prefix_length)) continue;
    if (r.type != RTN_UNICAST && r.type != RTN_LOCAL && r.type != RTN_UNREACHABLE && r.type != RTN_BLACKHOLE &&
        r.type != RTN_PROHIBIT)
      continue;
    const bool usable = usableRoute(r);
    if (preferred(r, usable, best, best_usable)) {
      best = &r;
      best_usable = usable;
    }
  }
  return best != nullptr && best_usable;
}

bool RouteTable::online() const {
  return std::any_of(routes.begin(), routes.end(), [&](const Route& r) {
    if (r.type != RTN_UNICAST || !usableRoute(r)) return false;
    return std::any_of(r.interfaces.begin(), r.interfaces.end(), [&](int index) {
      auto link = links.find(index);
      return link != links.end() && link->second.usable() && !link->second.loopback();
    });
  });
}

std::string RouteTable::primaryDefaultRoutes() const {
  std::string out;
  for (int family : {AF_INET, AF_INET6}) {
    const Route* best = nullptr;
    for (const auto& r : routes)
      if (r.family == family && r.prefix_length == 0 && r.type == RTN_UNICAST && usableRoute(r) &&
          (!best || r.metric < best->metric))
        best = &r;
    if (!best) continue;
    if (!out.empty()) out += "; ";
    out += family == AF_INET ? "ipv4" : "ipv6";
    for (int index : best->interfaces)
      if (auto link = links.find(index); link != links.end()) out += " dev " + link->second.name;
    out += " via " + addressText(family, best->gateway);
  }
  return out;
}

}  // namespace ferry::device
