#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <string>

#include "lib/attr/attr.h"

using namespace buzon;
using namespace std::literals;

TEST_CASE("attr: round trip through encode and decode", "[attr]") {
  attr::Message m;
  m.set("request", "deliver").set("offset", 1234).set("empty", "");
  auto d = attr::decode(m.encode_payload());
  REQUIRE(d);
  CHECK(d->get("request") == "deliver");
  CHECK(d->get_uint("offset") == 1234u);
  CHECK(d->get("empty") == "");
  CHECK_FALSE(d->get("absent"));
  CHECK_FALSE(d->get_uint("request"));
  CHECK(m.encode().size() == 4 + m.encode_payload().size());
}

TEST_CASE("attr: value at the limit passes, one over is rejected, not truncated", "[attr]") {
  auto at = "name\0"s + std::string(attr::kValueMax, 'x') + "\0"s;
  REQUIRE(attr::decode(at));
  CHECK(attr::decode(at)->get("name")->size() == attr::kValueMax);
  auto over = "name\0"s + std::string(attr::kValueMax + 1, 'x') + "\0"s;
  auto r = attr::decode(over);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("too long") == 0);
}

TEST_CASE("attr: names are checked", "[attr]") {
  CHECK(attr::decode(std::string(attr::kNameMax, 'a') + "\0v\0"s));
  CHECK_FALSE(attr::decode(std::string(attr::kNameMax + 1, 'a') + "\0v\0"s));
  CHECK_FALSE(attr::decode("\0v\0"s));
  CHECK_FALSE(attr::decode("Bad\0v\0"s));
  CHECK_FALSE(attr::decode("a-b\0v\0"s));
}

TEST_CASE("attr: malformed payloads", "[attr]") {
  CHECK(attr::decode(""));  // an empty message is valid
  CHECK_FALSE(attr::decode("name"));
  CHECK_FALSE(attr::decode("name\0value"s));
}

TEST_CASE("attr: pair count limit", "[attr]") {
  std::string ok, over;
  for (size_t i = 0; i < attr::kCountMax; ++i) ok += "a\0b\0"s;
  over = ok + "a\0b\0"s;
  CHECK(attr::decode(ok));
  CHECK_FALSE(attr::decode(over));
}

TEST_CASE("attr: Reader reassembles frames split anywhere", "[attr]") {
  attr::Message a, b;
  a.set("x", "1");
  b.set("y", std::string(100, 'z'));
  std::string wire = a.encode() + b.encode();
  for (size_t split = 0; split <= wire.size(); ++split) {
    attr::Reader r;
    r.feed(wire.substr(0, split));
    std::vector<attr::Message> got;
    while (auto m = r.next()) got.push_back(**m);
    r.feed(wire.substr(split));
    while (auto m = r.next()) got.push_back(**m);
    REQUIRE(got.size() == 2);
    CHECK(got[0].get("x") == "1");
    CHECK(got[1].get("y")->size() == 100);
  }
}

TEST_CASE("attr: Reader refuses an oversize frame before buffering it", "[attr]") {
  attr::Reader r;
  size_t n = attr::kMessageMax + 1;
  std::string prefix = {char(n >> 24), char((n >> 16) & 0xff), char((n >> 8) & 0xff), char(n & 0xff)};
  r.feed(prefix);
  auto m = r.next();
  REQUIRE(m);
  CHECK_FALSE(*m);
}

TEST_CASE("attr: blocking write and read over a socket pair", "[attr]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  Fd a(sv[0]), b(sv[1]);
  attr::Message m;
  m.set("status", "0").set("reason", "delivered to maildir");
  REQUIRE(attr::write_message(a.get(), m, 1000ms));
  auto got = attr::read_message(b.get(), 1000ms);
  REQUIRE(got);
  CHECK(got->get("reason") == "delivered to maildir");
  auto none = attr::read_message(b.get(), 50ms);
  REQUIRE_FALSE(none);
  CHECK(none.error().message == "timeout");
  a.reset();
  auto closed = attr::read_message(b.get(), 1000ms);
  REQUIRE_FALSE(closed);
  CHECK(closed.error().message == "connection closed");
}
