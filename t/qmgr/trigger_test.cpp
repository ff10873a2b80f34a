// qmgr's trigger clients (qmgr/trigger.h): an untrusted one is read for a
// few bytes and a short time, a trusted one (qmgr's own uid) for as long
// as it keeps its connection; and the triggers their bytes make.
#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "qmgr/trigger.h"

using namespace buzon;
using namespace std::chrono_literals;

namespace {

struct Rig {
  event::Loop loop;
  Fd client;
  std::unique_ptr<qmgr::TriggerClient> trigger;
  std::string bytes;  // the triggers: W, F, or the named ID and ';'
  bool done = false;

  Rig(bool trusted, std::chrono::milliseconds timeout) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    client = Fd(sv[0]);
    Fd server(sv[1]);
    CHECK(qmgr::trusted_trigger_peer(server.get()));  // the same uid: ours
    trigger = std::make_unique<qmgr::TriggerClient>(
        loop, std::move(server), trusted, timeout,
        [this](const qmgr::Trigger& t) {
          bytes += t.kind == qmgr::Trigger::Wake ? "W" : t.kind == qmgr::Trigger::Flush ? "F" : t.id + ";";
        },
        [this] { done = true; });
  }
  void send(const std::string& s) { REQUIRE(::write(client.get(), s.data(), s.size()) == ssize_t(s.size())); }
  // Runs the loop until pred holds or for `limit`.
  bool pump(const std::function<bool()>& pred, std::chrono::milliseconds limit = 2s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < end) {
      timeval tv{0, 10000};
      event_base_loopexit(loop.base(), &tv);
      event_base_loop(loop.base(), EVLOOP_ONCE);
    }
    return pred();
  }
};

}  // namespace

TEST_CASE("trigger: an untrusted client is read for kTriggerBytes bytes, then closed", "[qmgr][trigger]") {
  Rig r(false, 5s);
  r.send(std::string(qmgr::kTriggerBytes + 10, 'W'));
  REQUIRE(r.pump([&] { return r.done; }));
  CHECK(r.bytes == std::string(qmgr::kTriggerBytes, 'W'));
}

TEST_CASE("trigger: an untrusted client that sends nothing is closed at the timeout", "[qmgr][trigger]") {
  Rig r(false, 50ms);
  CHECK(r.pump([&] { return r.done; }, 2s));
  CHECK(r.bytes.empty());
}

TEST_CASE("trigger: a trusted client sends a byte per message on one connection", "[qmgr][trigger]") {
  Rig r(true, 50ms);
  std::string many(1000, 'W');
  many += 'F';
  r.send(many);
  REQUIRE(r.pump([&] { return r.bytes.size() == many.size(); }));
  CHECK(r.bytes == many);
  // Past the untrusted limits in bytes and time, the connection stays.
  CHECK_FALSE(r.pump([&] { return r.done; }, 200ms));
  r.send("I6B0D4F8063A404CFC\n");
  REQUIRE(r.pump([&] { return r.bytes.size() == many.size() + 18; }));
  CHECK(r.bytes.substr(many.size()) == "6B0D4F8063A404CFC;");
  r.client.reset();  // smtpd exits
  CHECK(r.pump([&] { return r.done; }));
  // Its going away is a last wake: a trigger it may have cut short is not lost.
  CHECK(r.bytes.substr(many.size() + 18) == "W");
}

TEST_CASE("trigger: an untrusted client's end is no wake", "[qmgr][trigger]") {
  Rig r(false, 5s);
  r.send("I6B0D4F8063A404CFC\n");
  r.client.reset();
  REQUIRE(r.pump([&] { return r.done; }));
  CHECK(r.bytes == "6B0D4F8063A404CFC;");
}

namespace {

std::string parse(const std::string& bytes) {
  qmgr::TriggerParser p;
  std::string out;
  for (char c : bytes)
    if (auto t = p.feed(c))
      out += t->kind == qmgr::Trigger::Wake ? "W" : t->kind == qmgr::Trigger::Flush ? "F" : t->id + ";";
  return out;
}

}  // namespace

TEST_CASE("trigger parser: single bytes, named messages, and what is ignored", "[qmgr][trigger]") {
  CHECK(parse("WFW") == "WFW");
  CHECK(parse("xyz\n W") == "W");  // unknown bytes are ignored
  CHECK(parse("I6B0D4F8063A404CFC\nWI0000000000000000A\n") == "6B0D4F8063A404CFC;W0000000000000000A;");
  // W and F inside a name are part of it, not triggers.
  CHECK(parse("IFFFFFFFFFFFFFFFFW\n") == "W");
}

TEST_CASE("trigger parser: a name that is not a queue ID is a wake", "[qmgr][trigger]") {
  CHECK(parse("I\n") == "W");
  CHECK(parse("I6b0d4f8063a404cfc\n") == "W");        // lower case
  CHECK(parse("I6B0D4F8063A404CF\n") == "W");         // 16 digits
  CHECK(parse("I../../etc/passwdAA\n") == "W");       // a path
  CHECK(parse("I" + std::string(100000, 'A') + "\n") == "W");  // long: skipped, not kept
  CHECK(parse("I6B0D4F8063A404CFC0\nI6B0D4F8063A404CFC\n") == "W6B0D4F8063A404CFC;");
}
