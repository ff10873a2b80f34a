// IP addresses and CIDR networks as Postfix's mynetworks and cidr: tables
// write them: "192.0.2.1", "192.0.2.0/24", "2001:db8::/32", "[2001:db8::]/32"
// and "[::1]". An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4
// address it maps, so a dual-stack listener matches IPv4 patterns.
//
// LIMITS  kTextMax bytes of address or pattern text; longer is malformed.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::net {

constexpr size_t kTextMax = 128;

struct IpAddr {
  int family = 0;                    // 4 or 6; 0 for none
  std::array<uint8_t, 16> bytes{};   // network order; IPv4 uses the first 4
  size_t size() const { return family == 4 ? 4 : 16; }
  bool is_v4() const { return family == 4; }
  bool is_v6() const { return family == 6; }
  // Canonical text: "192.0.2.1", "2001:db8::1" (inet_ntop).
  std::string text() const;
  bool operator==(const IpAddr&) const = default;
};

// Parses a numeric address, with or without [brackets]; nullopt when it is
// not one. Mapped IPv6 addresses become IPv4 (see above).
std::optional<IpAddr> parse_ip(std::string_view text);

struct Cidr {
  IpAddr net;
  unsigned prefix = 0;  // 0..32 or 0..128
  bool contains(const IpAddr& a) const;
  std::string text() const;  // "192.0.2.0/24", "[2001:db8::]/32"
};

// Parses "addr/len" or a bare address (a host: /32 or /128), IPv6 with or
// without brackets. Errors, with Postfix's words: "bad network/mask" (not an
// address, a bad length) and "non-null host address bits in
// \"192.0.2.1/24\", perhaps you should use \"192.0.2.0/24\" instead".
Result<Cidr> parse_cidr(std::string_view text);

}  // namespace buzon::net
