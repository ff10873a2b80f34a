#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "lib/file/file.h"
#include "lib/mailbox/maildir.h"
#include "lib/mailbox/maildir_order.h"

using namespace buzon;
using namespace buzon::mailbox;

TEST_CASE("maildir order: the delivery fields of the usual names", "[mailbox][maildir]") {
  auto d = maildir_arrival("1700000000.M999P1.host,S=10,W=12");  // Dovecot
  CHECK(d.has_seconds);
  CHECK(d.seconds == 1700000000);
  CHECK(d.microseconds == 999);
  CHECK(d.pid == 1);
  auto b = maildir_arrival("1700000000.M5Q4C1F2A3B0001A2B3CR88.mx,S=2048");  // Buzón local
  CHECK(b.microseconds == 5);
  CHECK(b.pid == 0);
  auto p = maildir_arrival("1700000001.V802I1a2bM123456.mx.example");  // Postfix
  CHECK(p.seconds == 1700000001);
  CHECK(p.microseconds == 123456);
  auto q = maildir_arrival("1700000002.4711.mx");  // qmail
  CHECK(q.seconds == 1700000002);
  CHECK(q.pid == 4711);
  CHECK(q.microseconds == 0);
  CHECK_FALSE(maildir_arrival("host.1700000000").has_seconds);
  CHECK_FALSE(maildir_arrival("1700000000").has_seconds);  // no field separator
}

TEST_CASE("maildir order: digit runs at and over the limit", "[mailbox][maildir]") {
  std::string at(MaildirArrival::kArrivalDigitsMax, '9');
  auto a = maildir_arrival(at + ".M" + at + "P1.h");
  CHECK(a.has_seconds);
  CHECK(a.seconds == 999999999999999999ULL);
  CHECK(a.microseconds == 999999999999999999ULL);
  std::string over(MaildirArrival::kArrivalDigitsMax + 1, '9');
  CHECK_FALSE(maildir_arrival(over + ".M1P1.h").has_seconds);
  auto o = maildir_arrival("1.M" + over + "P7.h");
  CHECK(o.microseconds == 0);  // absent, not truncated
  CHECK(o.pid == 7);
}

TEST_CASE("maildir order: same second, microseconds compared as numbers", "[mailbox][maildir]") {
  // The bug: as strings "M1000" < "M999".
  CHECK(delivered_before("1700000000.M999P1.host", "1700000000.M1000P1.host"));
  CHECK_FALSE(delivered_before("1700000000.M1000P1.host", "1700000000.M999P1.host"));
  // Seconds first, also across a change in the number of digits.
  CHECK(delivered_before("999999999.M999999P1.h", "1000000000.M0P1.h"));
  CHECK(delivered_before("1700000000.M999999P9.h", "1700000001.M0P1.h"));
  // Then the pid, then the name with numbers as numbers (Dovecot's Q counter).
  CHECK(delivered_before("1700000000.M5P9.h", "1700000000.M5P10.h"));
  CHECK(delivered_before("1700000000.M5P9Q9.h", "1700000000.M5P9Q10.h"));
  CHECK(delivered_before("1700000000.99.h", "1700000000.100.h"));
  // Names without seconds come after every name with them.
  CHECK(delivered_before("1700000000.M5P9.h", "odd-name"));
  CHECK_FALSE(delivered_before("odd-name", "1700000000.M5P9.h"));
  // Irreflexive.
  CHECK_FALSE(delivered_before("1700000000.M5P9.h", "1700000000.M5P9.h"));
}

TEST_CASE("maildir order: natural comparison is a total order on distinct names", "[mailbox][maildir]") {
  CHECK(natural_compare("a9", "a10") < 0);
  CHECK(natural_compare("a10", "a9") > 0);
  CHECK(natural_compare("a", "a1") < 0);
  CHECK(natural_compare("a01", "a1") < 0);  // distinct names never tie
  CHECK(natural_compare("a1", "a01") > 0);
  CHECK(natural_compare("a1b", "a1b") == 0);
  CHECK(natural_compare("x.y", "x/y") < 0);
  std::vector<std::string> v{"m10", "m9", "m09", "m1", "m", "n0", "m100"};
  std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return natural_compare(a, b) < 0; });
  CHECK(v == std::vector<std::string>{"m", "m1", "m09", "m9", "m10", "m100", "n0"});
}

TEST_CASE("maildir order: UIDs of one second follow delivery order", "[mailbox][maildir]") {
  char tmpl[] = "/tmp/buzon-maildir-order-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  struct Cleanup {
    std::string d;
    ~Cleanup() { std::system(("rm -rf '" + d + "'").c_str()); }
  } cleanup{dir};
  REQUIRE(Maildir::open(dir));
  // Delivered in this order; the string order would be 3, 4, 1, 2.
  std::vector<std::string> order{"1700000000.M999P1.host", "1700000000.M1000P1.host",
                                 "1700000000.M1000P1Q9.host", "1700000000.M1000P1Q10.host"};
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    REQUIRE(file::write_atomic(dir + "/new/" + *it, "x\n", 0600));
  auto m = Maildir::open(dir);
  REQUIRE(m);
  REQUIRE(m->messages().size() == order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    CHECK(m->messages()[i].base == order[i]);
    CHECK(m->messages()[i].uid == i + 1);
  }
}
