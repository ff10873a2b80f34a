#include "lib/net/interfaces.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace buzon::net {
namespace {

unsigned mask_bits(const sockaddr* mask) {
  if (!mask) return 0;
  const uint8_t* p = nullptr;
  size_t n = 0;
  if (mask->sa_family == AF_INET) {
    p = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    n = 4;
  } else if (mask->sa_family == AF_INET6) {
    p = reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr.s6_addr;
    n = 16;
  }
  unsigned bits = 0;
  for (size_t i = 0; i < n; ++i) bits += static_cast<unsigned>(__builtin_popcount(p[i]));
  return bits;
}

Cidr network_of(const IpAddr& a, unsigned prefix) {
  Cidr c;
  c.net = a;
  c.prefix = prefix;
  const unsigned max = a.is_v4() ? 32 : 128;
  for (unsigned bit = prefix; bit < max; ++bit) c.net.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  return c;
}

// Postfix's "class" style: the class A, B or C network of an IPv4 address
// (IPv6 has no classes and is treated as subnet).
unsigned class_prefix(const IpAddr& a, unsigned subnet_prefix) {
  if (!a.is_v4()) return subnet_prefix;
  uint8_t first = a.bytes[0];
  if (first < 128) return 8;
  if (first < 192) return 16;
  if (first < 224) return 24;
  return subnet_prefix;
}

}  // namespace

std::vector<Interface> local_interfaces() {
  std::vector<Interface> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> guard(list, ::freeifaddrs);
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) continue;
    IpAddr a;
    if (i->ifa_addr->sa_family == AF_INET) {
      a.family = 4;
      std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      a.family = 6;
      std::memcpy(a.bytes.data(), reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr.s6_addr, 16);
    } else {
      continue;
    }
    out.push_back({a, mask_bits(i->ifa_netmask)});
  }
  return out;
}

Result<std::string> default_mynetworks(std::string_view style, const std::vector<Interface>& interfaces) {
  if (style != "host" && style != "subnet" && style != "class")
    return Error{"bad mynetworks_style value: " + std::string(style) + " (expected host, subnet or class)"};
  std::vector<Interface> all = interfaces;
  auto add_if_missing = [&](std::string_view text, unsigned prefix) {
    IpAddr a = *parse_ip(text);
    if (std::none_of(all.begin(), all.end(), [&](const Interface& i) { return i.addr == a; }))
      all.insert(all.begin(), {a, prefix});
  };
  add_if_missing("::1", 128);
  add_if_missing("127.0.0.1", 8);
  std::vector<std::string> nets;
  for (const Interface& i : all) {
    const unsigned max = i.addr.is_v4() ? 32 : 128;
    unsigned prefix = style == "host" ? max : style == "subnet" ? i.prefix : class_prefix(i.addr, i.prefix);
    std::string t = network_of(i.addr, std::min(prefix, max)).text();
    if (std::find(nets.begin(), nets.end(), t) == nets.end()) nets.push_back(t);
  }
  std::string out;
  for (const auto& n : nets) out += (out.empty() ? "" : " ") + n;
  return out;
}

}  // namespace buzon::net
