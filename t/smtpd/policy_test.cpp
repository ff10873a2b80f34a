// Restriction engine, recipient resolution and access table lookup order,
// with the reply texts Postfix 3.7 gives for the same input.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <map>

#include "lib/config/config.h"
#include "lib/file/file.h"
#include "smtpd/policy.h"
#include "t/smtpd/fixture.h"

using namespace buzon;
using namespace buzon::smtpd;
using smtpd_test::TableDir;
using Pairs = std::vector<std::pair<std::string, std::string>>;

namespace {

std::unique_ptr<Policy> policy(const std::string& extra = "") {
  std::string text = "myhostname = mx.example.test\nmydomain = example.test\nmyorigin = $mydomain\n"
                     "mydestination = $myhostname, $mydomain, localhost\ninet_interfaces = 127.0.0.1\n"
                     "mynetworks = 10.0.0.0/8, [2001:db8::]/32, !10.9.0.0/16\n" + extra;
  auto cf = config::MainCf::parse(text, "main.cf", "/nonexistent");
  INFO((cf ? std::string() : cf.error().message));
  REQUIRE(cf.ok());
  auto p = load_policy(*cf);
  INFO((p ? std::string() : p.error().message));
  REQUIRE(p.ok());
  return std::move(*p);
}

address::Address addr(std::string local, std::string domain) {
  address::Address a;
  a.local = std::move(local);
  a.domain = std::move(domain);
  return a;
}

// One RCPT evaluated from a client, the way the session does it.
struct Rcpt {
  const Policy& p;
  std::string client = "192.0.2.9";
  std::string helo = "client.example.org";
  address::Address sender = addr("a", "example.org");
  bool known = true;

  Verdict check(const address::Address& r) {
    Facts f;
    f.client_addr = client;
    f.client_ip = net::parse_ip(client);
    f.in_mynetworks = p.in_mynetworks(f.client_ip);
    f.helo = &helo;
    f.esmtp = true;
    f.sender = &sender;
    Resolved route = p.resolve(r);
    f.recipient = &r;
    f.route = &route;
    f.recipient_known = known;
    return check_rcpt(p, f);
  }
  std::string reply(const address::Address& r) {
    Verdict v = check(r);
    return v.kind == Verdict::Reject ? v.reply : v.kind == Verdict::Permit ? "permit" : "dunno";
  }
};

// Table files in a temporary directory, removed at the end.
// A table that remembers the keys it was asked for.
class RecordingTable : public map::Table {
 public:
  explicit RecordingTable(std::map<std::string, std::string> m) : m_(std::move(m)) { spec_ = "test:table"; }
  Result<std::optional<std::string>> lookup(std::string_view key) override {
    keys.emplace_back(key);
    if (auto it = m_.find(std::string(key)); it != m_.end()) return std::optional<std::string>(it->second);
    return std::optional<std::string>();
  }
  bool is_pattern() const override { return false; }
  std::vector<std::string> keys;

 private:
  std::map<std::string, std::string> m_;
};

}  // namespace

TEST_CASE("resolve: routing in the local part of our domains is followed", "[policy][resolve]") {
  auto p = policy();
  auto r = [&](std::string local, std::string domain) { return p->resolve(addr(std::move(local), std::move(domain))); };
  CHECK(r("user", "EXAMPLE.TEST").cls == AddressClass::Local);
  CHECK(r("user", "elsewhere.example").cls == AddressClass::Default);
  auto pct = r("user%elsewhere.example", "example.test");
  CHECK(pct.cls == AddressClass::Default);
  CHECK(pct.routed);
  CHECK(pct.address() == "user@elsewhere.example");
  CHECK(r("user@elsewhere.example", "example.test").address() == "user@elsewhere.example");  // "user@x"@ours, user@x@ours
  auto bang = r("elsewhere.example!user", "example.test");
  CHECK(bang.address() == "user@elsewhere.example");
  CHECK(bang.cls == AddressClass::Default);
  CHECK(r("x!y", "").address() == "y@x");     // no domain: @myorigin, then the bang path
  CHECK(r("x%y", "").address() == "x@y");
  auto home = r("root%example.test", "example.test");  // routed, but back home
  CHECK(home.cls == AddressClass::Local);
  CHECK(home.routed);
  CHECK(r("root", "").address() == "root@example.test");
  CHECK(r("a%b%mx.example.test", "localhost").address() == "a@b");
  CHECK(r("x", "[127.0.0.1]").cls == AddressClass::Local);  // inet_interfaces
  CHECK(r("x", "[192.0.2.1]").cls == AddressClass::Default);
  auto off = policy("allow_percent_hack = no\nswap_bangpath = no\n");
  CHECK(off->resolve(addr("user%elsewhere.example", "example.test")).cls == AddressClass::Local);
  CHECK(off->resolve(addr("elsewhere.example!user", "example.test")).cls == AddressClass::Local);
}

