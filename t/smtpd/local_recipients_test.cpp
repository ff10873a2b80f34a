// local_recipient_maps at RCPT TO: accounts and aliases are recipients,
// other local parts are refused by reject_unlisted_recipient (550 5.1.1),
// an unreadable table is 451 4.3.0, an empty list accepts every local part.
#include <catch2/catch.hpp>

#include "lib/map/map.h"
#include "smtpd/checks.h"
#include "t/smtpd/fixture.h"
#include "t/temp_dir.h"

using namespace buzon;
using smtpd_test::Client;
using smtpd_test::Fixture;

namespace {

smtpd::RcptLookup rcpt(const Fixture& f, const std::string& text) {
  auto a = address::parse_mailbox(text);
  REQUIRE(a.ok());
  return smtpd::lookup_recipient(f.settings, *a);
}

using test::TempDir;

std::string aliases_in(const std::string& dir) {
  std::string p = dir + "/aliases";
  REQUIRE(file::write_atomic(p, "staff: alice, bob\nlist-request: alice\n"));
  REQUIRE(map::find_type("hash")->build(p, map::Syntax::Alias, true, nullptr));
  return p;
}

}  // namespace

TEST_CASE("smtpd: aliases are local recipients, extensions fall back", "[smtpd][local_recipients]") {
  TempDir d;
  std::string p = aliases_in(d.path);
  Fixture f("recipient_delimiter = +\nalias_maps = hash:" + p + "\n");
  CHECK(rcpt(f, "Staff@example.test").known);
  CHECK(rcpt(f, "staff+x@example.test").known);
  CHECK(rcpt(f, "list-request@example.test").known);
  CHECK(rcpt(f, "alice@example.test").known);
  auto v = rcpt(f, "nobody@example.test");
  CHECK_FALSE(v.known);
  CHECK(v.temp_error.empty());
  CHECK(rcpt(f, "nobody@elsewhere.example").known);  // not local: not ours to judge
}

TEST_CASE("smtpd: an unreadable alias table is a temporary failure", "[smtpd][local_recipients]") {
  Fixture f("alias_maps = hash:/nonexistent/aliases\n");
  auto alice = rcpt(f, "alice@example.test");  // accounts come first
  CHECK(alice.known);
  CHECK(alice.temp_error.empty());
  CHECK_FALSE(rcpt(f, "staff@example.test").temp_error.empty());
}

TEST_CASE("smtpd: empty local_recipient_maps accepts every local part", "[smtpd][local_recipients]") {
  Fixture f("local_recipient_maps =\n");
  CHECK(rcpt(f, "whoever@example.test").known);
}

TEST_CASE("smtpd: RCPT replies through the restriction lists", "[smtpd][local_recipients]") {
  TempDir d;
  std::string p = aliases_in(d.path);
  Fixture f("alias_maps = hash:" + p + "\n");
  Client c(f);
  c.say("EHLO client.example\r\n");
  c.say("MAIL FROM:<x@elsewhere.example>\r\n");
  CHECK(c.say("RCPT TO:<staff@example.test>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(c.say("RCPT TO:<nobody@example.test>\r\n") ==
        "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in local recipient table\r\n");

  SECTION("smtpd_reject_unlisted_recipient = no leaves unknown users to local(8)") {
    Fixture g("alias_maps = hash:" + p + "\nsmtpd_reject_unlisted_recipient = no\n");
    Client n(g);
    n.say("EHLO client.example\r\nMAIL FROM:<x@elsewhere.example>\r\n");
    CHECK(n.say("RCPT TO:<nobody@example.test>\r\n") == "250 2.1.5 Ok\r\n");
  }
  SECTION("an unreadable table answers 451 4.3.0") {
    Fixture g("alias_maps = hash:/nonexistent/aliases\n");
    Client n(g);
    n.say("EHLO client.example\r\nMAIL FROM:<x@elsewhere.example>\r\n");
    CHECK(n.say("RCPT TO:<staff@example.test>\r\n") ==
          "451 4.3.0 <staff@example.test>: Temporary lookup failure\r\n");
  }
}

TEST_CASE("smtpd: virtual alias domains: aliases exist, other addresses are unknown", "[smtpd][virtual]") {
  TempDir d;
  std::string p = d.path + "/virtual";
  REQUIRE(file::write_atomic(p,
                             "virt.example x\n"
                             "info@virt.example bob@example.test\n"
                             "@catch.example carol@example.test\n"
                             "outside@elsewhere.example bob@example.test\n"
                             "postmaster alice\n"));
  Fixture f("recipient_delimiter = +\nvirtual_alias_maps = texthash:" + p +
            "\nvirtual_alias_domains = $virtual_alias_maps catch.example\n");
  auto info = rcpt(f, "Info+tag@Virt.Example");
  CHECK(info.known);
  CHECK(info.route.cls == smtpd::AddressClass::VirtualAlias);
  CHECK(rcpt(f, "anyone@catch.example").known);
  auto nobody = rcpt(f, "nobody@virt.example");
  CHECK_FALSE(nobody.known);
  CHECK(nobody.temp_error.empty());
  CHECK(nobody.route.cls == smtpd::AddressClass::VirtualAlias);
  CHECK(rcpt(f, "outside@elsewhere.example").route.cls == smtpd::AddressClass::Default);  // listed, but no domain of ours
  CHECK(rcpt(f, "nobody@example.test").known == false);                                    // local rules still apply

  Client c(f);
  c.say("EHLO client.example\r\n");
  c.say("MAIL FROM:<x@elsewhere.example>\r\n");
  CHECK(c.say("RCPT TO:<info@virt.example>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(c.say("RCPT TO:<who@catch.example>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(c.say("RCPT TO:<nobody@virt.example>\r\n") ==
        "550 5.1.1 <nobody@virt.example>: Recipient address rejected: User unknown in virtual alias table\r\n");

  SECTION("unknown_virtual_alias_reject_code") {
    Fixture g("virtual_alias_maps = texthash:" + p + "\nunknown_virtual_alias_reject_code = 450\n");
    Client n(g);
    n.say("EHLO client.example\r\nMAIL FROM:<x@elsewhere.example>\r\n");
    CHECK(n.say("RCPT TO:<nobody@virt.example>\r\n") ==
          "450 4.1.1 <nobody@virt.example>: Recipient address rejected: User unknown in virtual alias table\r\n");
  }
  SECTION("an unreadable table answers 451 4.3.0") {
    Fixture g("virtual_alias_maps = texthash:/nonexistent/virtual\n");
    Client n(g);
    n.say("EHLO client.example\r\nMAIL FROM:<x@elsewhere.example>\r\n");
    CHECK(n.say("RCPT TO:<info@virt.example>\r\n") == "451 4.3.0 <info@virt.example>: Temporary lookup failure\r\n");
  }
}
