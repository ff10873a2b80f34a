#include <catch2/catch.hpp>

#include "lib/net/interfaces.h"
#include "lib/net/ip.h"

using namespace buzon;

namespace {
net::Cidr cidr(std::string_view s) {
  auto c = net::parse_cidr(s);
  INFO(std::string(s) + ": " + (c ? std::string() : c.error().message));
  REQUIRE(c.ok());
  return *c;
}
bool in(std::string_view net, std::string_view addr) {
  auto a = net::parse_ip(addr);
  REQUIRE(a.has_value());
  return cidr(net).contains(*a);
}
std::string cidr_error(std::string_view s) {
  auto c = net::parse_cidr(s);
  return c ? std::string("ok") : c.error().message;
}
}  // namespace

TEST_CASE("net: addresses parse with and without brackets; mapped IPv6 is IPv4", "[net]") {
  CHECK(net::parse_ip("192.0.2.1")->text() == "192.0.2.1");
  CHECK(net::parse_ip("[192.0.2.1]")->text() == "192.0.2.1");
  CHECK(net::parse_ip("2001:DB8::1")->text() == "2001:db8::1");
  CHECK(net::parse_ip("[IPv6:2001:db8::1]")->text() == "2001:db8::1");
  CHECK(net::parse_ip("::ffff:192.0.2.1")->is_v4());
  CHECK_FALSE(net::parse_ip("192.0.2"));
  CHECK_FALSE(net::parse_ip("192.0.2.256"));
  CHECK_FALSE(net::parse_ip("example.org"));
  CHECK_FALSE(net::parse_ip(""));
  CHECK_FALSE(net::parse_ip(std::string(net::kTextMax + 1, '1')));
}

TEST_CASE("net: CIDR matching at every prefix boundary", "[net][cidr]") {
  CHECK(in("10.0.0.0/8", "10.255.255.255"));
  CHECK_FALSE(in("10.0.0.0/8", "11.0.0.0"));
  CHECK(in("192.0.2.128/25", "192.0.2.128"));
  CHECK_FALSE(in("192.0.2.128/25", "192.0.2.127"));
  CHECK(in("192.0.2.1", "192.0.2.1"));
  CHECK_FALSE(in("192.0.2.1", "192.0.2.2"));
  CHECK(in("0.0.0.0/0", "203.0.113.9"));
  CHECK_FALSE(in("0.0.0.0/0", "::1"));  // families never match each other
  CHECK(in("[2001:db8::]/32", "2001:db8:ffff::1"));
  CHECK(in("2001:db8::/32", "2001:db8::"));
  CHECK_FALSE(in("2001:db8::/33", "2001:db8:8000::1"));
  CHECK(in("[::1]/128", "::1"));
  CHECK(in("127.0.0.0/8", "::ffff:127.0.0.1"));  // dual-stack socket
  CHECK(in("::/0", "fe80::1"));
  CHECK(cidr("[2001:db8::]/32").text() == "[2001:db8::]/32");
}

TEST_CASE("net: bad networks are errors with Postfix's words", "[net][cidr]") {
  CHECK(cidr_error("192.0.2.1/24") ==
        "non-null host address bits in \"192.0.2.1/24\", perhaps you should use \"192.0.2.0/24\" instead");
  CHECK(cidr_error("2001:db8::1/32").find("perhaps you should use \"[2001:db8::]/32\"") != std::string::npos);
  CHECK(cidr_error("192.0.2.0/33") == "bad network/mask: 192.0.2.0/33");
  CHECK(cidr_error("::/129") == "bad network/mask: ::/129");
  CHECK(cidr_error("192.0.2.0/") == "bad network/mask: 192.0.2.0/");
  CHECK(cidr_error("192.0.2.0/x") == "bad network/mask: 192.0.2.0/x");
  CHECK(cidr_error("example.org/8") == "bad network/mask: example.org/8");
  CHECK(cidr_error("192.0.2.0/32") == "ok");
  CHECK(cidr_error("0.0.0.0/0") == "ok");
}

TEST_CASE("net: default mynetworks per mynetworks_style", "[net][mynetworks]") {
  std::vector<net::Interface> ifs = {{*net::parse_ip("127.0.0.1"), 8},
                                     {*net::parse_ip("192.0.2.5"), 24},
                                     {*net::parse_ip("172.16.9.3"), 24},
                                     {*net::parse_ip("2001:db8::5"), 64}};
  CHECK(*net::default_mynetworks("host", ifs) == "[::1]/128 127.0.0.1/32 192.0.2.5/32 172.16.9.3/32 [2001:db8::5]/128");
  CHECK(*net::default_mynetworks("subnet", ifs) == "[::1]/128 127.0.0.0/8 192.0.2.0/24 172.16.9.0/24 [2001:db8::]/64");
  CHECK(*net::default_mynetworks("class", ifs) == "[::1]/128 127.0.0.0/8 192.0.2.0/24 172.16.0.0/16 [2001:db8::]/64");
  // Loopback is trusted even when the interface list does not show it.
  CHECK(*net::default_mynetworks("host", {}) == "127.0.0.1/32 [::1]/128");
  CHECK_FALSE(net::default_mynetworks("hosts", ifs));
}