TEST_CASE("resolve: a routing loop ends, never as local", "[policy][resolve]") {
  auto p = policy();
  std::string local = "u";
  for (int i = 0; i < kResolveSteps + 2; ++i) local += "%example.test";
  CHECK(p->resolve(addr(local, "example.test")).cls == AddressClass::Default);
}

TEST_CASE("policy: mynetworks with IPv6 and exclusions; relay_domains", "[policy]") {
  auto p = policy("relay_domains = relay.example, .dot.example\n");
  CHECK(p->in_mynetworks(net::parse_ip("10.1.2.3")));
  CHECK_FALSE(p->in_mynetworks(net::parse_ip("10.9.2.3")));  // !10.9.0.0/16
  CHECK(p->in_mynetworks(net::parse_ip("2001:db8::7")));
  CHECK_FALSE(p->in_mynetworks(net::parse_ip("127.0.0.1")));
  CHECK_FALSE(p->in_mynetworks(std::nullopt));
  CHECK(p->is_relay_domain("relay.example"));
  CHECK(p->is_relay_domain("Sub.Relay.Example."));  // parent_domain_matches_subdomains
  CHECK(p->is_relay_domain("a.dot.example"));
  CHECK_FALSE(p->is_relay_domain("dot.example"));
  CHECK_FALSE(p->is_relay_domain("xrelay.example"));
  auto strict = policy("relay_domains = relay.example\nparent_domain_matches_subdomains =\n");
  CHECK_FALSE(strict->is_relay_domain("sub.relay.example"));
}

TEST_CASE("policy: a configuration that cannot refuse relaying is refused", "[policy]") {
  auto cf = config::MainCf::parse("smtpd_relay_restrictions =\nsmtpd_recipient_restrictions = permit_mynetworks\n",
                                  "main.cf", "/nonexistent");
  REQUIRE(cf.ok());
  auto p = load_policy(*cf);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().message.find("specify at least one working instance of: reject_unauth_destination") !=
        std::string::npos);
  auto no_table = config::MainCf::parse("smtpd_client_restrictions = check_client_access\n", "main.cf", "/x");
  REQUIRE(no_table.ok());
  CHECK(load_policy(*no_table).error().message == "smtpd_client_restrictions: check_client_access needs a table (type:name)");
  auto missing = config::MainCf::parse("smtpd_client_restrictions = check_client_access cidr:/nonexistent/t\n", "main.cf", "/x");
  REQUIRE(missing.ok());
  CHECK(load_policy(*missing).error().message.find("open /nonexistent/t") != std::string::npos);
}

