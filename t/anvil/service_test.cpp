#include <catch2/catch.hpp>

#include "anvil/service.h"

using namespace buzon;
using namespace buzon::anvil;

namespace {
constexpr std::time_t t0 = 2'000'000;

attr::Message req(std::string_view request, std::string_view ident = "smtp:192.0.2.1") {
  attr::Message m;
  m.set("request", request).set("ident", ident);
  return m;
}
std::string get(const attr::Message& m, std::string_view name) { return std::string(m.get(name).value_or("-")); }
}  // namespace

TEST_CASE("anvil service: requests and their replies", "[anvil][service]") {
  Counters counters(60);
  Service s(counters);
  auto r = s.handle(req("connect"), t0);
  CHECK(get(r, "status") == "0");
  CHECK(get(r, "count") == "1");
  CHECK(get(r, "rate") == "1");
  CHECK(get(s.handle(req("message"), t0), "rate") == "1");
  CHECK(get(s.handle(req("recipient"), t0), "rate") == "1");
  CHECK(get(s.handle(req("recipient"), t0), "rate") == "2");
  CHECK(get(s.handle(req("newtls"), t0), "rate") == "1");
  CHECK(get(s.handle(req("auth"), t0), "rate") == "1");
  auto l = s.handle(req("lookup"), t0);
  CHECK(get(l, "count") == "1");
  CHECK(get(l, "recipient") == "2");
  CHECK(get(s.handle(req("disconnect"), t0), "status") == "0");
  CHECK(get(s.handle(req("lookup"), t0), "count") == "0");
}

TEST_CASE("anvil service: bad requests get status 5 and change nothing", "[anvil][service]") {
  Counters counters(60);
  Service s(counters);
  attr::Message no_ident;
  no_ident.set("request", "connect");
  CHECK(get(s.handle(no_ident, t0), "status") == "5");
  CHECK(get(s.handle(req("connect", "has space"), t0), "reason") == "malformed ident");
  CHECK(get(s.handle(req("connect", std::string(kIdentMax + 1, 'x')), t0), "status") == "5");
  CHECK(get(s.handle(req("explode"), t0), "reason") == "unknown request");
  CHECK(counters.size() == 0);
}

TEST_CASE("anvil service: a client's open connections close with it", "[anvil][service]") {
  Counters counters(60);
  Service a(counters), b(counters);
  a.handle(req("connect"), t0);
  a.handle(req("connect"), t0);
  b.handle(req("connect"), t0);
  CHECK(counters.lookup("smtp:192.0.2.1", t0).count == 3);
  // One smtpd cannot close another's connections.
  b.handle(req("disconnect"), t0);
  b.handle(req("disconnect"), t0);
  CHECK(counters.lookup("smtp:192.0.2.1", t0).count == 2);
  // An smtpd that dies (its anvil connection closes) leaves nothing open.
  a.close(t0 + 1);
  CHECK(counters.lookup("smtp:192.0.2.1", t0 + 1).count == 0);
}
