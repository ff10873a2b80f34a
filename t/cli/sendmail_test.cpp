#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "cli/sendmail.h"
#include "cli/smtp_client.h"
#include "lib/core/fd.h"

using namespace buzon;
using namespace buzon::cli;
using V = std::vector<std::string>;

namespace {

HeaderBlock header(const std::string& text) {
  StringSource src(text);
  auto hb = read_header_block(src, 102400, true);
  REQUIRE(hb);
  return std::move(*hb);
}

// A scripted SMTP server on one end of a socketpair: sends the greeting,
// then answers each command line with the next reply of the script;
// records what the client sent.
struct FakeServer {
  Fd client_end, server_end;
  std::string transcript;
  std::thread th;

  explicit FakeServer(V replies, std::string data_reply = "250 2.0.0 Ok: queued as X") {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    client_end.reset(sv[0]);
    server_end.reset(sv[1]);
    th = std::thread([this, replies = std::move(replies), data_reply] { run(replies, data_reply); });
  }
  ~FakeServer() {
    if (th.joinable()) th.join();
  }
  void send(const std::string& s) { (void)!::write(server_end.get(), s.data(), s.size()); }
  void run(const V& replies, const std::string& data_reply) {
    send("220 test ESMTP\r\n");
    size_t next = 0;
    bool in_data = false;
    std::string buf;
    char chunk[4096];
    for (;;) {
      ssize_t n = ::read(server_end.get(), chunk, sizeof chunk);
      if (n <= 0) return;
      transcript.append(chunk, static_cast<size_t>(n));
      buf.append(chunk, static_cast<size_t>(n));
      for (;;) {
        if (in_data) {
          size_t end = buf.find("\r\n.\r\n");
          size_t start_end = buf.rfind(".\r\n", 0) == 0 ? 0 : std::string::npos;
          if (end == std::string::npos && start_end == std::string::npos) break;
          buf.erase(0, end == std::string::npos ? 3 : end + 5);
          in_data = false;
          send(data_reply + "\r\n");
          continue;
        }
        size_t nl = buf.find("\r\n");
        if (nl == std::string::npos) break;
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 2);
        std::string reply = next < replies.size() ? replies[next++] : "221 bye";
        send(reply + "\r\n");
        if (line == "DATA" && reply.rfind("354", 0) == 0) in_data = true;
        if (line == "QUIT") {
          server_end.reset();
          return;
        }
      }
    }
  }
};

const V kHappy = {"250-test\r\n250 PIPELINING", "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok",
                  "354 End data with <CR><LF>.<CR><LF>", "221 2.0.0 Bye"};

}  // namespace

TEST_CASE("sendmail: bare names get @myorigin (append_at_myorigin)", "[sendmail]") {
  CHECK(qualify("bob", "example.test") == "bob@example.test");
  CHECK(qualify("bob@x", "example.test") == "bob@x");
  CHECK(qualify("\"a@b\"", "example.test") == "\"a@b\"@example.test");
  CHECK(qualify("\"a@b\"@c", "example.test") == "\"a@b\"@c");
  CHECK(qualify("", "example.test") == "");
}

TEST_CASE("sendmail: command-line recipients may be lists", "[sendmail]") {
  V args = {"bob", "Alice <alice@x>, carol", "bob@example.test"};
  auto r = command_line_recipients(args, "example.test");
  REQUIRE(r);
  CHECK(*r == V{"bob@example.test", "alice@x", "carol@example.test"});  // duplicates once
  V bad = {"a@x b@y"};
  CHECK_FALSE(command_line_recipients(bad, "example.test"));
}

TEST_CASE("sendmail: -t takes To, Cc and Bcc, every occurrence", "[sendmail]") {
  auto hb = header(
      "To: alice@example.test, bob\n"
      "Cc: Team: carol@x,\n dave@x;\n"
      "Subject: hi\n"
      "Bcc: eve@x\n"
      "To: frank@x\n"
      "\n");
  auto r = header_recipients(hb, "example.test");
  REQUIRE(r);
  CHECK(*r == V{"alice@example.test", "bob@example.test", "carol@x", "dave@x", "eve@x", "frank@x"});
}

