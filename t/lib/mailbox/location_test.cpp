#include <catch2/catch.hpp>

#include "lib/config/config.h"
#include "lib/mailbox/location.h"

using namespace buzon;
using namespace buzon::mailbox;

namespace {

config::MainCf cf(const std::string& text) {
  auto c = config::MainCf::parse(text, "main.cf", "/etc/buzon");
  REQUIRE(c);
  return std::move(*c);
}

const Owner kAlice{"alice", "/home/alice"};

}  // namespace

TEST_CASE("mail_location: Dovecot's Maildir and mbox forms", "[mailbox][location]") {
  auto m = parse_location("maildir:~/Maildir");
  REQUIRE(m);
  CHECK(m->format == Format::Maildir);
  CHECK(m->root == "~/Maildir");
  CHECK(m->inbox == "~/Maildir");

  auto b = parse_location("mbox:~/mail:INBOX=/var/mail/%u");
  REQUIRE(b);
  CHECK(b->format == Format::Mbox);
  CHECK(b->root == "~/mail");
  CHECK(b->inbox == "/var/mail/%u");

  auto plain = parse_location("MBOX:/srv/mail/%d/%n");  // no INBOX=: the inbox lives in the directory
  REQUIRE(plain);
  CHECK(plain->inbox == "/srv/mail/%d/%n/inbox");

  CHECK(parse_location("maildir:~/Maildir:LAYOUT=fs:INDEX=/var/idx/%u"));
}

TEST_CASE("mail_location: malformed values are errors", "[mailbox][location]") {
  CHECK_FALSE(parse_location(""));
  CHECK_FALSE(parse_location("maildir"));
  CHECK_FALSE(parse_location("maildir:"));
  CHECK_FALSE(parse_location("mdbox:~/mdbox"));
  CHECK_FALSE(parse_location("mbox:~/mail:INBOX"));
  auto e = parse_location("maildir:~/Maildir:FOO=bar");
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("FOO") != std::string::npos);
}

TEST_CASE("mail_location: ~ and the %-variables", "[mailbox][location]") {
  CHECK(*expand_path("~/Maildir", kAlice) == "/home/alice/Maildir");
  CHECK(*expand_path("~", kAlice) == "/home/alice");
  CHECK(*expand_path("/var/mail/%u", kAlice) == "/var/mail/alice");
  Owner virt{"bob@example.org", "/srv/vmail/example.org/bob"};
  CHECK(*expand_path("/srv/%d/%n/%%/%u", virt) == "/srv/example.org/bob/%/bob@example.org");
  CHECK(*expand_path("%h/Maildir", virt) == "/srv/vmail/example.org/bob/Maildir");
  CHECK(*expand_path("/x/%d", kAlice) == "/x/");  // no domain part: empty, as in Dovecot

  CHECK_FALSE(expand_path("/x/%z", kAlice));
  CHECK_FALSE(expand_path("/x/%", kAlice));
  CHECK_FALSE(expand_path("~/Maildir", Owner{"nohome", ""}));
  CHECK_FALSE(expand_path("%h", Owner{"nohome", ""}));
  CHECK_FALSE(expand_path("Maildir", kAlice));  // relative
}

TEST_CASE("mail_location: the expanded path has a limit", "[mailbox][location]") {
  Owner big{"u", "/" + std::string(kLocationMax - 1, 'h')};
  CHECK(expand_path("~", big));                  // exactly kLocationMax
  CHECK_FALSE(expand_path("~/x", big));          // over it
  CHECK_FALSE(expand_path("%h%h%h%h%h", big));
}

TEST_CASE("mail_location: empty follows local's delivery settings", "[mailbox][location]") {
  auto spool = location_for(cf("mail_spool_directory = /var/spool/mail\n"), kAlice);
  REQUIRE(spool);
  CHECK(spool->format == Format::Mbox);
  CHECK(spool->inbox == "/var/spool/mail/alice");

  auto md = location_for(cf("home_mailbox = Maildir/\n"), kAlice);
  REQUIRE(md);
  CHECK(md->format == Format::Maildir);
  CHECK(md->inbox == "/home/alice/Maildir");

  auto file = location_for(cf("home_mailbox = Mailbox\n"), kAlice);
  REQUIRE(file);
  CHECK(file->format == Format::Mbox);
  CHECK(file->inbox == "/home/alice/Mailbox");

  auto expl = location_for(cf("home_mailbox = Maildir/\nmail_location = mbox:~/mail:INBOX=/var/mail/%u\n"), kAlice);
  REQUIRE(expl);
  CHECK(expl->inbox == "/var/mail/alice");
}

TEST_CASE("mail_location: user names that would escape the path are refused", "[mailbox][location]") {
  auto c = cf("mail_location = maildir:/srv/mail/%u\n");
  CHECK_FALSE(location_for(c, Owner{"../root", "/home/x"}));
  CHECK_FALSE(location_for(c, Owner{"..", "/home/x"}));
  CHECK_FALSE(location_for(c, Owner{"", "/home/x"}));
  CHECK(location_for(c, Owner{"a.b", "/home/x"}));
}
