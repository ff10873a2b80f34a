#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/core/fd.h"
#include "lib/event/event.h"

using namespace buzon;
using namespace std::literals;

TEST_CASE("event: readiness, timers and deferred calls run in the loop", "[event]") {
  event::Loop loop;
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  Fd a(sv[0]), b(sv[1]);
  std::vector<std::string> order;
  event::Event readable(loop, b.get(), EV_READ, [&](short what) {
    CHECK((what & EV_READ));
    order.push_back("read");
  });
  readable.add();
  CHECK(readable.pending());
  event::Event timer(loop, -1, 0, [&](short what) {
    CHECK((what & EV_TIMEOUT));
    order.push_back("timer");
  });
  timer.add(20ms);
  loop.defer([&] { order.push_back("deferred"); });
  REQUIRE(::write(a.get(), "x", 1) == 1);
  loop.run();
  REQUIRE(order.size() == 3);
  CHECK(order.back() == "timer");
  CHECK_FALSE(readable.pending());
}

TEST_CASE("event: a deleted event does not fire and defer_delete frees", "[event]") {
  event::Loop loop;
  bool fired = false;
  event::Event timer(loop, -1, 0, [&](short) { fired = true; });
  timer.add(1ms);
  timer.del();
  struct Probe {
    bool* gone;
    ~Probe() { *gone = true; }
  };
  bool gone = false;
  loop.defer_delete(std::make_unique<Probe>(Probe{&gone}));
  loop.run();
  CHECK_FALSE(fired);
  CHECK(gone);
}

TEST_CASE("event: signals are delivered as events", "[event]") {
  event::Loop loop;
  int got = 0;
  event::Event sig(loop, SIGUSR1, EV_SIGNAL, [&](short) { got++; });
  sig.add();
  loop.defer([] { ::raise(SIGUSR1); });
  loop.run();
  CHECK(got == 1);
}

TEST_CASE("event: calls still deferred when the loop ends run at its destruction", "[event]") {
  bool gone = false;
  std::vector<int> order;
  {
    event::Loop loop;
    struct Probe {
      bool* gone;
      ~Probe() { *gone = true; }
    };
    loop.defer([&] { order.push_back(1); });
    loop.defer_delete(std::make_unique<Probe>(Probe{&gone}));
    loop.defer([&] {
      order.push_back(2);
      loop.defer([&] { order.push_back(3); });  // deferred from a deferred call
    });
    // never run
  }
  CHECK(gone);
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("event: deferred calls run in order, after the current callback", "[event]") {
  event::Loop loop;
  std::vector<int> order;
  loop.defer([&] {
    loop.defer([&] { order.push_back(2); });
    order.push_back(1);
  });
  loop.run();
  CHECK(order == std::vector<int>{1, 2});
}
