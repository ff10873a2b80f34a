// The machine's own network interfaces, for the computed default of
// mynetworks (mynetworks_style) and for "is this address literal ours"
// (inet_interfaces = all).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "lib/net/ip.h"

namespace buzon::net {

struct Interface {
  IpAddr addr;
  unsigned prefix = 0;  // from the interface's netmask
};

// Addresses of the interfaces that are up (getifaddrs); empty when the
// system cannot tell.
std::vector<Interface> local_interfaces();

// Postfix's default mynetworks for mynetworks_style (host, subnet or
// class), e.g. "127.0.0.1/32 [::1]/128" for host. Loopback is always
// included, also when the interface list lacks it. Errors: an unknown style.
Result<std::string> default_mynetworks(std::string_view style, const std::vector<Interface>& interfaces);

}  // namespace buzon::net
