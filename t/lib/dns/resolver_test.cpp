// lib/dns against a real name server: a dnsmasq on loopback (dnsmasq.h).
#include <catch2/catch.hpp>

#include <optional>

#include "lib/dns/resolver.h"
#include "t/lib/dns/dnsmasq.h"

using namespace buzon;

namespace {

const std::vector<std::string> kRecords = {
    "mx-host=good.example,mx.good.example,10", "host-record=mx.good.example,192.0.2.10",
    "host-record=aonly.example,192.0.2.11",     "host-record=v6only.example,2001:db8::11",
    "ptr-record=1.0.0.127.in-addr.arpa,Client.Example.ORG", "host-record=client.example.org,127.0.0.1",
    "ptr-record=2.0.0.127.in-addr.arpa,liar.example.org",   "host-record=liar.example.org,192.0.2.99",
};

// Runs the loop until every started lookup has answered, or 20 s.
struct Harness {
  event::Loop loop;
  std::unique_ptr<dns::Resolver> resolver;
  int pending = 0;
  event::Event deadline{loop, -1, 0, [this](short) { loop.stop(); }};

  explicit Harness(const std::string& servers, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000),
                   bool hosts_file = false) {
    dns::Config c;
    c.servers = servers;
    c.timeout = timeout;
    c.hosts_file = hosts_file;
    auto r = dns::Resolver::create(loop, c);
    REQUIRE(r.ok());
    resolver = std::move(*r);
  }
  std::optional<dns::Status> exists(const std::string& name) {
    std::optional<dns::Status> out;
    ++pending;
    resolver->domain_exists(name, [&](dns::Status s) {
      out = s;
      if (--pending == 0) loop.stop();
    });
    run();
    return out;
  }
  std::optional<dns::ClientName> client(const std::string& addr) {
    std::optional<dns::ClientName> out;
    ++pending;
    resolver->client_name(*net::parse_ip(addr), [&](dns::ClientName n) {
      out = std::move(n);
      if (--pending == 0) loop.stop();
    });
    run();
    return out;
  }
  void run() {
    deadline.add(std::chrono::seconds(20));
    loop.run();
    deadline.del();
  }
};

}  // namespace

TEST_CASE("dns: domain_exists is MX, else A, else AAAA; NXDOMAIN and no data are NotFound", "[dns]") {
  test::Dnsmasq ns(kRecords);
  Harness h(ns.server());
  CHECK(h.exists("good.example") == dns::Status::Found);
  CHECK(h.exists("AONLY.example.") == dns::Status::Found);
  CHECK(h.exists("v6only.example") == dns::Status::Found);
  CHECK(h.exists("nx.example") == dns::Status::NotFound);
  CHECK(h.exists("") == dns::Status::NotFound);
  CHECK(h.exists(std::string(dns::kNameMax + 1, 'a')) == dns::Status::NotFound);
}

TEST_CASE("dns: client names are forward-confirmed", "[dns]") {
  test::Dnsmasq ns(kRecords);
  Harness h(ns.server());
  auto good = h.client("127.0.0.1");
  REQUIRE(good);
  CHECK(good->status == dns::Status::Found);
  CHECK(good->name == "client.example.org");
  CHECK(good->reverse_status == dns::Status::Found);
  // A PTR name that does not map back: a reverse name, but no name.
  auto liar = h.client("127.0.0.2");
  REQUIRE(liar);
  CHECK(liar->status == dns::Status::NotFound);
  CHECK(liar->name.empty());
  CHECK(liar->reverse_status == dns::Status::Found);
  CHECK(liar->reverse_name == "liar.example.org");
  auto none = h.client("127.0.0.3");
  REQUIRE(none);
  CHECK(none->status == dns::Status::NotFound);
  CHECK(none->reverse_status == dns::Status::NotFound);
}

TEST_CASE("dns: a server that does not answer is TempFail, never NotFound", "[dns]") {
  // Nothing listens there: refused at once, or silence until the timeouts.
  Harness h("127.0.0.1:" + std::to_string(test::Dnsmasq::free_udp_port()), std::chrono::milliseconds(200));
  CHECK(h.exists("good.example") == dns::Status::TempFail);
  auto c = h.client("127.0.0.1");
  REQUIRE(c);
  CHECK(c->status == dns::Status::TempFail);
  CHECK(c->reverse_status == dns::Status::TempFail);
}

TEST_CASE("dns: with hosts_file, a client's name comes from /etc/hosts before DNS", "[dns]") {
  // Debian's /etc/hosts always maps 127.0.0.1 to localhost. The name
  // server does not answer: a name found means DNS was not needed, for the
  // PTR step nor for the confirmation.
  Harness h("127.0.0.1:" + std::to_string(test::Dnsmasq::free_udp_port()), std::chrono::milliseconds(200), true);
  auto c = h.client("127.0.0.1");
  REQUIRE(c);
  CHECK(c->status == dns::Status::Found);
  CHECK(c->reverse_status == dns::Status::Found);
  CHECK(c->name == c->reverse_name);
  CHECK_FALSE(c->name.empty());
  // An address the file does not know goes on to DNS, which fails here.
  auto other = h.client("192.0.2.77");
  REQUIRE(other);
  CHECK(other->status == dns::Status::TempFail);
}

TEST_CASE("dns: with hosts_file, an address the file does not know is asked of DNS", "[dns]") {
  test::Dnsmasq ns(kRecords);
  Harness h(ns.server(), std::chrono::milliseconds(2000), true);
  auto c = h.client("127.0.0.2");  // liar.example.org, which maps elsewhere
  REQUIRE(c);
  CHECK(c->reverse_status == dns::Status::Found);
  CHECK(c->reverse_name == "liar.example.org");
  CHECK(c->status == dns::Status::NotFound);
}

TEST_CASE("dns: lookups pending when the resolver goes are never answered", "[dns]") {
  test::Dnsmasq ns(kRecords);
  event::Loop loop;
  bool called = false;
  {
    auto r = dns::Resolver::create(loop, {.servers = ns.server()});
    REQUIRE(r.ok());
    (*r)->domain_exists("good.example", [&](dns::Status) { called = true; });
    (*r)->client_name(*net::parse_ip("127.0.0.1"), [&](dns::ClientName) { called = true; });
  }
  CHECK_FALSE(called);
}

TEST_CASE("dns: malformed dns_servers is an error", "[dns]") {
  event::Loop loop;
  CHECK_FALSE(dns::Resolver::create(loop, {.servers = "not a server"}).ok());
}
