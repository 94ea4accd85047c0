#include "device/netlink_watcher.hpp"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/files.hpp"

namespace ferry::device {
namespace {

constexpr unsigned kGroups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;

Error netlinkError(int err, const std::string& what) {
  return Error(errc::io, what + ": " + std::strerror(err) + "; ferryd runs without watching connectivity");
}

void copyAddress(const nlattr* attr, int family, std::array<std::uint8_t, 16>& out) {
  const std::size_t size = family == AF_INET ? 4 : 16;
  if (mnl_attr_get_payload_len(attr) >= size) std::memcpy(out.data(), mnl_attr_get_payload(attr), size);
}

// Each hop of RTA_MULTIPATH names an interface.
void readHops(const nlattr* attr, Route& route) {
  auto* hop = static_cast<const rtnexthop*>(mnl_attr_get_payload(attr));
  int left = static_cast<int>(mnl_attr_get_payload_len(attr));
  while (left >= static_cast<int>(sizeof(rtnexthop)) && hop->rtnh_len >= sizeof(rtnexthop) && hop->rtnh_len <= left) {
    route.interfaces.push_back(hop->rtnh_ifindex);
    left -= RTNH_ALIGN(hop->rtnh_len);
    hop = RTNH_NEXT(hop);
  }
}

int onRouteAttribute(const nlattr* attr, void* data) {
  auto& route = *static_cast<Route*>(data);
  switch (mnl_attr_get_type(attr)) {
    case RTA_DST:
      copyAddress(attr, route.family, route.destination);
      break;
    case RTA_GATEWAY:
      copyAddress(attr, route.family, route.gateway);
      break;
    case RTA_OIF:
      if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) route.interfaces.push_back(static_cast<int>(mnl_attr_get_u32(attr)));
      break;
    case RTA_PRIORITY:
      if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) route.metric = mnl_attr_get_u32(attr);
      break;
    case RTA_TABLE:
      if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) route.table = static_cast<int>(mnl_attr_get_u32(attr));
      break;
    case RTA_MULTIPATH:
      readHops(attr, route);
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

int onLinkAttribute(const nlattr* attr, void* data) {
  if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
    static_cast<Link*>(data)->name = mnl_attr_get_str(attr);
  return MNL_CB_OK;
}

int onDumpMessage(const nlmsghdr* message, void* data) {
  auto& table = *static_cast<RouteTable*>(data);
  if (message->nlmsg_type == RTM_NEWLINK && mnl_nlmsg_get_payload_len(message) >= sizeof(ifinfomsg)) {
    const auto* info = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(message));
    Link link;
    link.flags = info->ifi_flags;
    mnl_attr_parse(message, sizeof(ifinfomsg), onLinkAttribute, &link);
    table.links[info->ifi_index] = std::move(link);
  } else if (message->nlmsg_type == RTM_NEWROUTE && mnl_nlmsg_get_payload_len(message) >= sizeof(rtmsg)) {
    const auto* info = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message));
    if (info->rtm_family != AF_INET && info->rtm_family != AF_INET6) return MNL_CB_OK;
    Route route;
    route.family = info->rtm_family;
    route.prefix_length = info->rtm_dst_len;
    route.type = info->rtm_type;
    route.table = info->rtm_table;
    mnl_attr_parse(message, sizeof(rtmsg), onRouteAttribute, &route);
    table.routes.push_back(std::move(route));
  }
  return MNL_CB_OK;
}

}  // namespace

void NetlinkWatcher::SocketCloser::operator()(mnl_socket* s) const { mnl_socket_close(s); }

Result<std::unique_ptr<NetlinkWatcher>> NetlinkWatcher::start(boost::asio::io_context& io, Listener listener) {
  Socket events(mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!events) return tl::unexpected(netlinkError(errno, "rtnetlink socket"));
  if (mnl_socket_bind(events.get(), kGroups, MNL_SOCKET_AUTOPID) < 0)
    return tl::unexpected(netlinkError(errno, "rtnetlink subscription"));
  Socket requests(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!requests || mnl_socket_bind(requests.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return tl::unexpected(netlinkError(errno, "rtnetlink request socket"));
  std::unique_ptr<NetlinkWatcher> w(new NetlinkWatcher(io, std::move(listener), std::move(events), std::move(requests)));
  // Subscribed before the first dump: a change in between is seen as an event and dumped again.
  auto first = w->dump();
  if (!first) return tl::unexpected(first.error());
  w->table_ = std::move(*first);
  w->waitForEvents();
  return w;
}

NetlinkWatcher::NetlinkWatcher(boost::asio::io_context& io, Listener listener, Socket events, Socket requests)
    : listener_(std::move(listener)),
      events_(std::move(events)),
      requests_(std::move(requests)),
      descriptor_(io, mnl_socket_get_fd(events_.get())) {}

NetlinkWatcher::~NetlinkWatcher() {
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
  descriptor_.release();  // the mnl socket closes it
}

void NetlinkWatcher::waitForEvents() {
  descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the watcher is going away
    onEvents();
    waitForEvents();
  });
}

// Drains the notifications (their content does not matter, see above; ENOBUFS means some were
// dropped, which a dump makes up for), then dumps once.
void NetlinkWatcher::onEvents() {
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  while (mnl_socket_recvfrom(events_.get(), buffer.data(), buffer.size()) > 0 || errno == ENOBUFS) {
  }
  auto fresh = dump();
  if (!fresh) {
    spdlog::warn("connectivity: {}", fresh.error().describe());
    return;
  }
  const bool changed = fresh->routes != table_.routes || fresh->links.size() != table_.links.size() ||
                       !std::equal(fresh->links.begin(), fresh->links.end(), table_.links.begin(), [](const auto& a, const auto& b) {
                         return a.first == b.first && a.second.flags == b.second.flags && a.second.name == b.second.name;
                       });
  table_ = std::move(*fresh);
  if (changed) listener_(table_);
}

Result<RouteTable> NetlinkWatcher::dump() {
  RouteTable table;
  if (auto links = dumpOne(RTM_GETLINK, table); !links) return tl::unexpected(links.error());
  if (auto routes = dumpOne(RTM_GETROUTE, table); !routes) return tl::unexpected(routes.error());
  return table;
}

Result<void> NetlinkWatcher::dumpOne(int message_type, RouteTable& into) {
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* request = mnl_nlmsg_put_header(buffer.data());
  request->nlmsg_type = static_cast<std::uint16_t>(message_type);
  request->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request->nlmsg_seq = ++sequence_;
  // Both requests start with a family byte (rtgenmsg); AF_UNSPEC asks for every family.
  auto* family = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(request, message_type == RTM_GETROUTE ? sizeof(rtmsg) : sizeof(ifinfomsg)));
  family->rtgen_family = AF_UNSPEC;
  if (mnl_socket_sendto(requests_.get(), request, request->nlmsg_len) < 0) return tl::unexpected(netlinkError(errno, "rtnetlink dump"));
  const unsigned port = mnl_socket_get_portid(requests_.get());
  for (;;) {
    const auto received = mnl_socket_recvfrom(requests_.get(), buffer.data(), buffer.size());
    if (received < 0) return tl::unexpected(netlinkError(errno, "rtnetlink dump"));
    const int r = mnl_cb_run(buffer.data(), static_cast<std::size_t>(received), sequence_, port, onDumpMessage, &into);
    if (r == MNL_CB_STOP) return {};
    if (r < 0) return tl::unexpected(netlinkError(errno, "rtnetlink dump"));
  }
}

}  // namespace ferry::device
