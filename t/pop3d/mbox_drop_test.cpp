#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "lib/file/file.h"
#include "pop3d/mbox_drop.h"
#include "pop3d/message_stream.h"
#include "pop3d/transaction.h"

using namespace buzon;
using namespace buzon::pop3d;

namespace {

const std::string kOne = "From a@x  Sun Nov 29 04:00:00 2026\nSubject: one\n\nfirst\n\n";
const std::string kTwo = "From b@x  Sun Nov 29 04:01:00 2026\nSubject: two\n\nsecond\n\n";
const std::string kThree = "From c@x  Sun Nov 29 04:02:00 2026\nSubject: one\n\nsame header as one\n\n";

struct Fixture {
  std::string dir, path;
  mailbox::LockPolicy once{1, std::chrono::milliseconds(0), std::chrono::seconds(300)};
  Fixture() {
    char tmpl[] = "/tmp/buzon-pop3-mbox-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/user";
    REQUIRE(file::write_atomic(path, kOne + kTwo + kThree, 0600));
  }
  ~Fixture() { std::system(("rm -rf '" + dir + "'").c_str()); }
  std::string content() const {
    auto text = file::read_file(path, 1 << 20);
    REQUIRE(text);
    return *text;
  }
};

std::string retr(Maildrop& drop, size_t i) {
  auto range = drop.open(i);
  REQUIRE(range);
  MessageStream s(std::move(*range), -1);
  std::string out;
  for (;;) {
    auto more = s.next(out);
    REQUIRE(more);
    if (!*more) return out;
  }
}

}  // namespace

TEST_CASE("pop3 mbox: messages, sizes and UIDLs", "[pop3d][mbox]") {
  Fixture f;
  auto drop = MboxDrop::open(f.path, f.once);
  REQUIRE(drop);
  REQUIRE(drop->count() == 3);
  CHECK(drop->size(0) == 23);  // "Subject: one\n\nfirst\n": 20 bytes + 3 CRs
  CHECK(retr(*drop, 1) == "Subject: two\r\n\r\nsecond\r\n.\r\n");
  CHECK(drop->uidl(0).size() == 32);
  CHECK(drop->uidl(2) == drop->uidl(0) + ".1");  // same header, still unique
  CHECK(drop->uidl(1) != drop->uidl(0));

  SECTION("a second session finds the mailbox locked") {
    CHECK_FALSE(MboxDrop::open(f.path, f.once));
  }
}

TEST_CASE("pop3 mbox: a missing mailbox is empty", "[pop3d][mbox]") {
  Fixture f;
  auto drop = MboxDrop::open(f.dir + "/nobody", f.once);
  REQUIRE(drop);
  CHECK(drop->count() == 0);
}

TEST_CASE("pop3 mbox: a symlink or hard-linked mailbox is refused", "[pop3d][mbox]") {
  Fixture f;
  REQUIRE(::symlink(f.path.c_str(), (f.dir + "/link").c_str()) == 0);
  CHECK_FALSE(MboxDrop::open(f.dir + "/link", f.once));
  REQUIRE(::link(f.path.c_str(), (f.dir + "/hard").c_str()) == 0);
  CHECK_FALSE(MboxDrop::open(f.path, f.once));
}

TEST_CASE("pop3 mbox: QUIT removes deleted messages and keeps later mail", "[pop3d][mbox]") {
  Fixture f;
  {
    auto drop = MboxDrop::open(f.path, f.once);
    REQUIRE(drop);
    Transaction t(*drop);
    REQUIRE(t.handle({"DELE", {"1"}}).text.rfind("+OK", 0) == 0);
    REQUIRE(t.handle({"DELE", {"3"}}).text.rfind("+OK", 0) == 0);
    // Mail that arrived during the session (written by a program that did
    // not wait for the lock) must survive the rewrite.
    std::string late = "From d@x  Sun Nov 29 04:03:00 2026\nSubject: late\n\nlate\n\n";
    {
      Fd fd(::open(f.path.c_str(), O_WRONLY | O_APPEND));
      REQUIRE(file::write_all(fd.get(), late));
    }
    CHECK(t.handle({"QUIT", {}}).text == "+OK Logging out, messages deleted.\r\n");
    CHECK(f.content() == kTwo + late);
  }
  // The locks are gone with the session.
  auto again = MboxDrop::open(f.path, f.once);
  REQUIRE(again);
  CHECK(again->count() == 2);
}

TEST_CASE("pop3 mbox: a session without QUIT changes nothing", "[pop3d][mbox]") {
  Fixture f;
  {
    auto drop = MboxDrop::open(f.path, f.once);
    REQUIRE(drop);
    Transaction t(*drop);
    REQUIRE(t.handle({"DELE", {"2"}}).text.rfind("+OK", 0) == 0);
  }
  CHECK(f.content() == kOne + kTwo + kThree);
}
