// reject_*sender_login_mismatch with smtpd_sender_login_maps: Postfix's
// lookup keys and its replies for each variant.
#include <catch2/catch.hpp>

#include <fstream>

#include "lib/config/config.h"
#include "smtpd/policy.h"
#include "smtpd/sender_login.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::smtpd;

namespace {

address::Address sender(std::string local, std::string domain) {
  address::Address a;
  a.local = std::move(local);
  a.domain = std::move(domain);
  return a;
}

// A table that fails every lookup, as an unreadable hash: table does.
class BrokenTable : public map::Table {
 public:
  BrokenTable() { spec_ = "hash:/broken"; }
  Result<std::optional<std::string>> lookup(std::string_view) override { return Error{"cannot read"}; }
};

struct Check {
  RestrictionParams params;
  Facts f;
  address::Address from;
  Verdict run(Restriction what) {
    f.sender = &from;
    return evaluate({Step{what, "x", nullptr}}, Stage::Sender, f, params);
  }
  void login(std::string user) {
    f.sasl_authenticated = !user.empty();
    f.sasl_username = std::move(user);
  }
};

}  // namespace

TEST_CASE("sender login: lookup keys in mail_addr_find order", "[policy][sender_login]") {
  using Keys = std::vector<std::string>;
  CHECK(sender_login_keys(sender("Bob+Lists", "Example.TEST"), true, "+") ==
        Keys{"bob+lists@example.test", "bob@example.test", "bob+lists", "bob", "@example.test"});
  // The bare local part is only looked up for our own domains.
  CHECK(sender_login_keys(sender("bob", "elsewhere.example"), false, "+") == Keys{"bob@elsewhere.example", "@elsewhere.example"});
  CHECK(sender_login_keys(sender("bob", ""), false, "+") == Keys{"bob"});
}

TEST_CASE("sender login: the four restrictions, Postfix's replies", "[policy][sender_login]") {
  test::TempDir dir;
  std::ofstream(dir.path + "/owners") << "alice@example.test alice\n"
                                         "shared@example.test alice, Bob\n"
                                         "@team.example carol\n";
  auto cf = config::MainCf::parse("mydestination = example.test\nmyorigin = example.test\n"
                                  "smtpd_sender_login_maps = texthash:" + dir.path + "/owners\n",
                                  "main.cf", "/nonexistent");
  REQUIRE(cf.ok());
  auto p = load_policy(*cf);
  REQUIRE(p.ok());
  REQUIRE((*p)->params.sender_login_maps.size() == 1);
  Check c{(*p)->params};
  const auto any = Restriction::RejectSenderLoginMismatch;
  const auto authenticated = Restriction::RejectAuthenticatedSenderLoginMismatch;
  const auto known = Restriction::RejectKnownSenderLoginMismatch;
  const auto unauthenticated = Restriction::RejectUnauthenticatedSenderLoginMismatch;

  SECTION("logged in as an owner: every variant lets the sender pass") {
    c.login("BOB");  // owners compare without case
    c.from = sender("shared", "example.test");
    for (auto r : {any, authenticated, known, unauthenticated}) CHECK(c.run(r).kind == Verdict::Dunno);
    c.login("carol");
    c.from = sender("anyone", "team.example");  // @domain
    CHECK(c.run(any).kind == Verdict::Dunno);
  }
  SECTION("logged in, not the owner") {
    c.login("bob");
    c.from = sender("alice", "example.test");
    const std::string reply = "553 5.7.1 <alice@example.test>: Sender address rejected: not owned by user bob";
    CHECK(c.run(any).reply == reply);
    CHECK(c.run(authenticated).reply == reply);
    CHECK(c.run(known).reply == reply);
    CHECK(c.run(unauthenticated).kind == Verdict::Dunno);
  }
  SECTION("logged in, a sender nobody owns: only the 'known' variant allows it") {
    c.login("bob");
    c.from = sender("stranger", "elsewhere.example");
    CHECK(c.run(any).reply == "553 5.7.1 <stranger@elsewhere.example>: Sender address rejected: not owned by user bob");
    CHECK(c.run(authenticated).kind == Verdict::Reject);
    CHECK(c.run(known).kind == Verdict::Dunno);
    CHECK(c.run(unauthenticated).kind == Verdict::Dunno);
  }
  SECTION("not logged in: an owned sender needs a login") {
    c.from = sender("alice", "example.test");
    const std::string reply = "553 5.7.1 <alice@example.test>: Sender address rejected: not logged in";
    CHECK(c.run(any).reply == reply);
    CHECK(c.run(known).reply == reply);
    CHECK(c.run(unauthenticated).reply == reply);
    CHECK(c.run(authenticated).kind == Verdict::Dunno);
    c.from = sender("stranger", "elsewhere.example");
    for (auto r : {any, authenticated, known, unauthenticated}) CHECK(c.run(r).kind == Verdict::Dunno);
  }
  SECTION("local part alone matches only for our domains") {
    std::ofstream(dir.path + "/local") << "dave dave\n";
    RestrictionParams lp;
    auto t = map::open("texthash:" + dir.path + "/local");
    REQUIRE(t.ok());
    lp.sender_login_maps.push_back(std::move(*t));
    Check l{lp};
    l.from = sender("dave", "example.test");
    l.f.sender_local = true;
    CHECK(l.run(unauthenticated).kind == Verdict::Reject);
    l.f.sender_local = false;
    CHECK(l.run(unauthenticated).kind == Verdict::Dunno);
  }
  SECTION("the null sender and empty maps are never checked") {
    c.from = address::Address{};
    c.from.is_null = true;
    CHECK(c.run(any).kind == Verdict::Dunno);
    RestrictionParams none;
    Check n{none};
    n.from = sender("alice", "example.test");
    CHECK(n.run(any).kind == Verdict::Dunno);
  }
  SECTION("an unreadable table defers and logs") {
    RestrictionParams bp;
    bp.sender_login_maps.push_back(std::make_shared<BrokenTable>());
    Check b{bp};
    b.from = sender("alice", "example.test");
    Verdict v = b.run(any);
    CHECK(v.reply == "451 4.3.0 <alice@example.test>: Sender address rejected: Temporary lookup failure");
    REQUIRE(v.notes.size() == 1);
    CHECK(v.notes[0].first == "warning");
  }
}

TEST_CASE("sender login: a table that cannot be opened is a configuration error", "[policy][sender_login]") {
  auto cf = config::MainCf::parse("smtpd_sender_login_maps = hash:/nonexistent/owners\n", "main.cf", "/nonexistent");
  REQUIRE(cf.ok());
  auto p = load_policy(*cf);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().message.find("smtpd_sender_login_maps: ") == 0);
}
