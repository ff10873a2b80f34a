#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "lib/file/file.h"
#include "pop3d/maildir_drop.h"
#include "pop3d/transaction.h"

using namespace buzon;
using namespace buzon::pop3d;

namespace {

struct Fixture {
  std::string dir, maildir;
  Fixture() {
    char tmpl[] = "/tmp/buzon-pop3-maildir-XXXXXX";
    dir = ::mkdtemp(tmpl);
    maildir = dir + "/Maildir";
  }
  ~Fixture() { std::system(("rm -rf '" + dir + "'").c_str()); }
  void deliver(const std::string& name, const std::string& text) {
    REQUIRE(file::write_atomic(maildir + "/new/" + name, text, 0600));
  }
};

}  // namespace

TEST_CASE("pop3 maildir: a missing Maildir is created empty", "[pop3d][maildir]") {
  Fixture f;
  auto drop = MaildirDrop::open(f.maildir);
  REQUIRE(drop);
  CHECK(drop->count() == 0);
  CHECK(::access((f.maildir + "/new").c_str(), F_OK) == 0);
}

TEST_CASE("pop3 maildir: a second session is refused while the first holds the lock", "[pop3d][maildir]") {
  Fixture f;
  {
    auto first = MaildirDrop::open(f.maildir);
    REQUIRE(first);
    f.deliver("1700000000.M1P1.host", "Subject: a\n\nbody\n");
    auto second = MaildirDrop::open(f.maildir);
    REQUIRE_FALSE(second);
    CHECK(second.error().sys_errno == EAGAIN);  // the caller says [IN-USE]
  }
  // The lock goes with the session.
  auto again = MaildirDrop::open(f.maildir);
  REQUIRE(again);
  CHECK(again->count() == 1);
}

TEST_CASE("pop3 maildir: DELE + QUIT removes, RETR marks seen, a dropped session changes nothing", "[pop3d][maildir]") {
  Fixture f;
  REQUIRE(MaildirDrop::open(f.maildir));
  f.deliver("1700000000.M1P1.host", "Subject: a\n\none\n");
  f.deliver("1700000001.M2P1.host", "Subject: b\n\ntwo\n");
  std::string uidl1;
  {
    auto drop = MaildirDrop::open(f.maildir);
    REQUIRE(drop);
    Transaction t(*drop);
    uidl1 = drop->uidl(0);
    CHECK(t.handle({"DELE", {"1"}}).text.rfind("+OK", 0) == 0);
    // no QUIT: the connection dropped
  }
  {
    auto drop = MaildirDrop::open(f.maildir);
    REQUIRE(drop);
    REQUIRE(drop->count() == 2);
    CHECK(drop->uidl(0) == uidl1);  // stable across sessions
    Transaction t(*drop);
    CHECK(t.handle({"RETR", {"2"}}).stream == size_t{1});
    CHECK(t.handle({"DELE", {"1"}}).text.rfind("+OK", 0) == 0);
    CHECK(t.deleted_count() == 1);
    CHECK(t.handle({"QUIT", {}}).text == "+OK Logging out, messages deleted.\r\n");
  }
  auto drop = MaildirDrop::open(f.maildir);
  REQUIRE(drop);
  REQUIRE(drop->count() == 1);
  CHECK(drop->uidl(0) != uidl1);
  CHECK(::access((f.maildir + "/cur/1700000001.M2P1.host:2,S").c_str(), F_OK) == 0);
}

TEST_CASE("pop3 maildir: a symlinked Maildir is refused", "[pop3d][maildir]") {
  Fixture f;
  REQUIRE(::mkdir((f.dir + "/real").c_str(), 0700) == 0);
  REQUIRE(::symlink((f.dir + "/real").c_str(), f.maildir.c_str()) == 0);
  CHECK_FALSE(MaildirDrop::open(f.maildir));
}
