// qmgr's ready queue (qmgr/ready_queue.h): the oldest job whose transport
// and destination have room, without looking behind a busy destination.
#include <catch2/catch.hpp>
#include <initializer_list>
#include <set>
#include <string>

#include "qmgr/ready_queue.h"

using namespace buzon::qmgr;

namespace {

struct TestJob {
  struct {
    std::string transport;
  } route;
  std::string dest;
  int n = 0;
};

TestJob job(const std::string& transport, const std::string& where, int n) {
  return TestJob{{transport}, transport + ":" + where, n};
}

ReadyQueue<TestJob> queue_of(std::initializer_list<TestJob> jobs) {
  ReadyQueue<TestJob> q;
  for (const TestJob& j : jobs) q.push_back(j);
  return q;
}

// Limits as the scheduler applies them: full transports and destinations
// by name; the lookups are counted.
struct Limits {
  std::set<std::string> full_transports, full_dests;
  size_t dest_lookups = 0;
  std::optional<TestJob> take(ReadyQueue<TestJob>& q) {
    return q.take([&](const std::string& t) { return !full_transports.count(t); },
                  [&](const std::string&, const std::string& d) {
                    ++dest_lookups;
                    return !full_dests.count(d);
                  });
  }
};

}  // namespace

TEST_CASE("ready queue: jobs come out oldest first across destinations", "[qmgr][ready]") {
  auto q = queue_of({job("local", "a", 1), job("local", "b", 2), job("virtual", "c", 3), job("local", "a", 4)});
  Limits l;
  CHECK(q.size() == 4);
  for (int want : {1, 2, 3, 4}) {
    auto j = l.take(q);
    REQUIRE(j);
    CHECK(j->n == want);
  }
  CHECK(q.empty());
  CHECK_FALSE(l.take(q));
}

TEST_CASE("ready queue: a full destination or transport is passed over, not emptied", "[qmgr][ready]") {
  auto q = queue_of({job("local", "a", 1), job("local", "a", 2), job("local", "b", 3), job("virtual", "c", 4)});
  Limits l;
  l.full_dests = {"local:a"};
  CHECK(l.take(q)->n == 3);
  l.full_transports = {"local"};
  CHECK(l.take(q)->n == 4);
  CHECK_FALSE(l.take(q));  // only local:a's jobs are left, and local is full
  l.full_transports.clear();
  CHECK_FALSE(l.take(q));  // local:a itself still is
  l.full_dests.clear();
  CHECK(l.take(q)->n == 1);
  CHECK(l.take(q)->n == 2);
}

TEST_CASE("ready queue: a job pushed back to the front comes out first", "[qmgr][ready]") {
  auto q = queue_of({job("local", "a", 1), job("local", "b", 2)});
  Limits l;
  auto first = l.take(q);
  REQUIRE(first);
  q.push_front(*first);  // could not start: no agent yet
  q.push_front(job("local", "b", 0));  // a retry, older than everything
  CHECK(l.take(q)->n == 0);
  CHECK(l.take(q)->n == 1);
  CHECK(l.take(q)->n == 2);
}

TEST_CASE("ready queue: a backlog behind a full destination costs nothing per take", "[qmgr][ready][limits]") {
  // 10,000 jobs for one full domain: finding the one job elsewhere looks
  // at one destination that is full, not at the 10,000 jobs.
  ReadyQueue<TestJob> q;
  Limits l;
  for (int i = 0; i < 10000; ++i) q.push_back(job("local", "bench.test", i));
  q.push_back(job("local", "other.test", -1));
  l.full_dests = {"local:bench.test"};
  auto j = l.take(q);
  REQUIRE(j);
  CHECK(j->n == -1);
  CHECK(l.dest_lookups == 2);
  CHECK_FALSE(l.take(q));
  CHECK(l.dest_lookups == 3);
  CHECK(q.size() == 10000);
}

TEST_CASE("ready queue: for_each sees every waiting job", "[qmgr][ready]") {
  ReadyQueue<TestJob> q;
  for (int i = 0; i < 5; ++i) q.push_back(job("local", std::to_string(i % 2), i));
  int sum = 0;
  q.for_each([&](TestJob& j) { sum += j.n; });
  CHECK(sum == 0 + 1 + 2 + 3 + 4);
  q.clear();
  CHECK(q.empty());
  CHECK(q.size() == 0);
}
