#include <catch2/catch.hpp>

#include "authd/ban.h"

using namespace buzon::authd;
using namespace std::chrono_literals;

TEST_CASE("ban: threshold failures within the window ban for ban_time", "[authd][ban]") {
  BanList bans(3, 60s, 600s);
  auto t0 = BanList::Clock::time_point{} + 1000s;
  CHECK_FALSE(bans.failure("192.0.2.1", t0));
  CHECK_FALSE(bans.failure("192.0.2.1", t0 + 1s));
  CHECK_FALSE(bans.banned("192.0.2.1", t0 + 2s));
  CHECK(bans.failure("192.0.2.1", t0 + 2s));  // the third starts the ban
  CHECK(bans.banned("192.0.2.1", t0 + 3s));
  CHECK_FALSE(bans.banned("192.0.2.2", t0 + 3s));  // per address
  // Failures while banned do not start a new ban.
  CHECK_FALSE(bans.failure("192.0.2.1", t0 + 4s));
  CHECK(bans.banned("192.0.2.1", t0 + 2s + 599s));
  CHECK_FALSE(bans.banned("192.0.2.1", t0 + 2s + 600s));
  // After the ban, counting starts afresh.
  CHECK_FALSE(bans.failure("192.0.2.1", t0 + 700s));
  CHECK_FALSE(bans.banned("192.0.2.1", t0 + 700s));
}

TEST_CASE("ban: failures older than the window do not count", "[authd][ban]") {
  BanList bans(3, 60s, 600s);
  auto t0 = BanList::Clock::time_point{} + 1000s;
  CHECK_FALSE(bans.failure("a", t0));
  CHECK_FALSE(bans.failure("a", t0 + 30s));
  CHECK_FALSE(bans.failure("a", t0 + 61s));  // the first fell out of the window
  CHECK_FALSE(bans.banned("a", t0 + 62s));
  CHECK(bans.failure("a", t0 + 62s));
}

TEST_CASE("ban: threshold 0 disables banning", "[authd][ban]") {
  BanList bans(0, 60s, 600s);
  auto t0 = BanList::Clock::time_point{} + 1000s;
  for (int i = 0; i < 100; ++i) CHECK_FALSE(bans.failure("a", t0));
  CHECK_FALSE(bans.banned("a", t0));
  CHECK(bans.size() == 0);
}

TEST_CASE("ban: the table is bounded (limit and limit+1)", "[authd][ban]") {
  BanList bans(1, 60s, 600s, 4);
  auto t0 = BanList::Clock::time_point{} + 1000s;
  for (int i = 0; i < 4; ++i) CHECK(bans.failure("ip" + std::to_string(i), t0));
  CHECK(bans.size() == 4);
  // A fifth address: nothing has expired, so the least recently touched goes.
  CHECK(bans.failure("ip4", t0 + 1s));
  CHECK(bans.size() == 4);
  CHECK_FALSE(bans.banned("ip0", t0 + 2s));
  CHECK(bans.banned("ip4", t0 + 2s));
  // Expired entries are pruned before anything live is dropped.
  CHECK(bans.failure("ip5", t0 + 1000s));
  CHECK(bans.size() == 1);
}
