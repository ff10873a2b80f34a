#include <catch2/catch.hpp>

#include "anvil/counters.h"

using namespace buzon::anvil;

namespace {
constexpr std::time_t t0 = 1'000'000;
const char* kA = "smtp:192.0.2.1";
const char* kB = "smtp:192.0.2.2";
}  // namespace

TEST_CASE("anvil: connection count is open connections, per ident", "[anvil][counters]") {
  Counters c(60);
  CHECK(c.connect(kA, t0).count == 1);
  CHECK(c.connect(kA, t0).count == 2);
  CHECK(c.connect(kB, t0).count == 1);
  c.disconnect(kA, t0 + 1);
  CHECK(c.lookup(kA, t0 + 1).count == 1);
  CHECK(c.connect(kA, t0 + 2).count == 2);
  // A disconnect more than connects never goes below zero.
  for (int i = 0; i < 5; ++i) c.disconnect(kA, t0 + 3);
  CHECK(c.lookup(kA, t0 + 3).count == 0);
  c.disconnect("smtp:never.seen", t0 + 3);
  CHECK(c.size() == 2);
}

TEST_CASE("anvil: rates count within a fixed window of anvil_rate_time_unit", "[anvil][counters][window]") {
  Counters c(60);
  // Window starts at the first event and includes start + unit.
  CHECK(c.connect(kA, t0).rate == 1);
  c.disconnect(kA, t0);
  CHECK(c.connect(kA, t0 + 30).rate == 2);
  c.disconnect(kA, t0 + 30);
  CHECK(c.connect(kA, t0 + 60).rate == 3);  // still the same window
  c.disconnect(kA, t0 + 60);
  // The first event after it starts a new window with every rate at zero.
  CHECK(c.connect(kA, t0 + 61).rate == 1);
  CHECK(c.lookup(kA, t0 + 61).rate == 1);
  // A window that is over shows as zero without counting anything.
  CHECK(c.lookup(kA, t0 + 61 + 61).rate == 0);
  CHECK(c.lookup(kA, t0 + 61 + 61).count == 1);
}

TEST_CASE("anvil: message, recipient, TLS and AUTH rates share the window", "[anvil][counters][window]") {
  Counters c(10);
  c.connect(kA, t0);
  CHECK(c.count(Event::Message, kA, t0) == 1);
  CHECK(c.count(Event::Message, kA, t0 + 1) == 2);
  CHECK(c.count(Event::Recipient, kA, t0 + 1) == 1);
  CHECK(c.count(Event::Recipient, kA, t0 + 2) == 2);
  CHECK(c.count(Event::Recipient, kA, t0 + 2) == 3);
  CHECK(c.count(Event::NewTls, kA, t0 + 3) == 1);
  CHECK(c.count(Event::Auth, kA, t0 + 3) == 1);
  auto s = c.lookup(kA, t0 + 4);
  CHECK(s.message == 2);
  CHECK(s.recipient == 3);
  CHECK(s.rate == 1);
  // Per ident.
  CHECK(c.count(Event::Message, kB, t0 + 4) == 1);
  // At start + unit + 1 the message rate starts over, connections stay open.
  CHECK(c.count(Event::Message, kA, t0 + 11) == 1);
  CHECK(c.lookup(kA, t0 + 11).recipient == 0);
  CHECK(c.lookup(kA, t0 + 11).count == 1);
}

TEST_CASE("anvil: expiry forgets idle clients once their window is over", "[anvil][counters][expire]") {
  Counters c(60);
  c.connect(kA, t0);
  c.count(Event::Message, kB, t0);  // events without a connection create an entry too
  c.expire(t0 + 60);
  CHECK(c.size() == 2);  // both windows still running
  c.expire(t0 + 61);
  CHECK(c.size() == 1);  // kA has an open connection: kept
  c.disconnect(kA, t0 + 70);
  c.expire(t0 + 70);
  CHECK(c.size() == 0);
  // A client seen again after expiry starts from scratch.
  CHECK(c.connect(kA, t0 + 71).rate == 1);
}

TEST_CASE("anvil: idents are bounded and printable", "[anvil][limits]") {
  CHECK(ident_ok("smtp:192.0.2.1"));
  CHECK(ident_ok(std::string(kIdentMax, 'x')));
  CHECK_FALSE(ident_ok(std::string(kIdentMax + 1, 'x')));
  CHECK_FALSE(ident_ok(""));
  CHECK_FALSE(ident_ok("smtp: 192.0.2.1"));
  CHECK_FALSE(ident_ok("smtp:\n"));
}

TEST_CASE("anvil: a full table answers without storing", "[anvil][limits]") {
  Counters c(60);
  for (size_t i = 0; i < kEntriesMax; ++i) c.connect("i" + std::to_string(i), t0);
  REQUIRE(c.size() == kEntriesMax);
  auto r = c.connect("one.more", t0);
  CHECK(r.count == 1);
  CHECK_FALSE(r.stored);
  CHECK(c.size() == kEntriesMax);
  // Room again once entries expire (disconnected and their window over).
  for (size_t i = 0; i < 10; ++i) c.disconnect("i" + std::to_string(i), t0);
  CHECK(c.connect("one.more", t0 + 61).stored);
  CHECK(c.size() == kEntriesMax - 10 + 1);
}

TEST_CASE("anvil: statistics are Postfix's lines, then start over", "[anvil][statistics]") {
  Counters c(60);
  c.connect(kA, t0);
  c.connect(kA, t0 + 1);
  c.connect(kB, t0 + 2);
  c.count(Event::Message, kB, t0 + 3);
  auto lines = c.take_statistics();
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].rfind("statistics: max connection rate 2/60s for (smtp:192.0.2.1) at ", 0) == 0);
  CHECK(lines[1].rfind("statistics: max connection count 2 for (smtp:192.0.2.1) at ", 0) == 0);
  CHECK(lines[2].rfind("statistics: max message rate 1/60s for (smtp:192.0.2.2) at ", 0) == 0);
  CHECK(lines[3].rfind("statistics: max cache size 2 at ", 0) == 0);
  // "at Mmm dd hh:mm:ss", like ctime() without weekday and year.
  CHECK(lines[0].size() == std::string("statistics: max connection rate 2/60s for (smtp:192.0.2.1) at ").size() + 15);
  CHECK(c.take_statistics().empty());
}

TEST_CASE("anvil: new TLS session and AUTH rates in the statistics, in Postfix's words", "[anvil][statistics]") {
  Counters c(60);
  c.count(Event::NewTls, kA, t0);
  c.count(Event::NewTls, kA, t0 + 1);
  c.count(Event::Auth, kB, t0 + 2);
  auto lines = c.take_statistics();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].rfind("statistics: max newtls rate 2/60s for (smtp:192.0.2.1) at ", 0) == 0);
  CHECK(lines[1].rfind("statistics: max auth rate 1/60s for (smtp:192.0.2.2) at ", 0) == 0);
  CHECK(lines[2].rfind("statistics: max cache size 2 at ", 0) == 0);
}