TEST_CASE("policy: default relay control, from outside and inside mynetworks", "[policy][relay]") {
  auto p = policy();
  Rcpt out{*p};
  CHECK(out.reply(addr("x", "elsewhere.example")) == "454 4.7.1 <x@elsewhere.example>: Relay access denied");
  CHECK(out.reply(addr("x%elsewhere.example", "example.test")) ==
        "454 4.7.1 <x%elsewhere.example@example.test>: Relay access denied");
  CHECK(out.reply(addr("x@elsewhere.example", "example.test")) ==
        "454 4.7.1 <x@elsewhere.example@example.test>: Relay access denied");
  CHECK(out.reply(addr("elsewhere.example!x", "example.test")) ==
        "454 4.7.1 <elsewhere.example!x@example.test>: Relay access denied");
  CHECK(out.reply(addr("x", "[192.0.2.1]")) == "454 4.7.1 <x@[192.0.2.1]>: Relay access denied");
  CHECK(out.reply(addr("x!y", "")) == "454 4.7.1 <x!y>: Relay access denied");
  CHECK(out.reply(addr("root%example.test", "example.test")) == "dunno");  // Postfix accepts it too
  CHECK(out.reply(addr("bob", "EXAMPLE.TEST")) == "dunno");
  out.known = false;
  CHECK(out.reply(addr("nobody", "example.test")) ==
        "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in local recipient table");
  Rcpt in{*p};
  in.client = "10.1.2.3";
  CHECK(in.reply(addr("x", "elsewhere.example")) == "dunno");
  CHECK(in.reply(addr("x%elsewhere.example", "example.test")) == "dunno");
  CHECK(in.reply(addr("x", "[192.0.2.1]")) == "dunno");
  in.client = "2001:db8::1";
  CHECK(in.reply(addr("x", "elsewhere.example")) == "dunno");
  auto strict = policy("smtpd_recipient_restrictions = reject_unauth_destination\n");
  Rcpt s{*strict};
  CHECK(s.reply(addr("x", "elsewhere.example")) == "454 4.7.1 <x@elsewhere.example>: Relay access denied");
  auto only = policy("smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\nrelay_domains = relay.example\n");
  Rcpt o{*only};
  CHECK(o.reply(addr("x", "elsewhere.example")) == "554 5.7.1 <x@elsewhere.example>: Relay access denied");
  CHECK(o.reply(addr("x", "relay.example")) == "dunno");
  // Routing to a relay domain through our own is untrusted routing.
  CHECK(o.reply(addr("x%relay.example", "example.test")) ==
        "554 5.7.1 <x%relay.example@example.test>: Relay access denied");
}

