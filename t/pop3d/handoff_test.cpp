#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include "lib/attr/attr.h"
#include "pop3d/handoff.h"

using namespace buzon;
using namespace buzon::pop3d;
using namespace std::chrono_literals;

namespace {

struct Pair {
  Fd a, b;
  Pair() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    a = Fd(sv[0]);
    b = Fd(sv[1]);
  }
};

}  // namespace

TEST_CASE("pop3 hand-off: the client descriptor and the ticket cross", "[pop3d][handoff]") {
  Pair channel, client;
  Handoff h;
  h.ticket = "0123456789abcdef0123456789abcdef";
  h.rip = "192.0.2.7";
  h.lip = "192.0.2.1";
  h.mechanism = "PLAIN";
  h.tls = true;
  h.preread = std::string("STAT\r\nLIST\r\n\0x", 14);  // any bytes, NUL included
  REQUIRE(send_handoff(channel.a.get(), client.b.get(), h, 1000ms));
  auto r = receive_handoff(channel.b.get(), 1000ms);
  REQUIRE(r);
  CHECK(r->handoff.ticket == h.ticket);
  CHECK(r->handoff.rip == h.rip);
  CHECK(r->handoff.lip == h.lip);
  CHECK(r->handoff.mechanism == "PLAIN");
  CHECK(r->handoff.tls);
  CHECK(r->handoff.preread == h.preread);
  // The received descriptor is the client's socket.
  REQUIRE(::write(r->client.get(), "hi", 2) == 2);
  char buf[2];
  REQUIRE(::read(client.a.get(), buf, 2) == 2);
  CHECK(std::string(buf, 2) == "hi");
}

TEST_CASE("pop3 hand-off: limits and malformed hand-offs", "[pop3d][handoff]") {
  Pair channel, client;
  Handoff h;
  h.ticket = "t";
  h.preread = std::string(kPrereadMax + 1, 'x');
  CHECK_FALSE(send_handoff(channel.a.get(), client.b.get(), h, 1000ms));
  h.preread = std::string(kPrereadMax, 'x');  // at the limit
  REQUIRE(send_handoff(channel.a.get(), client.b.get(), h, 1000ms));
  CHECK(receive_handoff(channel.b.get(), 1000ms));

  // A byte without a descriptor.
  REQUIRE(::write(channel.a.get(), "C", 1) == 1);
  CHECK_FALSE(receive_handoff(channel.b.get(), 1000ms));

  // Nothing at all: the timeout.
  Pair idle;
  CHECK_FALSE(receive_handoff(idle.b.get(), 50ms));

  // A descriptor without a ticket.
  Pair c2;
  Handoff none;
  REQUIRE(send_handoff(c2.a.get(), client.b.get(), none, 1000ms));
  CHECK_FALSE(receive_handoff(c2.b.get(), 1000ms));
}
