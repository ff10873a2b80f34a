#include <catch2/catch.hpp>

#include "authd/tickets.h"

using namespace buzon;
using namespace buzon::authd;
using Clock = TicketStore::Clock;

namespace {

UserLookup accounts() {
  return [](const std::string& name) -> Result<std::optional<users::User>> {
    if (name == "alice") return std::optional<users::User>(users::User{"alice", 1001, 100, "/home/alice", "/bin/sh"});
    if (name == "root") return std::optional<users::User>(users::User{"root", 0, 0, "/root", "/bin/sh"});
    if (name == "broken") return Error{"passwd file unreadable"};
    return std::optional<users::User>();
  };
}

attr::Message redeem(const std::string& ticket, const std::string& service) {
  attr::Message m;
  m.set("request", "redeem").set("ticket", ticket).set("service", service);
  return m;
}

}  // namespace

TEST_CASE("tickets: one use, one service, a lifetime", "[authd][tickets]") {
  TicketStore store;
  auto now = Clock::now();
  std::string t = store.issue("alice", "pop", now);
  REQUIRE(t.size() == 32);
  CHECK(store.issue("alice", "pop", now) != t);  // fresh every time
  CHECK_FALSE(store.redeem(t, "imap", now));    // wrong service: and now it is gone
  CHECK_FALSE(store.redeem(t, "pop", now));

  std::string u = store.issue("alice", "pop", now);
  CHECK(store.redeem(u, "pop", now + kTicketLifetime - std::chrono::seconds(1)) == std::string("alice"));
  CHECK_FALSE(store.redeem(u, "pop", now));  // used

  std::string old = store.issue("alice", "pop", now);
  CHECK_FALSE(store.redeem(old, "pop", now + kTicketLifetime));  // expired
  CHECK_FALSE(store.redeem("", "pop", now));
}

TEST_CASE("tickets: outstanding tickets are bounded", "[authd][tickets]") {
  TicketStore store;
  auto now = Clock::now();
  std::string first = store.issue("alice", "pop", now);
  for (size_t i = 0; i < kTicketsMax; ++i) store.issue("alice", "pop", now);
  CHECK(store.size() <= kTicketsMax);
  CHECK_FALSE(store.redeem(first, "pop", now));  // the oldest went first
}

TEST_CASE("tickets: redeem answers with the userdb entry, never root", "[authd][tickets]") {
  TicketStore store;
  auto now = Clock::now();
  auto lookup = accounts();
  auto ok = redeem_reply(store, redeem(store.issue("Alice", "pop", now), "pop"), lookup, now);
  CHECK(ok.get("status") == "0");
  CHECK(ok.get("user") == "Alice");
  CHECK(ok.get("uid") == "1001");
  CHECK(ok.get("gid") == "100");
  CHECK(ok.get("home") == "/home/alice");

  CHECK(redeem_reply(store, redeem("0123456789abcdef0123456789abcdef", "pop"), lookup, now).get("status") == "5");
  CHECK(redeem_reply(store, redeem(store.issue("root", "pop", now), "pop"), lookup, now).get("status") == "5");
  CHECK(redeem_reply(store, redeem(store.issue("nobody-here", "pop", now), "pop"), lookup, now).get("status") == "5");
  CHECK(redeem_reply(store, redeem(store.issue("broken", "pop", now), "pop"), lookup, now).get("status") == "4");
}