TEST_CASE("restrictions: generic and HELO/sender/recipient checks, Postfix's texts", "[policy][restrictions]") {
  SECTION("reject and defer name the list they are in") {
    auto p = policy("smtpd_client_restrictions = reject\n");
    Rcpt r{*p};
    CHECK(r.reply(addr("bob", "example.test")) == "554 5.7.1 <unknown[192.0.2.9]>: Client host rejected: Access denied");
    auto d = policy("smtpd_recipient_restrictions = defer\n");
    Rcpt rd{*d};
    CHECK(rd.reply(addr("bob", "example.test")) ==
          "450 4.3.2 <bob@example.test>: Recipient address rejected: Try again later");
    auto s = policy("smtpd_sender_restrictions = reject\nreject_code = 550\n");
    Rcpt rs{*s};
    rs.sender = address::Address{};
    rs.sender.is_null = true;
    CHECK(rs.reply(addr("bob", "example.test")) == "550 5.7.1 <>: Sender address rejected: Access denied");
  }
  SECTION("HELO hostname checks") {
    auto p = policy("smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname\n");
    Rcpt r{*p};
    auto helo = [&](std::string h) {
      r.helo = std::move(h);
      return r.reply(addr("bob", "example.test"));
    };
    CHECK(helo("foo") == "504 5.5.2 <foo>: Helo command rejected: need fully-qualified hostname");
    CHECK(helo("foo_bar") == "504 5.5.2 <foo_bar>: Helo command rejected: need fully-qualified hostname");
    CHECK(helo("1.2.3.4") == "504 5.5.2 <1.2.3.4>: Helo command rejected: need fully-qualified hostname");
    CHECK(helo("foo..bar") == "501 5.5.2 <foo..bar>: Helo command rejected: Invalid name");
    CHECK(helo("-foo.bar") == "501 5.5.2 <-foo.bar>: Helo command rejected: Invalid name");
    CHECK(helo("[1.2.3]") == "501 5.5.2 <[1.2.3]>: Helo command rejected: invalid ip address");
    CHECK(helo("[1.2.3.4]") == "dunno");
    CHECK(helo("foo.123") == "dunno");
    CHECK(helo("foo.bar.") == "dunno");
    CHECK(helo(std::string(64, 'a') + ".example") == "501 5.5.2 <" + std::string(64, 'a') + ".example>: Helo command rejected: Invalid name");
    CHECK(helo(std::string(63, 'a') + ".example") == "dunno");
  }
  SECTION("warn_if_reject logs instead of rejecting") {
    auto p = policy("smtpd_helo_restrictions = warn_if_reject, reject_non_fqdn_helo_hostname\n");
    Rcpt r{*p};
    r.helo = "foo";
    Verdict v = r.check(addr("bob", "example.test"));
    CHECK(v.kind == Verdict::Dunno);
    REQUIRE(v.notes.size() == 1);
    CHECK(v.notes[0].first == "reject_warning");
    CHECK(v.notes[0].second == "504 5.5.2 <foo>: Helo command rejected: need fully-qualified hostname");
  }
  SECTION("non-FQDN sender and recipient") {
    auto p = policy("smtpd_sender_restrictions = reject_non_fqdn_sender\n"
                    "smtpd_recipient_restrictions = reject_non_fqdn_recipient\n");
    Rcpt r{*p};
    r.sender = addr("a", "");
    CHECK(r.reply(addr("bob", "example.test")) == "504 5.5.2 <a>: Sender address rejected: need fully-qualified address");
    r.sender = addr("a", "foo");
    CHECK(r.reply(addr("bob", "example.test")) == "504 5.5.2 <a@foo>: Sender address rejected: need fully-qualified address");
    r.sender = addr("a", "example.org");
    CHECK(r.reply(addr("root", "")) == "504 5.5.2 <root>: Recipient address rejected: need fully-qualified address");
  }
  SECTION("an unknown restriction is a server configuration error") {
    auto p = policy("smtpd_client_restrictions = bogus_restriction\n");
    Rcpt r{*p};
    Verdict v = r.check(addr("bob", "example.test"));
    CHECK(v.reply == "451 4.3.5 Server configuration error");
    REQUIRE(v.notes.size() == 1);
    CHECK(v.notes[0].second == "unknown smtpd restriction: \"bogus_restriction\"");
  }
  SECTION("permit ends its own list only") {
    auto p = policy("smtpd_client_restrictions = permit\nsmtpd_sender_restrictions = reject\n");
    Rcpt r{*p};
    CHECK(r.reply(addr("bob", "example.test")) == "554 5.7.1 <a@example.org>: Sender address rejected: Access denied");
  }
}

TEST_CASE("restrictions: reject_unauth_pipelining", "[policy][restrictions]") {
  auto p = policy("smtpd_data_restrictions = reject_unauth_pipelining\n");
  Facts f;
  f.command = "DATA";
  CHECK(check_data(*p, f).kind == Verdict::Dunno);
  f.pipelined = true;
  CHECK(check_data(*p, f).reply ==
        "503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining");
  f.esmtp = true;  // after DATA, also for ESMTP clients
  CHECK(check_data(*p, f).kind == Verdict::Reject);
}

