#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "lib/file/file.h"
#include "pop3d/maildir_drop.h"
#include "pop3d/transaction.h"

using namespace buzon;
using namespace buzon::pop3d;

namespace {

// A real Maildir with three messages, read through MaildirDrop.
struct Fixture {
  std::string dir;
  Fixture() {
    char tmpl[] = "/tmp/buzon-pop3-XXXXXX";
    dir = ::mkdtemp(tmpl);
    REQUIRE(mailbox::Maildir::open(dir));
    put("new/1000.A.host", "Subject: one\n\nfirst\n");   // 20 bytes, 3 LFs -> 23
    put("new/1001.B.host", "Subject: two\n\nsecond\n");  // 21 + 3 -> 24
    put("cur/1002.C.host:2,S", "Subject: three\n\n");    // 16 + 2 -> 18
  }
  ~Fixture() { std::system(("rm -rf '" + dir + "'").c_str()); }
  void put(const std::string& name, const std::string& content) {
    REQUIRE(file::write_atomic(dir + "/" + name, content, 0600));
  }
  bool exists(const std::string& name) const { return ::access((dir + "/" + name).c_str(), F_OK) == 0; }
  MaildirDrop drop() {
    auto m = mailbox::Maildir::open(dir);
    REQUIRE(m);
    return MaildirDrop(std::move(*m));
  }
};

Reply run(Transaction& t, const std::string& line) {
  auto cmd = parse_command(line);
  REQUIRE(cmd);
  return t.handle(*cmd);
}

}  // namespace

TEST_CASE("pop3 transaction: STAT, LIST and UIDL", "[pop3d][transaction]") {
  Fixture f;
  MaildirDrop drop = f.drop();
  Transaction t(drop);
  CHECK(run(t, "STAT").text == "+OK 3 65\r\n");
  CHECK(run(t, "LIST").text == "+OK 3 messages:\r\n1 23\r\n2 24\r\n3 18\r\n.\r\n");
  CHECK(run(t, "LIST 2").text == "+OK 2 24\r\n");
  CHECK(run(t, "LIST 4").text == "-ERR There's no message 4.\r\n");
  CHECK(run(t, "LIST x").text == "-ERR Invalid message number: x\r\n");
  std::string uidl = run(t, "UIDL").text;
  CHECK(uidl.rfind("+OK\r\n1 00000001", 0) == 0);
  CHECK(run(t, "UIDL 3").text.rfind("+OK 3 00000003", 0) == 0);
  CHECK(run(t, "NOOP").text == "+OK\r\n");
  CHECK(run(t, "STAT 1").text.rfind("+OK ", 0) == 0);  // ignored, as Dovecot does
  CHECK(run(t, "XTND").text == "-ERR Unknown command: XTND\r\n");

  SECTION("UIDLs are the same in the next session") {
    MaildirDrop again = f.drop();
    Transaction t2(again);
    CHECK(run(t2, "UIDL").text == uidl);
  }
}

TEST_CASE("pop3 transaction: RETR and TOP name the message to stream", "[pop3d][transaction]") {
  Fixture f;
  MaildirDrop drop = f.drop();
  Transaction t(drop);
  Reply r = run(t, "RETR 2");
  CHECK(r.text == "+OK 24 octets\r\n");
  REQUIRE(r.stream);
  CHECK(*r.stream == 1);
  CHECK(r.top_lines == -1);
  r = run(t, "TOP 1 0");
  CHECK(r.text == "+OK\r\n");
  CHECK(r.top_lines == 0);
  // Dovecot's texts for bad arguments (t/integration/pop3_dovecot_transcript.py
  // compares whole sessions with Dovecot's).
  CHECK(run(t, "TOP 1 x").text == "-ERR Invalid size: x\r\n");
  CHECK(run(t, "TOP 1 2x").text == "-ERR Noise after size: x\r\n");
  CHECK(run(t, "TOP 1").text == "-ERR Noise after message number: \r\n");
  CHECK(run(t, "TOP").text == "-ERR Invalid message number: \r\n");
  CHECK(run(t, "RETR").text == "-ERR Invalid message number: \r\n");
  CHECK(run(t, "RETR 1x").text == "-ERR Noise after message number: x\r\n");
  CHECK(run(t, "RETR 1 2").text == "-ERR Noise after message number:  2\r\n");
  CHECK(run(t, "RETR 0").text == "-ERR There's no message 0.\r\n");
  CHECK(run(t, "RETR 4294967296").text == "-ERR Message number too large: \r\n");
  CHECK(run(t, "TOP 1 99999999999999999999999").text == "-ERR Size too large: \r\n");
}

TEST_CASE("pop3 transaction: deletions happen only at QUIT", "[pop3d][transaction]") {
  Fixture f;
  {
    MaildirDrop drop = f.drop();
    Transaction t(drop);
    CHECK(run(t, "DELE 1").text == "+OK Marked to be deleted.\r\n");
    CHECK(run(t, "DELE 1").text == "-ERR Message is deleted.\r\n");
    CHECK(run(t, "RETR 1").text == "-ERR Message is deleted.\r\n");
    CHECK(run(t, "STAT").text == "+OK 2 42\r\n");
    CHECK(run(t, "LIST").text == "+OK 2 messages:\r\n2 24\r\n3 18\r\n.\r\n");
    // The session ends without QUIT (dropped connection): nothing changes.
  }
  CHECK(f.exists("new/1000.A.host"));
  {
    MaildirDrop drop = f.drop();
    Transaction t(drop);
    REQUIRE(run(t, "DELE 1").text.rfind("+OK", 0) == 0);
    CHECK(run(t, "RSET").text == "+OK\r\n");
    CHECK(run(t, "STAT").text == "+OK 3 65\r\n");
    REQUIRE(run(t, "DELE 3").text.rfind("+OK", 0) == 0);
    REQUIRE(run(t, "RETR 2").stream);
    Reply q = run(t, "QUIT");
    CHECK(q.text == "+OK Logging out, messages deleted.\r\n");
    CHECK(q.close);
  }
  CHECK(f.exists("new/1000.A.host"));         // neither deleted nor retrieved: untouched
  CHECK(f.exists("cur/1001.B.host:2,S"));     // retrieved: seen, in cur/
  CHECK_FALSE(f.exists("new/1001.B.host"));
  CHECK_FALSE(f.exists("cur/1002.C.host:2,S"));  // deleted
  MaildirDrop drop = f.drop();
  Transaction t(drop);
  CHECK(run(t, "STAT").text == "+OK 2 47\r\n");
  CHECK(run(t, "UIDL 2").text.rfind("+OK 2 00000002", 0) == 0);  // still UID 2 after the rename
  CHECK(run(t, "QUIT").text == "+OK Logging out.\r\n");
}