TEST_CASE("sendmail: -t uses the Resent- fields when there are any", "[sendmail]") {
  auto hb = header("To: old@x\nResent-To: new@x\nResent-Bcc: hidden@x\n\n");
  auto r = header_recipients(hb, "example.test");
  REQUIRE(r);
  CHECK(*r == V{"new@x", "hidden@x"});
}

TEST_CASE("sendmail: -t with a malformed To: is an error", "[sendmail]") {
  auto hb = header("To: a@x b@y\n\n");
  auto r = header_recipients(hb, "example.test");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("malformed To: header") != std::string::npos);
}

TEST_CASE("sendmail: generated From: header", "[sendmail]") {
  CHECK(from_header(std::nullopt, "bob@x") == "From: <bob@x>");
  CHECK(from_header(std::string("  "), "bob@x") == "From: <bob@x>");
  CHECK(from_header(std::string("List Robot"), "bob@x") == "From: List Robot <bob@x>");
  CHECK(from_header(std::string("Smith, John"), "j@x") == "From: \"Smith, John\" <j@x>");
  CHECK(from_header(std::string("J. \"Q\" Public"), "j@x") == "From: \"J. \\\"Q\\\" Public\" <j@x>");
  CHECK(from_header(std::string("Bu\xc3\xb1uelo"), "b@x") == "From: Bu\xc3\xb1uelo <b@x>");
}

TEST_CASE("sendmail: composed head drops Bcc, adds From, keeps the body start", "[sendmail]") {
  auto hb = header("To: a@x\nBcc: hidden@x,\n  also-hidden@x\nSubject: s\n\nbody line\n");
  CHECK(compose_head(hb, "From: <me@x>") == "To: a@x\nSubject: s\nFrom: <me@x>\n\nbody line\n");
  auto rbcc = header("Resent-Bcc: h@x\nX: 1\n\n");
  CHECK(compose_head(rbcc, "") == "X: 1\n\n");
  // A body without the empty line gets one (RFC 5322 2.1).
  auto nosep = header("Subject: s\nbody starts here\n");
  CHECK(compose_head(nosep, "") == "Subject: s\n\nbody starts here\n");
  auto nohdr = header("only body\n");
  CHECK(compose_head(nohdr, "From: <me@x>") == "From: <me@x>\n\nonly body\n");
  auto eof = header("Subject: s");
  CHECK(compose_head(eof, "") == "Subject: s\n");
}

TEST_CASE("sendmail: the SMTP transaction, dot-stuffed and CRLF", "[sendmail]") {
  FakeServer srv(kHappy);
  SubmitEnvelope env{"me@example.test", {"a@x", "b@y"}};
  StringSource body(".leading dot\nlast line");
  auto r = submit(srv.client_end.get(), env, "Subject: s\n\n", &body, true, std::chrono::seconds(5));
  CHECK(r.exit_code == 0);
  CHECK(r.message.empty());
  srv.th.join();
  CHECK(srv.transcript ==
        "EHLO localhost\r\n"
        "MAIL FROM:<me@example.test>\r\n"
        "RCPT TO:<a@x>\r\n"
        "RCPT TO:<b@y>\r\n"
        "DATA\r\n"
        "Subject: s\r\n\r\n..leading dot\r\nlast line\r\n.\r\n"
        "QUIT\r\n");
}

TEST_CASE("sendmail: the null sender and HELO fallback", "[sendmail]") {
  FakeServer srv({"502 5.5.2 no ESMTP", "250 hello", "250 ok", "250 ok", "354 go", "221 bye"});
  SubmitEnvelope env{"", {"a@x"}};
  auto r = submit(srv.client_end.get(), env, "X: 1\n", nullptr, true, std::chrono::seconds(5));
  CHECK(r.exit_code == 0);
  srv.th.join();
  CHECK(srv.transcript.find("EHLO localhost\r\nHELO localhost\r\nMAIL FROM:<>\r\n") == 0);
}

TEST_CASE("sendmail: a rejected recipient fails the whole message", "[sendmail]") {
  FakeServer srv({"250 hi", "250 ok", "250 ok", "550 5.1.1 <b@y>: Recipient address rejected", "221 bye"});
  SubmitEnvelope env{"me@x", {"a@x", "b@y"}};
  auto r = submit(srv.client_end.get(), env, "X: 1\n", nullptr, true, std::chrono::seconds(5));
  CHECK(r.exit_code == EX_NOUSER);
  CHECK(r.message == "recipient <b@y> rejected: 550 5.1.1 <b@y>: Recipient address rejected");
  srv.th.join();
  CHECK(srv.transcript.find("DATA") == std::string::npos);
}