TEST_CASE("restrictions: access table lookup order (access(5))", "[policy][access]") {
  RestrictionParams params;
  params.recipient_delimiter = "+";
  auto run = [&](Restriction what, std::map<std::string, std::string> m, const Facts& f, Stage stage = Stage::Recipient) {
    auto t = std::make_shared<RecordingTable>(std::move(m));
    Step s;
    s.what = what;
    s.table = t;
    Verdict v = evaluate({s}, stage, f, params);
    return std::make_pair(v, t->keys);
  };
  using Keys = std::vector<std::string>;
  SECTION("sender: user+ext@domain, user@domain, domain, parents, user+ext@, user@") {
    address::Address a = addr("User+Ext", "Sub.Example.NET");
    Facts f;
    f.sender = &a;
    auto [v, keys] = run(Restriction::CheckSenderAccess, {}, f);
    CHECK(v.kind == Verdict::Dunno);
    CHECK(keys == Keys{"user+ext@sub.example.net", "user@sub.example.net", "sub.example.net", "example.net", "net",
                       "user+ext@", "user@"});
    params.parent_matches_subdomains = false;
    auto [v2, keys2] = run(Restriction::CheckSenderAccess, {}, f);
    CHECK(keys2 == Keys{"user+ext@sub.example.net", "user@sub.example.net", "sub.example.net", ".example.net", ".net",
                        "user+ext@", "user@"});
    params.parent_matches_subdomains = true;
  }
  SECTION("the first key found decides") {
    address::Address a = addr("a", "sub.example.net");
    Facts f;
    f.sender = &a;
    auto [v, keys] = run(Restriction::CheckSenderAccess, {{"example.net", "REJECT"}, {"a@", "OK"}}, f);
    CHECK(v.reply == "554 5.7.1 <a@sub.example.net>: Sender address rejected: Access denied");
    CHECK(keys == Keys{"a@sub.example.net", "sub.example.net", "example.net"});
  }
  SECTION("null sender uses smtpd_null_access_lookup_key") {
    address::Address a;
    a.is_null = true;
    Facts f;
    f.sender = &a;
    auto [v, keys] = run(Restriction::CheckSenderAccess, {{"<>", "REJECT null sender"}}, f);
    CHECK(v.reply == "554 5.7.1 <>: Sender address rejected: null sender");
    CHECK(keys == Keys{"<>"});
  }
  SECTION("client: name and parents, then the address and its prefixes") {
    Facts f;
    f.client_name = "mail.example.org";
    f.client_addr = "192.0.2.1";
    auto [v, keys] = run(Restriction::CheckClientAccess, {}, f, Stage::Client);
    CHECK(keys == Keys{"mail.example.org", "example.org", "org", "192.0.2.1", "192.0.2", "192.0", "192"});
    f.client_name = "unknown";
    f.client_addr = "2001:db8::1";
    auto [v6, keys6] = run(Restriction::CheckClientAccess, {}, f, Stage::Client);
    CHECK(keys6 == Keys{"2001:db8::1", "2001:db8", "2001"});
  }
  SECTION("actions") {
    address::Address a = addr("x", "t.example");
    Facts f;
    f.recipient = &a;
    auto act = [&](std::string value) {
      Verdict v = run(Restriction::CheckRecipientAccess, {{"t.example", value}}, f).first;
      return v.kind == Verdict::Reject ? v.reply : v.kind == Verdict::Permit ? "permit" : "dunno";
    };
    CHECK(act("OK") == "permit");
    CHECK(act("PERMIT") == "permit");
    CHECK(act("DUNNO") == "dunno");
    CHECK(act("550") == "permit");  // all-numerical: OK, for compatibility
    CHECK(act("REJECT") == "554 5.7.1 <x@t.example>: Recipient address rejected: Access denied");
    CHECK(act("REJECT custom text here") == "554 5.7.1 <x@t.example>: Recipient address rejected: custom text here");
    CHECK(act("DEFER") == "450 4.7.1 <x@t.example>: Recipient address rejected: Access denied");
    CHECK(act("DEFER later please") == "450 4.7.1 <x@t.example>: Recipient address rejected: later please");
    CHECK(act("450 4.7.9 temp text") == "450 4.7.9 <x@t.example>: Recipient address rejected: temp text");
    CHECK(act("550 plain five") == "550 5.7.1 <x@t.example>: Recipient address rejected: plain five");
    CHECK(act("551 4.1.1 mixed") == "551 5.1.1 <x@t.example>: Recipient address rejected: mixed");
    CHECK(act("FOOBAR") == "451 4.3.5 Server configuration error");
    CHECK(act("250 odd") == "451 4.3.5 Server configuration error");
    CHECK(act("reject") == "554 5.7.1 <x@t.example>: Recipient address rejected: Access denied");  // a restriction name
    Verdict w = run(Restriction::CheckRecipientAccess, {{"t.example", "WARN watch it"}}, f).first;
    CHECK(w.kind == Verdict::Dunno);
    REQUIRE(w.notes.size() == 1);
    CHECK(w.notes[0] == std::make_pair(std::string("warn"), std::string("watch it")));
    // HOLD goes on to the next restriction; DISCARD ends the list like OK.
    Verdict h = run(Restriction::CheckRecipientAccess, {{"t.example", "HOLD"}}, f).first;
    CHECK(h.kind == Verdict::Dunno);
    REQUIRE(h.notes.size() == 1);
    CHECK(h.notes[0] == std::make_pair(std::string("hold"),
                                       std::string("<x@t.example>: Recipient address triggers HOLD action")));
    Verdict d = run(Restriction::CheckRecipientAccess, {{"t.example", "DISCARD spam trap"}}, f).first;
    CHECK(d.kind == Verdict::Permit);
    REQUIRE(d.notes.size() == 1);
    CHECK(d.notes[0] == std::make_pair(std::string("discard"), std::string("<x@t.example>: Recipient address spam trap")));
    CHECK(d.actions == Pairs{{"discard", ""}});
  }
  SECTION("FILTER, REDIRECT, BCC and PREPEND act on the message and never decide") {
    address::Address a = addr("x", "t.example");
    Facts f;
    f.recipient = &a;
    auto one = [&](std::string value) { return run(Restriction::CheckRecipientAccess, {{"t.example", value}}, f).first; };
    Verdict v = one("FILTER scan:[127.0.0.1]:10025");
    CHECK(v.kind == Verdict::Dunno);
    CHECK(v.actions == Pairs{{"filter", "scan:[127.0.0.1]:10025"}});
    CHECK(v.notes == Pairs{{"filter", "<x@t.example>: Recipient address triggers FILTER scan:[127.0.0.1]:10025"}});
    v = one("redirect Boss@Example.ORG");
    CHECK(v.kind == Verdict::Dunno);
    CHECK(v.actions == Pairs{{"redirect", "Boss@Example.ORG"}});
    CHECK(v.notes == Pairs{{"redirect", "<x@t.example>: Recipient address triggers REDIRECT Boss@Example.ORG"}});
    v = one("BCC archive@t.example");
    CHECK(v.actions == Pairs{{"bcc", "archive@t.example"}});
    CHECK(v.notes == Pairs{{"bcc", "<x@t.example>: Recipient address triggers BCC archive@t.example"}});
    v = one("PREPEND X-Checked: by  access, twice");
    CHECK(v.kind == Verdict::Dunno);
    CHECK(v.actions == Pairs{{"prepend", "X-Checked: by  access, twice"}});
    CHECK(v.notes.empty());  // Postfix does not log PREPEND
    // Values that cannot work are logged and ignored (DUNNO), as Postfix.
    for (std::string bad : std::vector<std::string>{"FILTER", "FILTER nocolon", "REDIRECT", "REDIRECT nobody", "BCC a b@c", "PREPEND",
                            "PREPEND no colon here", "PREPEND :empty name", "PREPEND X Y: space in name",
                            "PREPEND X-Long: " + std::string(kHeaderLineMax, 'y')}) {
      INFO(bad);
      v = one(bad);
      CHECK(v.kind == Verdict::Dunno);
      CHECK(v.actions.empty());
      REQUIRE(v.notes.size() == 1);
      CHECK(v.notes[0].first == "warning");
      CHECK(v.notes[0].second.find("access table test:table entry") == 0);
    }
    CHECK(one("PREPEND X-Ok: " + std::string(kHeaderLineMax - 6, 'y')).actions.size() == 1);  // exactly the limit
  }
  SECTION("restriction names as results nest, up to a limit") {
    address::Address a = addr("x", "t.example");
    Facts f;
    f.recipient = &a;
    f.in_mynetworks = true;
    Verdict v = run(Restriction::CheckRecipientAccess, {{"t.example", "permit_mynetworks, reject"}}, f).first;
    CHECK(v.kind == Verdict::Permit);
    f.in_mynetworks = false;
    v = run(Restriction::CheckRecipientAccess, {{"t.example", "permit_mynetworks, reject"}}, f).first;
    CHECK(v.reply == "554 5.7.1 <x@t.example>: Recipient address rejected: Access denied");
  }
}

