#include "lib/net/ip.h"

#include <arpa/inet.h>

#include <cstring>

#include "lib/core/strings.h"

namespace buzon::net {
namespace {

std::string_view unbracket(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

std::string IpAddr::text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == 4) {
    ::inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  } else if (family == 6) {
    ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<IpAddr> parse_ip(std::string_view text) {
  if (text.size() > kTextMax) return std::nullopt;
  std::string s(unbracket(text));
  // RFC 5321 IPv6 address literals carry a tag: [IPv6:2001:db8::1].
  if (str::istarts_with(s, "IPv6:")) s.erase(0, 5);
  IpAddr a;
  if (s.find(':') == std::string::npos) {
    in_addr v4;
    if (::inet_pton(AF_INET, s.c_str(), &v4) != 1) return std::nullopt;
    a.family = 4;
    std::memcpy(a.bytes.data(), &v4, 4);
    return a;
  }
  in6_addr v6;
  if (::inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6.s6_addr, kMapped, 12) == 0) {
    a.family = 4;
    std::memcpy(a.bytes.data(), v6.s6_addr + 12, 4);
    return a;
  }
  a.family = 6;
  std::memcpy(a.bytes.data(), v6.s6_addr, 16);
  return a;
}

bool Cidr::contains(const IpAddr& a) const {
  if (a.family != net.family) return false;
  unsigned full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), net.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (net.bytes[full] & mask);
}

std::string Cidr::text() const {
  if (net.is_v6()) return "[" + net.text() + "]/" + std::to_string(prefix);
  return net.text() + "/" + std::to_string(prefix);
}

Result<Cidr> parse_cidr(std::string_view text) {
  const std::string shown = str::sanitize(text, kTextMax);
  if (text.size() > kTextMax) return Error{"bad network/mask: " + shown};
  std::string_view addr = text, len;
  if (size_t slash = text.rfind('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    len = text.substr(slash + 1);
    if (len.empty()) return Error{"bad network/mask: " + shown};
  }
  // "[2001:db8::]/32" is Postfix's form; a mapped address is not a network
  // of its own, so it is written as IPv4.
  std::string_view inner = unbracket(addr);
  auto ip = parse_ip(addr);
  if (!ip) return Error{"bad network/mask: " + shown};
  if (ip->is_v4() && inner.find(':') != std::string_view::npos)
    return Error{"bad network/mask: " + shown + " (write an IPv4-mapped network as IPv4)"};
  Cidr c;
  c.net = *ip;
  const unsigned max = ip->is_v4() ? 32 : 128;
  if (len.empty()) {
    c.prefix = max;
  } else {
    auto n = str::to_uint(len);
    if (!n || *n > max) return Error{"bad network/mask: " + shown};
    c.prefix = static_cast<unsigned>(*n);
  }
  // Host bits set are almost always a typo for a different network.
  Cidr masked = c;
  for (unsigned bit = c.prefix; bit < max; ++bit) masked.net.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  if (masked.net != c.net)
    return Error{"non-null host address bits in \"" + shown + "\", perhaps you should use \"" + masked.text() +
                 "\" instead"};
  return c;
}

}  // namespace buzon::net