TEST_CASE("sendmail: reply classes map to sysexits", "[sendmail]") {
  SubmitEnvelope env{"me@x", {"a@x"}};
  SECTION("4xx at MAIL is EX_TEMPFAIL") {
    FakeServer srv({"250 hi", "451 4.3.0 try later", "221 bye"});
    auto r = submit(srv.client_end.get(), env, "", nullptr, true, std::chrono::seconds(5));
    CHECK(r.exit_code == EX_TEMPFAIL);
    CHECK(r.message == "sender <me@x> rejected: 451 4.3.0 try later");
    srv.client_end.reset();
  }
  SECTION("5xx after the data is EX_DATAERR") {
    FakeServer srv({"250 hi", "250 ok", "250 ok", "354 go", "221 bye"}, "552 5.3.4 Message too big");
    auto r = submit(srv.client_end.get(), env, "X: 1\n", nullptr, true, std::chrono::seconds(5));
    CHECK(r.exit_code == EX_DATAERR);
    CHECK(r.message == "message rejected: 552 5.3.4 Message too big");
  }
  SECTION("a server that hangs up is EX_TEMPFAIL") {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    Fd c(sv[0]);
    ::close(sv[1]);
    auto r = submit(c.get(), env, "", nullptr, true, std::chrono::seconds(5));
    CHECK(r.exit_code == EX_TEMPFAIL);
    CHECK(r.message.find("connection closed") != std::string::npos);
  }
  SECTION("a silent server times out") {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    Fd c(sv[0]), s(sv[1]);
    auto r = submit(c.get(), env, "", nullptr, true, std::chrono::milliseconds(50));
    CHECK(r.exit_code == EX_TEMPFAIL);
    CHECK(r.message.find("timeout") != std::string::npos);
  }
}

TEST_CASE("sendmail: unreadable input aborts without the final dot", "[sendmail]") {
  struct Failing : ByteSource {
    Result<size_t> read(char*, size_t) override {
      errno = EIO;
      return sys_error("read");
    }
  } bad;
  FakeServer srv({"250 hi", "250 ok", "250 ok", "354 go"});
  SubmitEnvelope env{"me@x", {"a@x"}};
  auto r = submit(srv.client_end.get(), env, "Subject: s\n\n", &bad, true, std::chrono::seconds(5));
  CHECK(r.exit_code == EX_IOERR);
  srv.client_end.reset();  // the server sees the connection end mid-DATA
  srv.th.join();
  CHECK(srv.transcript.find("\r\n.\r\n") == std::string::npos);
}

TEST_CASE("sendmail: malformed and oversized replies are protocol errors", "[sendmail][limit]") {
  SubmitEnvelope env{"me@x", {"a@x"}};
  auto run = [&](const std::string& greeting) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    Fd c(sv[0]), s(sv[1]);
    std::thread t([&] { (void)!::write(s.get(), greeting.data(), greeting.size()); });
    auto r = submit(c.get(), env, "", nullptr, true, std::chrono::milliseconds(500));
    t.join();
    return r;
  };
  CHECK(run("hello\r\n").message.find("malformed reply") != std::string::npos);
  CHECK(run("220-a\r\n250 b\r\n").message.find("code changes") != std::string::npos);
  CHECK(run("999 x\r\n").message.find("malformed reply") != std::string::npos);
  // kReplyLineMax bytes before the newline are fine, one more is not.
  std::string at = "554 " + std::string(kReplyLineMax - 4, 'x') + "\n";
  auto r = run(at);
  CHECK(r.message.find("connection rejected: 554") != std::string::npos);
  std::string over = "554 " + std::string(kReplyLineMax - 3, 'x') + "\n";
  CHECK(run(over).message.find("reply line too long") != std::string::npos);
  std::string many;
  for (size_t i = 0; i < kReplyLinesMax; ++i) many += "220-x\r\n";
  CHECK(run(many + "220 x\r\n").message.find("too many lines") != std::string::npos);
  std::string enough;
  for (size_t i = 0; i + 1 < kReplyLinesMax; ++i) enough += "554-x\r\n";
  CHECK(run(enough + "554 x\r\n").message.find("connection rejected: 554") != std::string::npos);
}