TEST_CASE("restrictions: DEFER_IF_PERMIT and DEFER_IF_REJECT settle at the end of the command", "[policy][access]") {
  TableDir dir;
  std::string clients = dir.write("clients", "# check_client_access\n192.0.2.1 DEFER_IF_PERMIT slow down\n"
                                             "192.0.2.2 DEFER_IF_REJECT\n");
  std::string rcpts = dir.write("rcpts", "blocked@example.test REJECT go away\nlater@example.test DEFER_IF_PERMIT\n");
  auto p = policy("smtpd_client_restrictions = check_client_access texthash:" + clients +
                  "\nsmtpd_recipient_restrictions = check_recipient_access texthash:" + rcpts +
                  ", permit_mynetworks, reject_unauth_destination\n");
  Rcpt r{*p};
  // 192.0.2.1: DEFER_IF_PERMIT. Local mail is permitted, so it is deferred;
  // relaying is rejected anyway, with the rejection's own reply.
  r.client = "192.0.2.1";
  CHECK(r.reply(addr("alice", "example.test")) == "450 4.7.1 <unknown[192.0.2.1]>: Client host rejected: slow down");
  CHECK(r.reply(addr("x", "elsewhere.example")) == "454 4.7.1 <x@elsewhere.example>: Relay access denied");
  // 192.0.2.2: DEFER_IF_REJECT. A 5xx rejection later becomes the deferral.
  r.client = "192.0.2.2";
  CHECK(r.reply(addr("alice", "example.test")) == "dunno");
  CHECK(r.reply(addr("blocked", "example.test")) == "450 4.7.1 <unknown[192.0.2.2]>: Client host rejected: Access denied");
  // No deferral pending: the rejection stands.
  r.client = "192.0.2.3";
  CHECK(r.reply(addr("blocked", "example.test")) == "554 5.7.1 <blocked@example.test>: Recipient address rejected: go away");
  // A DEFER_IF_PERMIT of the recipient's own table defers the implicit permit.
  CHECK(r.reply(addr("later", "example.test")) == "450 4.7.1 <later@example.test>: Recipient address rejected: Access denied");
}

TEST_CASE("restrictions: DNS restrictions with Postfix's codes; temporary failures never 5xx", "[policy][dns]") {
  auto p = policy("smtpd_client_restrictions = reject_unknown_reverse_client_hostname, reject_unknown_client_hostname\n"
                  "smtpd_helo_restrictions = reject_unknown_helo_hostname\n"
                  "smtpd_sender_restrictions = reject_unknown_sender_domain\n"
                  "smtpd_recipient_restrictions = reject_unknown_recipient_domain\n"
                  "relay_domains = relay.example\nmynetworks = 10.0.0.0/8\n");
  CHECK(p->needs(Restriction::RejectUnknownHeloHostname));
  CHECK(p->needs(Restriction::RejectUnknownReverseClientHostname));
  std::string helo = "mx.example.org";
  address::Address sender = addr("a", "example.org");
  address::Address rcpt = addr("x", "relay.example");
  auto run = [&](auto tweak) {
    Facts f;
    f.client_addr = "192.0.2.9";
    f.client_ip = net::parse_ip(f.client_addr);
    f.client_name = "mx.example.org";
    f.client_name_status = f.client_reverse_name_status = DnsStatus::Found;
    f.helo = &helo;
    f.helo_status = DnsStatus::Found;
    f.sender = &sender;
    f.sender_domain = DnsStatus::Found;
    Resolved route = p->resolve(rcpt);
    f.recipient = &rcpt;
    f.route = &route;
    f.recipient_domain = DnsStatus::Found;
    tweak(f);
    Verdict v = check_rcpt(*p, f);
    return v.kind == Verdict::Reject ? v.reply : v.kind == Verdict::Permit ? "permit" : "dunno";
  };
  CHECK(run([](Facts&) {}) == "dunno");
  CHECK(run([](Facts& f) { f.client_reverse_name_status = f.client_name_status = DnsStatus::NotFound; }) ==
        "450 4.7.25 Client host rejected: cannot find your reverse hostname, [192.0.2.9]");
  CHECK(run([](Facts& f) { f.client_name_status = DnsStatus::NotFound; }) ==
        "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.9]");
  CHECK(run([](Facts& f) { f.helo_status = DnsStatus::NotFound; }) ==
        "450 4.7.1 <mx.example.org>: Helo command rejected: Host not found");
  CHECK(run([](Facts& f) { f.sender_domain = DnsStatus::NotFound; }) ==
        "450 4.1.8 <a@example.org>: Sender address rejected: Domain not found");
  CHECK(run([](Facts& f) { f.recipient_domain = DnsStatus::NotFound; }) ==
        "450 4.1.2 <x@relay.example>: Recipient address rejected: Domain not found");
  // Not looked up (no resolver): nothing to reject.
  CHECK(run([](Facts& f) { f.sender_domain = f.helo_status = f.recipient_domain = DnsStatus::NotLooked; }) == "dunno");
  // An address literal HELO is not looked up.
  std::string literal = "[192.0.2.9]";
  CHECK(run([&](Facts& f) { f.helo = &literal; f.helo_status = DnsStatus::NotFound; }) == "dunno");
  // defer_if_permit: a temporary failure defers what would be accepted...
  CHECK(run([](Facts& f) { f.sender_domain = DnsStatus::TempFail; }) ==
        "450 4.1.8 <a@example.org>: Sender address rejected: Domain not found");
  CHECK(run([](Facts& f) { f.helo_status = DnsStatus::TempFail; }) ==
        "450 4.7.1 <mx.example.org>: Helo command rejected: Host not found");
  // ...but a rejection found later stands.
  CHECK(run([](Facts& f) {
          f.sender_domain = DnsStatus::TempFail;
          f.recipient_domain = DnsStatus::NotFound;
        }) == "450 4.1.2 <x@relay.example>: Recipient address rejected: Domain not found");
  // Postfix's codes are parameters.
  auto strict = policy("smtpd_sender_restrictions = reject_unknown_sender_domain, reject_unknown_helo_hostname\n"
                       "unknown_address_reject_code = 550\nunknown_hostname_reject_code = 554\n"
                       "unknown_address_tempfail_action = defer\n");
  Facts f;
  f.client_addr = "192.0.2.9";
  f.helo = &helo;
  f.sender = &sender;
  f.sender_domain = DnsStatus::NotFound;
  CHECK(check_sender(*strict, f).reply == "550 5.1.8 <a@example.org>: Sender address rejected: Domain not found");
  f.sender_domain = DnsStatus::Found;
  f.helo_status = DnsStatus::NotFound;
  CHECK(check_sender(*strict, f).reply == "554 5.7.1 <mx.example.org>: Helo command rejected: Host not found");
  f.sender_domain = DnsStatus::TempFail;  // defer: at once, even though the HELO check would reject
  CHECK(check_sender(*strict, f).reply == "450 4.1.8 <a@example.org>: Sender address rejected: Domain not found");
  auto bad = config::MainCf::parse("unknown_address_tempfail_action = maybe\n", "main.cf", "/x");
  REQUIRE(bad.ok());
  CHECK(load_policy(*bad).error().message == "unknown_address_tempfail_action: expected defer or defer_if_permit, not \"maybe\"");
}
