// The SMTP state machine against a real temporary queue and passwd-file.
#include "smtpd/session.h"

#include <catch2/catch.hpp>
#include <ctime>

#include "smtpd/received.h"
#include "t/smtpd/fixture.h"

using namespace smtpd_test;

namespace {

const char* kEnvelope = "EHLO client.example\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n";

// True when date is smtpd's RFC 5322 rendering of a moment in [from, to].
bool dated_between(const std::string& date, std::time_t from, std::time_t to) {
  for (std::time_t t = from; t <= to; ++t)
    if (smtpd::rfc5322_date(t) == date) return true;
  return false;
}

// Sends one whole message with the default envelope; returns all replies.
std::string send_message(Client& c, const std::string& data) { return c.say(kEnvelope + data); }

}  // namespace

TEST_CASE("session: greeting is 220 and the banner", "[session]") {
  Fixture f;
  Client c(f);
  CHECK(c.greeting == "220 mx.example.test ESMTP Buzon\r\n");
  CHECK(f.maillog().find("connect from unknown[192.0.2.1]") != std::string::npos);
}

TEST_CASE("session: EHLO keywords", "[session]") {
  Fixture f;
  Client c(f);
  CHECK(c.say("EHLO client.example\r\n") ==
        "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n"
        "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n");
  Fixture g("disable_vrfy_command = no\nmessage_size_limit = 0\n");
  Client d(g);
  CHECK(d.say("ehlo x\r\n") ==
        "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE\r\n250-VRFY\r\n250-ENHANCEDSTATUSCODES\r\n"
        "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n");
  CHECK(d.say("EHLO\r\n") == "501 Syntax: EHLO hostname\r\n");
}

TEST_CASE("session: HELO, NOOP, RSET, HELP, QUIT", "[session]") {
  Fixture f;
  Client c(f);
  CHECK(c.say("HELO client.example\r\n") == "250 mx.example.test\r\n");
  CHECK(c.say("HELO\r\n") == "501 Syntax: HELO hostname\r\n");
  CHECK(c.say("NOOP\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(c.say("NOOP anything\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(c.say("RSET\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(c.say("RSET x\r\n") == "501 5.5.4 Syntax: RSET\r\n");
  // Blanks around the verb and trailing blanks are tolerated, as in Postfix.
  CHECK(c.say("RSET \t\r\n  noop\r\nRSET\tx\r\n") == "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n501 5.5.4 Syntax: RSET\r\n");
  CHECK(c.say("HELP\r\n") == "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP HELP QUIT BDAT\r\n");
  CHECK(c.say("quit now\r\n") == "221 2.0.0 Bye\r\n");  // Postfix ignores QUIT's argument
  CHECK(c.last.close);
  CHECK(c.session.closed());
  CHECK(c.say("NOOP\r\n").empty());  // nothing after QUIT
}

TEST_CASE("session: unknown commands and bad syntax", "[session]") {
  Fixture f;
  Client c(f);
  CHECK(c.say("XYZZY\r\n") == "500 5.5.2 Error: command not recognized\r\n");
  // Without TLS configured, as Postfix: known but not available.
  CHECK(c.say("STARTTLS\r\n") == "502 5.5.1 Error: command not implemented\r\n");
  CHECK(c.say("ETRN example.org\r\n") == "500 5.5.2 Error: command not recognized\r\n");
  CHECK(c.say("\r\n") == "500 5.5.2 Error: bad syntax\r\n");
  CHECK(c.say("MAIL TO:<a@b.example>\r\n") == "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  CHECK(c.say("MAIL FROM:<a@@b.example>\r\n") == "501 5.1.7 Bad sender address syntax\r\n");
  CHECK(c.say("MAIL FROM:<alice>\r\n") == "501 5.1.7 Bad sender address syntax\r\n");
  CHECK(c.say("MAIL FROM:<a@b.example>\r\n") == "250 2.1.0 Ok\r\n");
  CHECK(c.say("RCPT FROM:<a@b.example>\r\n") == "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  CHECK(c.say("RCPT TO:<b ob@example.test>\r\n") == "501 5.1.3 Bad recipient address syntax\r\n");
  CHECK(c.say("RCPT TO:<>\r\n") == "501 5.1.3 Bad recipient address syntax\r\n");
  CHECK(c.say("RCPT TO:<bob>\r\n") == "250 2.1.5 Ok\r\n");  // Postfix: @myorigin is appended
  CHECK(c.say("RCPT TO:<bob@example.test> XYZ=1\r\n") == "555 5.5.4 Unsupported option: XYZ=1\r\n");
  CHECK(c.say("DATA now\r\n") == "501 5.5.4 Syntax: DATA\r\n");
}

TEST_CASE("session: sequence errors", "[session]") {
  Fixture f;
  Client c(f);
  CHECK(c.say("RCPT TO:<bob@example.test>\r\n") == "503 5.5.1 Error: need MAIL command\r\n");
  CHECK(c.say("DATA\r\n") == "503 5.5.1 Error: need RCPT command\r\n");
  CHECK(c.say("MAIL FROM:<>\r\n") == "250 2.1.0 Ok\r\n");
  CHECK(c.say("MAIL FROM:<>\r\n") == "503 5.5.1 Error: nested MAIL command\r\n");
  CHECK(c.say("DATA\r\n") == "554 5.5.1 Error: no valid recipients\r\n");
  CHECK(c.say("RSET\r\nRCPT TO:<bob@example.test>\r\n") == "250 2.0.0 Ok\r\n503 5.5.1 Error: need MAIL command\r\n");
  // HELO/EHLO in a transaction resets it (RFC 5321 4.1.4).
  CHECK(c.say("MAIL FROM:<>\r\nEHLO x\r\nRCPT TO:<bob@example.test>\r\n").find("503 5.5.1 Error: need MAIL command") !=
        std::string::npos);
}

TEST_CASE("session: MAIL parameters", "[session]") {
  Fixture f("message_size_limit = 1000\n");
  Client c(f);
  CHECK(c.say("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME\r\nRSET\r\n") == "250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n");
  CHECK(c.say("MAIL FROM:<a@b.example> SIZE=1001\r\n") == "552 5.3.4 Message size exceeds fixed limit\r\n");
  CHECK(c.say("MAIL FROM:<a@b.example> SIZE=x\r\n") == "501 5.5.4 Bad message size syntax\r\n");
  CHECK(c.say("MAIL FROM:<a@b.example> SIZE=\r\n") == "501 5.5.4 Bad message size syntax\r\n");
  CHECK(c.say("MAIL FROM:<a@b.example> BODY=BINARYMIME\r\n") == "555 5.5.4 Unsupported option: BODY=BINARYMIME\r\n");
  // AUTH= without SMTP AUTH: accepted and ignored, as Postfix 3.7 does.
  CHECK(c.say("MAIL FROM:<a@b.example> AUTH=<>\r\nRSET\r\n") == "250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n");
  CHECK(c.say("MAIL FROM:<a@b.example> body=7bit\r\n") == "250 2.1.0 Ok\r\n");
  // Postfix leniencies: space after the colon, no angle brackets.
  CHECK(c.say("RSET\r\nMAIL FROM: <a@b.example>\r\n") == "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n");
  CHECK(c.say("RSET\r\nMAIL FROM:a@b.example SIZE=5\r\n") == "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n");
  CHECK(c.say("RSET\r\nMAIL  FROM:<a@b.example>  \r\n") == "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n");
}

TEST_CASE("session: DSN parameters are stored in the queue file (RFC 3461)", "[session][dsn]") {
  Fixture f;
  Client c(f);
  CHECK(codes(c.say("EHLO c\r\nMAIL FROM:<alice@example.test> RET=HDRS ENVID=id+2B1\r\n"
                    "RCPT TO:<bob@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Bob+2Bx@example.test\r\n"
                    "RCPT TO:<alice@example.test>\r\n"
                    "RCPT TO:<postmaster@example.test> NOTIFY=NEVER\r\nDATA\r\nx\r\n.\r\n")) ==
        Codes{"250", "250", "250", "250", "250", "354", "250"});
  auto m = f.only();
  CHECK(m.env.attr("dsn_envid") == "id+1");
  CHECK(m.env.attr("dsn_ret") == "HDRS");
  REQUIRE(m.env.recipients.size() == 3);
  CHECK(m.env.recipients[0].dsn.notify == (queue::kNotifySuccess | queue::kNotifyDelay));
  CHECK(m.env.recipients[0].dsn.orcpt == "rfc822;Bob+x@example.test");
  CHECK(m.env.recipients[1].dsn.notify == 0);
  CHECK(m.env.recipients[1].dsn.orcpt.empty());
  CHECK(m.env.recipients[2].dsn.notify == queue::kNotifyNever);

  // Without DSN parameters there are no DSN records; bad ones are 501 5.5.4.
  Fixture g;
  Client d(g);
  std::string out = d.say("EHLO c\r\nMAIL FROM:<> RET=NONE\r\nMAIL FROM:<> ENVID=a+\r\nMAIL FROM:<>\r\n"
              "RCPT TO:<bob@example.test> NOTIFY=NEVER,SUCCESS\r\nRCPT TO:<bob@example.test> ORCPT=rfc822\r\n"
              "RCPT TO:<bob@example.test> FOO=1\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n");
  auto m2 = g.only();
  CHECK(out ==
        "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n"
        "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n"
        "501 5.5.4 Bad RET parameter syntax\r\n501 5.5.4 Bad ENVID parameter syntax\r\n250 2.1.0 Ok\r\n"
        "501 5.5.4 Error: Bad NOTIFY parameter syntax\r\n501 5.5.4 Error: Bad ORCPT parameter syntax\r\n"
        "555 5.5.4 Unsupported option: FOO=1\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
        "250 2.0.0 Ok: queued as " + m2.env.id + "\r\n");
  CHECK(m2.env.attr("dsn_envid").empty());
  CHECK(m2.env.attr("dsn_ret").empty());
  CHECK(m2.env.recipients[0].dsn.notify == 0);
}

TEST_CASE("session: a pipelined group is answered in one chunk, in order", "[session][pipelining]") {
  Fixture f;
  Client c(f);
  std::string out = c.say(
      "EHLO c\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\n"
      "RCPT TO:<bob@example.test>\r\nDATA\r\nSubject: p\r\n\r\n..stuffed\r\n.\r\nQUIT\r\n");
  CHECK(codes(out) == Codes{"250", "250", "550", "250", "354", "250", "221"});
  CHECK(c.last.queued);
  CHECK(c.last.close);
  auto m = f.only();
  CHECK(m.env.sender == "alice@example.test");
  CHECK(m.recipients() == std::vector<std::string>{"bob@example.test"});
  CHECK(m.env.attr("client_name") == "unknown");
  CHECK(m.env.attr("client_addr") == "192.0.2.1");
  CHECK(m.env.attr("helo") == "c");
  CHECK(m.env.attr("protocol") == "ESMTP");
  std::string body = m.content.substr(m.content.find("\nSubject: p") + 1);
  CHECK(body == "Subject: p\n\n.stuffed\n");
  CHECK(out.find("250 2.0.0 Ok: queued as " + m.env.id + "\r\n") != std::string::npos);
}

TEST_CASE("session: a partial line waits for the rest", "[session][pipelining]") {
  Fixture f;
  Client c(f);
  CHECK(c.say("NO").empty());
  CHECK(c.say("OP\r").empty());
  CHECK(c.say("\nNOOP\r\nNO") == "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
  CHECK(c.say("OP\n") == "250 2.0.0 Ok\r\n");  // bare LF: normalize accepts it
}

TEST_CASE("session: what follows 354 is data, not commands", "[session][pipelining]") {
  Fixture f;
  Client c(f);
  CHECK(codes(send_message(c, "QUIT\r\nRSET\r\n.\r\nNOOP\r\n")) == Codes{"250", "250", "250", "354", "250", "250"});
  CHECK_FALSE(c.last.close);
  auto m = f.only();
  CHECK(m.content.substr(m.content.size() - 10) == "QUIT\nRSET\n");
}

TEST_CASE("session: the Received header", "[session]") {
  Fixture f;
  Client c(f);
  const std::time_t before = std::time(nullptr);
  send_message(c, "Subject: r\r\n\r\nx\r\n.\r\n");
  const std::time_t after = std::time(nullptr);
  auto m = f.only();
  const std::string head = "Received: from client.example (unknown [192.0.2.1])\n"
                           "\tby mx.example.test (Buzon) with ESMTP id " + m.env.id + "\n"
                           "\tfor <bob@example.test>; ";
  REQUIRE(m.content.substr(0, head.size()) == head);
  size_t eol = m.content.find('\n', head.size());
  REQUIRE(eol != std::string::npos);
  CHECK(dated_between(m.content.substr(head.size(), eol - head.size()), before, after));
  CHECK(m.content.substr(eol + 1) == "Subject: r\n\nx\n");

  // Two recipients: no "for" (Bcc privacy); HELO: protocol SMTP.
  Fixture g;
  Client d(g);
  d.say("HELO h.example\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n");
  auto m2 = g.only();
  CHECK(m2.content.find("Received: from h.example (unknown [192.0.2.1])\n\tby mx.example.test (Buzon) with SMTP id " +
                        m2.env.id + "; ") == 0);
  CHECK(m2.env.attr("protocol") == "SMTP");
  CHECK(m2.env.sender.empty());

  // No HELO at all, an IPv6 client.
  Fixture h;
  Client e(h, net_peer("2001:db8::1"));
  e.say("MAIL FROM:<>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nx\r\n.\r\n");
  auto m3 = h.only();
  CHECK(m3.content.find("Received: from unknown (unknown [IPv6:2001:db8::1])\n") == 0);
  CHECK(m3.env.attr("helo").empty());
}

TEST_CASE("session: smuggling sequences never end DATA", "[session][smuggling]") {
  for (std::string seq : {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n"}) {
    INFO("sequence " << Catch::Detail::stringify(seq));
    Fixture f;
    Client c(f);
    std::string out = c.say("EHLO attacker.example\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n"
                            "DATA\r\nSubject: outer\r\n\r\nouter body" + seq +
                            "MAIL FROM:<admin@example.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"
                            "Subject: smuggled\r\n\r\ninner\r\n.\r\nQUIT\r\n");
    CHECK(codes(out) == Codes{"250", "250", "250", "354", "250", "221"});
    auto m = f.only();
    CHECK(m.recipients() == std::vector<std::string>{"bob@example.test"});
    CHECK(m.content.find("outer body") != std::string::npos);
    CHECK(m.content.find("Subject: smuggled") != std::string::npos);
  }
}

TEST_CASE("session: smtpd_forbid_bare_newline", "[session]") {
  SECTION("normalize (default): bare LF ends lines, message queued") {
    Fixture f;
    Client c(f);
    CHECK(codes(send_message(c, "Subject: n\n\na\nb\r\n.\r\n")).back() == "250");
    auto m = f.only();
    CHECK(m.content.substr(m.content.find("Subject: n")) == "Subject: n\n\na\nb\n");
  }
  SECTION("no: same bytes stored, still never ends at LF.LF") {
    Fixture f("smtpd_forbid_bare_newline = no\n");
    Client c(f);
    CHECK(codes(send_message(c, "a\n.\nb\r\n.\r\n")).back() == "250");
    auto m = f.only();
    CHECK(m.content.substr(m.content.size() - 6) == "a\n.\nb\n");
  }
  SECTION("reject: bare LF or bare CR refused after the final dot") {
    Fixture f("smtpd_forbid_bare_newline = reject\n");
    Client c(f);
    CHECK(send_message(c, "Subject: n\n\nx\r\n.\r\n").find("550 5.5.2 Error: bare <LF> received\r\n") !=
          std::string::npos);
    CHECK(c.say("RSET\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\na\rb\r\n.\r\n")
              .find("550 5.5.2 Error: bare <CR> received\r\n") != std::string::npos);
    CHECK(f.incoming().empty());
    CHECK(f.files("tmp").empty());
    CHECK(c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nclean\r\n.\r\n").find("250 2.0.0 Ok: queued") !=
          std::string::npos);
    CHECK(f.incoming().size() == 1);
    CHECK(c.say("NOOP\n") == "550 5.5.2 Error: bare <LF> received\r\n");
  }
  SECTION("an unknown mode is a configuration error") {
    // lib/config checks the value itself; load_settings checks again so
    // that no unknown mode can reach a session.
    auto cf = config::MainCf::parse("smtpd_forbid_bare_newline = sometimes\n", "main.cf", "/nonexistent");
    CHECK_FALSE((cf.ok() && smtpd::load_settings(*cf).ok()));
  }
}

TEST_CASE("session: message_size_limit at limit and limit+1", "[session][limits]") {
  // "Subject: s\r\n\r\n" (14) + "0123456789\r\n" (12) = 26 octets.
  const std::string msg = "Subject: s\r\n\r\n0123456789\r\n.\r\n";
  {
    Fixture f("message_size_limit = 26\n");
    Client c(f);
    CHECK(codes(send_message(c, msg)).back() == "250");
    CHECK(f.incoming().size() == 1);
  }
  {
    Fixture f("message_size_limit = 25\n");
    Client c(f);
    CHECK(send_message(c, msg).find("552 5.3.4 Error: message file too big\r\n") != std::string::npos);
    CHECK(f.incoming().empty());
    CHECK(f.files("tmp").empty());
    // The session goes on.
    CHECK(c.say("NOOP\r\n") == "250 2.0.0 Ok\r\n");
  }
}

TEST_CASE("session: hopcount_limit at limit and limit+1", "[session][limits]") {
  auto hops = [](int n) {
    std::string h;
    for (int i = 0; i < n; ++i) h += "Received: from hop" + std::to_string(i) + "\r\n";
    return h + "Subject: loop\r\n\r\nbody\r\n.\r\n";
  };
  // As in Postfix, smtpd's own Received: counts: the message is refused when
  // it would be queued with hopcount_limit of them.
  Fixture f("hopcount_limit = 4\n");
  Client c(f);
  CHECK(codes(send_message(c, hops(2))).back() == "250");
  CHECK(f.incoming().size() == 1);
  CHECK(c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n" + hops(3)).find("554 5.4.0 Error: too many hops\r\n") !=
        std::string::npos);
  CHECK(f.incoming().size() == 1);
  CHECK(f.files("tmp").empty());
  CHECK(f.maillog().find(": reject: END-OF-MESSAGE from unknown[192.0.2.1]: 554 5.4.0 Error: too many hops;") !=
        std::string::npos);
}

TEST_CASE("session: header_size_limit ends header processing", "[session][limits]") {
  // A 30-byte header field ahead of 2 Received: headers with hopcount_limit 2.
  const std::string big = "X-Big: " + std::string(22, 'x') + "\r\n";  // 29 + LF = 30 bytes stored
  const std::string msg = big + "Received: a\r\nReceived: b\r\n\r\nbody\r\n.\r\n";
  {
    Fixture f("hopcount_limit = 2\nheader_size_limit = 30\n");
    Client c(f);
    CHECK(send_message(c, msg).find("554 5.4.0") != std::string::npos);  // still counted
  }
  {
    Fixture f("hopcount_limit = 2\nheader_size_limit = 29\n");
    Client c(f);
    CHECK(codes(send_message(c, msg)).back() == "250");  // the rest was body
    auto m = f.only();
    CHECK(m.content.find(big.substr(0, 29) + "\nReceived: a\nReceived: b\n\nbody\n") != std::string::npos);
  }
}

TEST_CASE("session: smtpd_recipient_limit at limit and limit+1", "[session][limits]") {
  Fixture f("smtpd_recipient_limit = 3\nsmtpd_hard_error_limit = 2\n");
  Client c(f);
  std::string out = c.say(
      "MAIL FROM:<>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<postmaster@example.test>\r\n"
      "RCPT TO:<alice+x@example.test>\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<bob@example.test>\r\n");
  CHECK(codes(out) == Codes{"250", "250", "250", "250", "452", "452", "452"});
  CHECK(out.find("452 4.5.3 Error: too many recipients\r\n") != std::string::npos);
  // 452 does not count toward the hard error limit of 2.
  CHECK_FALSE(c.last.close);
  CHECK(codes(c.say("DATA\r\nx\r\n.\r\n")) == Codes{"354", "250"});
  CHECK(f.only().env.recipients.size() == 3);
}

TEST_CASE("session: line_length_limit at limit and limit+1", "[session][limits]") {
  Fixture f("line_length_limit = 100\n");
  Client c(f);
  std::string at = "NOOP " + std::string(95, 'x');
  REQUIRE(at.size() == 100);
  CHECK(c.say(at + "\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(c.say(at + "x\r\n") == "500 5.5.0 Error: line too long\r\n");
  // Byte by byte, the CR of CRLF is not held against the limit.
  std::string all;
  for (char ch : at + "\r\n") all += c.say(std::string(1, ch));
  CHECK(all == "250 2.0.0 Ok\r\n");
  // A huge line in pieces is discarded as it arrives; one reply when it ends.
  std::string got;
  for (int i = 0; i < 100; ++i) got += c.say(std::string(10000, 'y'));
  CHECK(got.empty());
  CHECK(c.say("y\r\nNOOP\r\n") == "500 5.5.0 Error: line too long\r\n250 2.0.0 Ok\r\n");
}

TEST_CASE("session: smtpd_hard_error_limit at limit and limit+1", "[session][limits]") {
  Fixture f("smtpd_hard_error_limit = 3\n");
  Client c(f);
  CHECK(c.say("BAD1\r\nBAD2\r\nNOOP\r\n") ==
        "500 5.5.2 Error: command not recognized\r\n500 5.5.2 Error: command not recognized\r\n250 2.0.0 Ok\r\n");
  CHECK_FALSE(c.last.close);
  CHECK(c.say("BAD3\r\nNOOP\r\n") ==
        "500 5.5.2 Error: command not recognized\r\n421 4.7.0 mx.example.test Error: too many errors\r\n");
  CHECK(c.last.close);
  CHECK(f.maillog().find("too many errors after UNKNOWN from unknown[192.0.2.1]") != std::string::npos);

  // A delivered message resets the count.
  Fixture g("smtpd_hard_error_limit = 3\n");
  Client d(g);
  d.say("BAD1\r\nBAD2\r\n");
  CHECK(codes(send_message(d, "x\r\n.\r\n")).back() == "250");
  CHECK(d.say("BAD3\r\nBAD4\r\n") ==
        "500 5.5.2 Error: command not recognized\r\n500 5.5.2 Error: command not recognized\r\n");
  CHECK_FALSE(d.last.close);
}

TEST_CASE("session: timeout", "[session]") {
  Fixture f;
  Client c(f);
  c.say("MAIL FROM:<>\r\n");
  auto o = c.session.timeout();
  CHECK(o.bytes == "421 4.4.2 mx.example.test Error: timeout exceeded\r\n");
  CHECK(o.close);
  CHECK(f.maillog().find("timeout after MAIL from unknown[192.0.2.1]") != std::string::npos);
}

TEST_CASE("session: server stop", "[session]") {
  SECTION("idle sessions are closed") {
    Fixture f;
    Client c(f);
    c.say("EHLO x\r\n");
    auto o = c.session.stop();
    CHECK(o.bytes == "421 4.3.2 mx.example.test Service shutting down\r\n");
    CHECK(o.close);
  }
  SECTION("a session in DATA finishes its message, then is closed") {
    Fixture f;
    Client c(f);
    c.say(std::string(kEnvelope) + "Subject: half\r\n");
    auto o = c.session.stop();
    CHECK(o.bytes.empty());
    CHECK_FALSE(o.close);
    CHECK(c.say("rest\r\n") == "");
    std::string out = c.say(".\r\nMAIL FROM:<>\r\n");
    REQUIRE(f.incoming().size() == 1);
    CHECK(out == "250 2.0.0 Ok: queued as " + f.incoming()[0] + "\r\n421 4.3.2 mx.example.test Service shutting down\r\n");
    CHECK(c.last.close);
    CHECK(f.only().content.find("Subject: half\nrest\n") != std::string::npos);
  }
  SECTION("after MAIL the transaction may go on; QUIT still gets 221") {
    Fixture f;
    Client c(f);
    c.say("MAIL FROM:<>\r\n");
    CHECK(c.session.stop().bytes.empty());
    CHECK(c.say("RCPT TO:<bob@example.test>\r\nRSET\r\nQUIT\r\n") == "250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
  }
}

TEST_CASE("session: local recipients", "[session][recipients]") {
  Fixture f("recipient_delimiter = +\n");
  Client c(f);
  c.say("EHLO client.example\r\nMAIL FROM:<alice@example.test>\r\n");
  CHECK(c.say("RCPT TO:<nobody@example.test>\r\n") ==
        "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in local recipient table\r\n");
  // Postfix's default smtpd_relay_restrictions end in defer_unauth_destination.
  CHECK(c.say("RCPT TO:<someone@elsewhere.example>\r\n") == "454 4.7.1 <someone@elsewhere.example>: Relay access denied\r\n");
  // Routing in the local part of our domain is relaying too (allow_percent_hack, swap_bangpath).
  CHECK(c.say("RCPT TO:<user%elsewhere.example@example.test>\r\n") ==
        "454 4.7.1 <user%elsewhere.example@example.test>: Relay access denied\r\n");
  CHECK(c.say("RCPT TO:<host!user@example.test>\r\n") == "454 4.7.1 <host!user@example.test>: Relay access denied\r\n");
  CHECK(c.say("RCPT TO:<bob@[192.0.2.1]>\r\n") == "454 4.7.1 <bob@[192.0.2.1]>: Relay access denied\r\n");
  CHECK(c.say("RCPT TO:<Alice@EXAMPLE.TEST.>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(c.say("RCPT TO:<BOB+list@mx.example.test>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(c.say("RCPT TO:<bob@localhost>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(c.say("RCPT TO:bob@localhost\r\n") == "250 2.1.5 Ok\r\n");  // duplicate: queued once
  CHECK(c.say("RCPT TO:<@relay.example:bob@example.test>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(c.say("DATA\r\nx\r\n.\r\n").find("250 2.0.0 Ok: queued") != std::string::npos);
  auto m = f.only();
  CHECK(m.recipients() == std::vector<std::string>{"Alice@EXAMPLE.TEST", "BOB+list@mx.example.test", "bob@localhost",
                                                   "bob@example.test"});
  // The log has Postfix's reject line and the message line.
  std::string log = f.maillog();
  CHECK(log.find("NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 550 5.1.1 <nobody@example.test>: Recipient address "
                 "rejected: User unknown in local recipient table; from=<alice@example.test> to=<nobody@example.test> "
                 "proto=ESMTP helo=<client.example>") != std::string::npos);
  CHECK(log.find(m.env.id + ": client=unknown[192.0.2.1]") != std::string::npos);
  CHECK(log.find(m.env.id + ": from=<") == std::string::npos);  // qmgr's line, not smtpd's
}

TEST_CASE("session: postmaster is always accepted (RFC 5321 4.5.1)", "[session][recipients]") {
  SECTION("without a root account: queued as addressed") {
    Fixture f;
    Client c(f);
    CHECK(codes(c.say("MAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\nRCPT TO:<postmaster@example.test>\r\n"
                      "RCPT TO:<MAILER-DAEMON@localhost>\r\nDATA\r\nx\r\n.\r\n")) ==
          Codes{"250", "250", "250", "250", "354", "250"});
    CHECK(f.only().recipients() ==
          std::vector<std::string>{"Postmaster@example.test", "postmaster@example.test", "MAILER-DAEMON@localhost"});
  }
  SECTION("with a root account: queued for root, original kept") {
    Fixture f("", "root:x:0:0::/root::\nbob:x:1001:1001::/home/bob::\n");
    Client c(f);
    CHECK(codes(c.say("MAIL FROM:<>\r\nRCPT TO:<postmaster@example.test>\r\nDATA\r\nx\r\n.\r\n")) ==
          Codes{"250", "250", "354", "250"});
    auto m = f.only();
    REQUIRE(m.env.recipients.size() == 1);
    CHECK(m.env.recipients[0].address == "root@example.test");
    CHECK(m.env.recipients[0].original == "postmaster@example.test");
    CHECK(m.content.find("\tfor <postmaster@example.test>;") != std::string::npos);
  }
  SECTION("an unqualified name gets @myorigin, as in Postfix (append_at_myorigin)") {
    Fixture f;
    Client c(f);
    CHECK(codes(c.say("MAIL FROM:<>\r\nRCPT TO:<bob>\r\nRCPT TO:<nobody>\r\nDATA\r\nx\r\n.\r\n")) ==
          Codes{"250", "250", "550", "354", "250"});
    auto m = f.only();
    REQUIRE(m.env.recipients.size() == 1);
    CHECK(m.env.recipients[0].address == "bob@example.test");
    CHECK(m.env.recipients[0].original == "bob");
  }
}

TEST_CASE("session: a failing user lookup is a temporary error", "[session][recipients]") {
  Fixture f;
  std::filesystem::remove(f.dir + "/passwd");
  Client c(f);
  CHECK(c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n").find("451 4.3.0 <bob@example.test>: Temporary lookup failure\r\n") !=
        std::string::npos);
}

TEST_CASE("session: VRFY", "[session]") {
  Fixture f;
  Client c(f);
  CHECK(c.say("VRFY bob\r\n") == "502 5.5.1 VRFY command is disabled\r\n");
  Fixture g("disable_vrfy_command = no\n");
  Client d(g);
  CHECK(d.say("VRFY bob\r\n") == "252 2.0.0 bob\r\n");  // as given, like Postfix
  CHECK(d.say("VRFY <alice@example.test>\r\n") == "252 2.0.0 <alice@example.test>\r\n");
  CHECK(d.say("VRFY nobody\r\n") ==
        "550 5.1.1 <nobody>: Recipient address rejected: User unknown in local recipient table\r\n");
  CHECK(d.say("VRFY\r\n") == "501 5.5.4 Syntax: VRFY address [SMTPUTF8]\r\n");
  CHECK(d.say("VRFY a b c\r\n") == "501 5.1.3 Bad recipient address syntax\r\n");
  CHECK(d.say("HELP\r\n") == "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT BDAT\r\n");
}

TEST_CASE("session: path length limit at limit and limit+1", "[session][limits]") {
  // Local submission may address any domain, so the limit itself is what
  // decides between 250 and 501.
  Fixture f;
  Client c(f, local_peer());
  std::string local(64, 'l');
  std::string d189;
  while (d189.size() < 180) d189 += "ddddddddd.";
  d189 += std::string(189 - d189.size(), 'd');
  std::string at = "<" + local + "@" + d189 + ">";
  REQUIRE(at.size() == 256);
  c.say("MAIL FROM:<>\r\n");
  CHECK(c.say("RCPT TO:" + at + "\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(c.say("RCPT TO:<" + local + "@d" + d189 + ">\r\n") == "501 5.1.3 Bad recipient address syntax\r\n");
  CHECK(c.say("RSET\r\nMAIL FROM:" + at + "\r\n") == "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n");
  CHECK(c.say("RSET\r\nMAIL FROM:<" + local + "@d" + d189 + ">\r\n") ==
        "250 2.0.0 Ok\r\n501 5.1.7 Bad sender address syntax\r\n");
  // Local parts longer than RFC 5321's 64 octets (SRS, VERP) pass, as in
  // Postfix: only the path limit applies to them.
  std::string srs = "SRS0=abcd=XY=lists.example.org=" + std::string(100, 'u');
  CHECK(c.say("RSET\r\nMAIL FROM:<" + srs + "@fwd.example>\r\nRCPT TO:<" + srs + "@elsewhere.example>\r\n") ==
        "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
}

TEST_CASE("session: local submission", "[session][local]") {
  Fixture f;
  Client c(f, local_peer(1000, "alice"));
  const std::time_t before = std::time(nullptr);
  std::string out = c.say("EHLO localhost\r\nMAIL FROM:<alice>\r\nRCPT TO:<bob>\r\nRCPT TO:<someone@elsewhere.example>\r\n"
                          "DATA\r\nSubject: local\r\n\r\nhi\r\n.\r\n");
  const std::time_t after = std::time(nullptr);
  CHECK(codes(out) == Codes{"250", "250", "250", "250", "354", "250"});
  auto m = f.only();
  CHECK(m.env.sender == "alice@example.test");
  CHECK(m.recipients() == std::vector<std::string>{"bob@example.test", "someone@elsewhere.example"});
  CHECK(m.env.attr("uid") == "1000");
  CHECK(m.env.attr("login") == "alice");
  CHECK(m.env.attr("client_addr").empty());
  CHECK(m.content.find("Received: by mx.example.test (Buzon, from userid 1000)\n\twith ESMTP id " + m.env.id + "; ") == 0);
  // Completed like Postfix's cleanup does for local mail.
  size_t subject = m.content.find("\nSubject: local\n");
  REQUIRE(subject != std::string::npos);
  std::string tail = m.content.substr(subject + 1);
  const std::string date_prefix = "Subject: local\nDate: ";
  REQUIRE(tail.substr(0, date_prefix.size()) == date_prefix);
  size_t date_end = tail.find('\n', date_prefix.size());
  REQUIRE(date_end != std::string::npos);
  CHECK(dated_between(tail.substr(date_prefix.size(), date_end - date_prefix.size()), before, after));
  std::string rest = tail.substr(date_end + 1);
  // "Message-ID: <" + 14 digits (UTC stamp) + "." + queue ID + "@myhostname>"
  const std::string mid = "Message-ID: <";
  REQUIRE(rest.size() > mid.size() + 15);
  CHECK(rest.substr(0, mid.size()) == mid);
  CHECK(std::all_of(rest.begin() + 13, rest.begin() + 27, [](char ch) { return ch >= '0' && ch <= '9'; }));
  CHECK(rest.substr(27) == "." + m.env.id + "@mx.example.test>\nFrom: alice@example.test\n\nhi\n");
  CHECK(f.maillog().find("connect from local[uid=1000]") != std::string::npos);
  CHECK(f.maillog().find(m.env.id + ": client=local[uid=1000], login=alice") != std::string::npos);

  // Headers that are present are not added again; network clients get none.
  Fixture g;
  Client d(g, local_peer());
  d.say("MAIL FROM:<>\r\nRCPT TO:<bob>\r\nDATA\r\nFrom: x\r\nDate: y\r\nMessage-ID: <z>\r\n\r\nb\r\n.\r\n");
  auto m2 = g.only();
  CHECK(m2.content.substr(m2.content.find("\nFrom: x") + 1) == "From: x\nDate: y\nMessage-ID: <z>\n\nb\n");
  Fixture h;
  Client e(h);
  send_message(e, "Subject: s\r\n\r\nb\r\n.\r\n");
  auto m3 = h.only();
  CHECK(m3.content.substr(m3.content.find("\nSubject: s") + 1) == "Subject: s\n\nb\n");
}

TEST_CASE("session: local_header_rewrite_clients complete network clients' mail", "[session][headers]") {
  // The header block of the only queued message, Received: line excluded.
  auto added = [](Fixture& f) {
    auto m = f.only();
    size_t s = m.content.find("\nSubject: s\n");
    REQUIRE(s != std::string::npos);
    return m.content.substr(s + 1, m.content.find("\n\n") - s - 1);
  };
  auto has_all = [](const std::string& h) {
    return h.find("\nDate: ") != std::string::npos && h.find("\nMessage-ID: <") != std::string::npos &&
           h.find("\nFrom: alice@example.test") != std::string::npos;
  };
  SECTION("permit_inet_interfaces: a client on one of our addresses") {
    Fixture f("inet_interfaces = 127.0.0.1\n");
    Client c(f, net_peer("127.0.0.1"));
    send_message(c, "Subject: s\r\n\r\nb\r\n.\r\n");
    CHECK(has_all(added(f)));
    Fixture g("inet_interfaces = 127.0.0.1\n");
    Client d(g, net_peer("127.0.0.2"));
    send_message(d, "Subject: s\r\n\r\nb\r\n.\r\n");
    CHECK(added(g) == "Subject: s");
  }
  SECTION("permit_mynetworks") {
    Fixture f("mynetworks = 192.0.2.0/24\nlocal_header_rewrite_clients = permit_mynetworks\n");
    Client c(f, net_peer("192.0.2.9"));
    send_message(c, "Subject: s\r\n\r\nb\r\n.\r\n");
    CHECK(has_all(added(f)));
    Fixture g("mynetworks = 192.0.2.0/24\nlocal_header_rewrite_clients = permit_mynetworks\n");
    Client d(g, net_peer("198.51.100.9"));
    send_message(d, "Subject: s\r\n\r\nb\r\n.\r\n");
    CHECK(added(g) == "Subject: s");
  }
  SECTION("static:all and always_add_missing_headers") {
    for (const char* extra : {"local_header_rewrite_clients = static:all\n", "always_add_missing_headers = yes\n"}) {
      Fixture f(extra);
      Client c(f, net_peer("198.51.100.9"));
      send_message(c, "Subject: s\r\n\r\nb\r\n.\r\n");
      CHECK(has_all(added(f)));
    }
  }
  SECTION("an empty list completes nobody on the network") {
    Fixture f("inet_interfaces = 127.0.0.1\nlocal_header_rewrite_clients =\n");
    Client c(f, net_peer("127.0.0.1"));
    send_message(c, "Subject: s\r\n\r\nb\r\n.\r\n");
    CHECK(added(f) == "Subject: s");
  }
  SECTION("an unsupported item is a configuration error") {
    auto cf = config::MainCf::parse("local_header_rewrite_clients = check_address_map hash:/x\n", "/tmp/main.cf", "/tmp");
    REQUIRE(cf.ok());
    auto s = smtpd::load_settings(*cf);
    REQUIRE(!s.ok());
    CHECK(s.error().message.find("local_header_rewrite_clients") != std::string::npos);
  }
}

TEST_CASE("session: queue file life cycle", "[session][queue]") {
  SECTION("RSET and the end of the session remove an uncommitted file") {
    Fixture f;
    {
      Client c(f);
      c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n");
      CHECK(f.files("tmp").size() == 1);
      c.say("RSET\r\n");
      CHECK(f.files("tmp").empty());
      c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\npartial\r\n");
      CHECK(f.files("tmp").size() == 1);
      c.session.end(true);
      CHECK(f.files("tmp").empty());
    }
    CHECK(f.incoming().empty());
    CHECK(f.maillog().find("lost connection after DATA from unknown[192.0.2.1]") != std::string::npos);
  }
  SECTION("no queue/tmp: 451 at RCPT") {
    Fixture f;
    std::filesystem::remove_all(f.queue_dir + "/tmp");
    Client c(f);
    CHECK(c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n") ==
          "250 2.1.0 Ok\r\n451 4.3.0 Error: queue file write error\r\n");
  }
  SECTION("commit fails: 451 after the dot, nothing left behind") {
    Fixture f;
    Client c(f);
    c.say(std::string(kEnvelope) + "x\r\n");
    std::filesystem::remove_all(f.queue_dir + "/incoming");
    CHECK(c.say(".\r\n") == "451 4.3.0 Error: queue file write error\r\n");
    CHECK(f.files("tmp").empty());
    CHECK_FALSE(c.last.queued);
  }
}

TEST_CASE("session: the disconnect summary", "[session]") {
  Fixture f;
  {
    Client c(f);
    c.say("EHLO x\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<bob@example.test>\r\n"
          "DATA\r\nx\r\n.\r\nQUIT\r\n");
    c.session.end(false);
  }
  CHECK(f.maillog().find("disconnect from unknown[192.0.2.1] ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6") !=
        std::string::npos);
  CHECK(f.maillog().find("lost connection") == std::string::npos);
}

TEST_CASE("received: RFC 5322 dates with numeric zones, Message-ID, address literals", "[received]") {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  auto with_tz = [](const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  };
  with_tz("UTC0");
  CHECK(smtpd::rfc5322_date(0) == "Thu, 1 Jan 1970 00:00:00 +0000");
  CHECK(smtpd::rfc5322_date(1733219557) == "Tue, 3 Dec 2024 09:52:37 +0000");
  with_tz("IST-5:30");
  CHECK(smtpd::rfc5322_date(0) == "Thu, 1 Jan 1970 05:30:00 +0530");
  with_tz("XST+3");
  CHECK(smtpd::rfc5322_date(0) == "Wed, 31 Dec 1969 21:00:00 -0300");
  CHECK(smtpd::message_id("0123456789ABCDEF0", "mx.example.test", 0) == "<19700101000000.0123456789ABCDEF0@mx.example.test>");
  if (old) setenv("TZ", saved.c_str(), 1);
  else unsetenv("TZ");
  tzset();
  CHECK(smtpd::rfc_addr("192.0.2.1") == "192.0.2.1");
  CHECK(smtpd::rfc_addr("2001:db8::1") == "IPv6:2001:db8::1");
}

TEST_CASE("session: the Message-ID is logged, the one sent or the one added", "[session][log]") {
  Fixture f;
  {
    Client c(f);
    CHECK(codes(send_message(c, "Message-ID:  <abc@client.example>\r\nSubject: m\r\n\r\nx\r\n.\r\n")).back() == "250");
  }
  auto m = f.only();
  CHECK(f.maillog().find(m.env.id + ": message-id=<abc@client.example>") != std::string::npos);
  Fixture g;
  {
    Client c(g, local_peer());
    CHECK(codes(c.say("EHLO l\r\nMAIL FROM:<me@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n"))
              .back() == "250");
  }
  auto n = g.only();
  auto at = n.content.find("Message-ID: ");
  REQUIRE(at != std::string::npos);
  std::string added = n.content.substr(at + 12, n.content.find('\n', at) - at - 12);
  CHECK(g.maillog().find(n.env.id + ": message-id=" + added) != std::string::npos);
}

// ---- BDAT (RFC 3030)

namespace {
const char* kBdatEnvelope = "EHLO c\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n";
std::string bdat(const std::string& chunk, bool last = false) {
  return "BDAT " + std::to_string(chunk.size()) + (last ? " LAST" : "") + "\r\n" + chunk;
}
std::string body_of(const QueuedMessage& m) { return m.content.substr(m.content.find('\n', m.content.find("; ")) + 1); }
}  // namespace

TEST_CASE("session: BDAT chunks, pipelined, binary-transparent content", "[session][bdat]") {
  Fixture f;
  Client c(f);
  // CRLF split across chunks, a leading dot, a lone "." line, a bare CR and
  // a bare LF: none of them is special inside BDAT.
  const std::string one = "Subject: b\r\n\r\n.lead\r\n.\r", two = "\nbare\rcr\nlf\r\n";
  std::string out = c.say(std::string(kBdatEnvelope) + bdat(one) + bdat(two) + bdat("tail", true) + "QUIT\r\n");
  auto m = f.only();
  CHECK(out.substr(out.find("250 2.1.5")) == "250 2.1.5 Ok\r\n250 2.0.0 Ok: " + std::to_string(one.size()) +
                                                 " bytes\r\n250 2.0.0 Ok: " + std::to_string(two.size()) +
                                                 " bytes\r\n250 2.0.0 Ok: " +
                                                 std::to_string(one.size() + two.size() + 4) + " bytes queued as " + m.env.id +
                                                 "\r\n221 2.0.0 Bye\r\n");
  CHECK(body_of(m) == "Subject: b\n\n.lead\n.\nbare\rcr\nlf\ntail\n");
  c.session.end(false);
  CHECK(f.maillog().find("ehlo=1 mail=1 rcpt=1 quit=1 bdat=3 commands=7") != std::string::npos);
}

TEST_CASE("session: BDAT byte by byte, and BDAT 0 LAST", "[session][bdat]") {
  Fixture f;
  Client c(f);
  c.say(kBdatEnvelope);
  std::string all = bdat("Subject: x\r\n\r\nhello\r\n") + "BDAT 0 LAST\r\n";
  std::string out;
  for (char ch : all) out += c.say(std::string(1, ch));
  auto m = f.only();
  CHECK(out == "250 2.0.0 Ok: 21 bytes\r\n250 2.0.0 Ok: 21 bytes queued as " + m.env.id + "\r\n");
  CHECK(body_of(m) == "Subject: x\n\nhello\n");
  // A message that is only BDAT 0 LAST is an empty message.
  Fixture g;
  Client d(g);
  CHECK(codes(d.say(std::string(kBdatEnvelope) + "BDAT 0 LAST\r\n")).back() == "250");
  CHECK(body_of(g.only()).empty());
}

TEST_CASE("session: BDAT sequence errors and syntax", "[session][bdat]") {
  Fixture f;
  Client c(f);
  // Without MAIL/RCPT the chunk is read and discarded, then refused.
  CHECK(c.say("BDAT 6\r\nRSET\r\nNOOP\r\n") == "503 5.5.1 Error: need RCPT command\r\n250 2.0.0 Ok\r\n");
  // Until LAST or RSET, MAIL is refused and chunks are discarded (Postfix).
  CHECK(c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nBDAT 3 LAST\r\nabcMAIL FROM:<>\r\n") ==
        "503 5.5.1 Error: MAIL after BDAT\r\n503 5.5.1 Error: need MAIL command\r\n"
        "551 5.0.0 Discarded 3 bytes after earlier error\r\n250 2.1.0 Ok\r\n");
  CHECK(c.say("BDAT 3 LAST\r\nabc") == "554 5.5.1 Error: no valid recipients\r\n");
  CHECK(c.say("RSET\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nBDAT 0\r\n") ==
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n551 5.7.1 Null BDAT request\r\n");
  // The failed transaction refuses its chunks up to LAST, then is over.
  CHECK(c.say(bdat("x") + bdat("y", true) + "RCPT TO:<bob@example.test>\r\n") ==
        "551 5.0.0 Discarded 1 bytes after earlier error\r\n551 5.0.0 Discarded 1 bytes after earlier error\r\n"
        "503 5.5.1 Error: need MAIL command\r\n");
  CHECK(f.incoming().empty());
  CHECK(f.files("tmp").empty());
  // DATA, MAIL, RCPT inside a BDAT transaction.
  CHECK(c.say(std::string(kBdatEnvelope) + bdat("a\r\n") + "DATA\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>\r\n" +
              "NOOP\r\n" + bdat("b\r\n", true))
            .find("250 2.0.0 Ok: 3 bytes\r\n503 5.5.1 Error: DATA after BDAT\r\n503 5.5.1 Error: nested MAIL command\r\n"
                  "503 5.5.1 Error: RCPT after BDAT\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok: 6 bytes queued as ") != std::string::npos);
  CHECK(body_of(f.only()) == "a\nb\n");
  // RSET ends a BDAT transaction and removes its file.
  CHECK(codes(c.say(std::string(kBdatEnvelope) + bdat("a\r\n") + "RSET\r\n")).back() == "250");
  CHECK(f.incoming().size() == 1);
  CHECK(f.files("tmp").empty());
  // A count that cannot be read: the stream cannot be resynced.
  CHECK(c.say("BDAT x\r\nNOOP\r\n") == "521 5.5.4 Syntax: BDAT count [LAST]\r\n");
  CHECK(c.last.close);
  // So is any other syntax error, as in Postfix 3.7.
  Client d(f);
  CHECK(d.say("BDAT 1 MORE\r\nx") == "521 5.5.4 Syntax: BDAT count [LAST]\r\n");
  CHECK(d.last.close);
}

TEST_CASE("session: BDAT and message_size_limit at limit and limit+1", "[session][bdat][limits]") {
  Fixture f("message_size_limit = 10\n");
  Client c(f);
  CHECK(codes(c.say(std::string(kBdatEnvelope) + bdat("12345") + bdat("67890", true))).back() == "250");
  CHECK(f.incoming().size() == 1);
  CHECK(c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n" + bdat("12345") + bdat("678901") + bdat("z", true) +
              "NOOP\r\n") ==
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: 5 bytes\r\n552 5.3.4 Chunk exceeds message size limit\r\n"
        "551 5.0.0 Discarded 1 bytes after earlier error\r\n250 2.0.0 Ok\r\n");
  CHECK(f.incoming().size() == 1);
  CHECK(f.files("tmp").empty());
  CHECK(f.maillog().find("reject: BDAT from unknown[192.0.2.1]: 552 5.3.4 Chunk exceeds message size limit") !=
        std::string::npos);
}

TEST_CASE("session: BDAT content is never subject to smtpd_forbid_bare_newline", "[session][bdat]") {
  Fixture f("smtpd_forbid_bare_newline = reject\n");
  Client c(f);
  CHECK(codes(c.say(std::string(kBdatEnvelope) + bdat("a\nb\rc\r\n", true))).back() == "250");
  CHECK(body_of(f.only()) == "a\nb\rc\n");
}

// ---- SMTPUTF8 (RFC 6531) and header cleanup

TEST_CASE("session: SMTPUTF8 addresses only when declared", "[session][utf8]") {
  const std::string jorg = "j\xC3\xB6rg@b\xC3\xBC" "cher.example";
  Fixture f("", "alice:{PLAIN}a:1000:1000::/home/alice::\nbob:{PLAIN}b:1001:1001::/home/bob::\n");
  Client c(f);
  c.say("EHLO c\r\n");
  CHECK(c.say("MAIL FROM:<" + jorg + ">\r\n") == "553 5.6.7 Must declare SMTPUTF8 to send unicode address\r\n");
  CHECK(c.say("MAIL FROM:<alice@example.test>\r\nRCPT TO:<" + jorg + ">\r\nRSET\r\n") ==
        "250 2.1.0 Ok\r\n553 5.6.7 Must declare SMTPUTF8 to send unicode address\r\n250 2.0.0 Ok\r\n");
  CHECK(c.say("MAIL FROM:<a\xC3@example.test> SMTPUTF8\r\n") == "500 5.5.2 Error: bad UTF-8 syntax\r\n");
  std::string out = c.say("MAIL FROM:<" + jorg + "> SMTPUTF8\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
                          "Subject: gr\xC3\xBC\xC3\x9F" "e\r\n\r\nx\r\n.\r\n");
  CHECK(codes(out) == Codes{"250", "250", "354", "250"});
  auto m = f.only();
  CHECK(m.env.sender == jorg);
  CHECK(m.env.attr("smtputf8") == "yes");
  CHECK(m.content.find(" with UTF8SMTP id " + m.env.id) != std::string::npos);
  CHECK(m.content.find("Subject: gr\xC3\xBC\xC3\x9F" "e\n") != std::string::npos);

  // smtputf8_enable = no: not announced, the parameter is unsupported.
  Fixture g("smtputf8_enable = no\n");
  Client d(g);
  CHECK(d.say("EHLO c\r\n").find("SMTPUTF8") == std::string::npos);
  CHECK(d.say("MAIL FROM:<a@example.test> SMTPUTF8\r\n") == "555 5.5.4 Unsupported option: SMTPUTF8\r\n");
  CHECK(d.say("MAIL FROM:<" + jorg + ">\r\n") == "501 5.1.7 Bad sender address syntax\r\n");
}

TEST_CASE("session: Bcc and the other message_drop_headers are removed", "[session]") {
  Fixture f;
  Client c(f);
  send_message(c, "To: bob@example.test\r\nBcc: hidden@example.test,\r\n  other@example.test\r\n"
                  "Return-Path: <forged@example.test>\r\nSubject: s\r\n\r\nBcc: body text stays\r\n.\r\n");
  auto m = f.only();
  CHECK(body_of(m) == "To: bob@example.test\nSubject: s\n\nBcc: body text stays\n");
  Fixture g("message_drop_headers =\n");
  Client d(g);
  send_message(d, "Bcc: kept@example.test\r\n\r\nx\r\n.\r\n");
  CHECK(body_of(g.only()) == "Bcc: kept@example.test\n\nx\n");
}

TEST_CASE("received: with protocol names", "[received]") {
  CHECK(smtpd::with_protocol(false, false) == "SMTP");
  CHECK(smtpd::with_protocol(true, false) == "ESMTP");
  CHECK(smtpd::with_protocol(true, true) == "UTF8SMTP");
  CHECK(smtpd::with_protocol(true, false, true) == "ESMTPS");
  CHECK(smtpd::with_protocol(true, false, false, true) == "ESMTPA");
  CHECK(smtpd::with_protocol(true, true, true, true) == "UTF8SMTPSA");
}

// ---- smtpd_soft_error_limit, smtpd_error_sleep_time, smtpd_junk_command_limit

TEST_CASE("session: smtpd_soft_error_limit delays replies beyond it, at limit and limit+1", "[session][limits]") {
  using namespace std::chrono_literals;
  Fixture f("smtpd_soft_error_limit = 2\nsmtpd_error_sleep_time = 3s\n");
  Client c(f);
  CHECK(c.say("XX\r\n") == "500 5.5.2 Error: command not recognized\r\n");
  CHECK(c.last.delay == 0ms);
  c.say("XX\r\n");
  CHECK(c.last.delay == 0ms);  // 2 errors: at the limit, not beyond
  c.say("XX\r\n");
  CHECK(c.last.delay == 0ms);  // this reply is the third error; replies after it are slowed
  CHECK(c.say("NOOP\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(c.last.delay == 3000ms);
  // A pipelined group: each reply is delayed, as Postfix sleeps per reply.
  CHECK(codes(c.say("NOOP\r\nNOOP\r\n")) == Codes{"250", "250"});
  CHECK(c.last.delay == 6000ms);
  CHECK(f.maillog().find("too many errors after NOOP from unknown[192.0.2.1]: replies delayed") != std::string::npos);
  // Delivering a message resets the error count.
  c.say("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n");
  CHECK(c.say("NOOP\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(c.last.delay == 0ms);
}

TEST_CASE("session: smtpd_junk_command_limit at limit and limit+1", "[session][limits]") {
  using namespace std::chrono_literals;
  Fixture f("smtpd_junk_command_limit = 3\nsmtpd_hard_error_limit = 2\nsmtpd_error_sleep_time = 0\n");
  Client c(f);
  // NOOP, RSET, VRFY count; beyond the limit each one is an error.
  CHECK(codes(c.say("NOOP\r\nRSET\r\nVRFY x\r\n")) == Codes{"250", "250", "502"});  // VRFY disabled: 1 error
  CHECK_FALSE(c.last.close);
  CHECK(codes(c.say("EHLO x\r\nNOOP\r\n")) == Codes{"250", "250", "421"});  // junk 4 > 3: error 2 = hard limit
  CHECK(c.last.close);
  CHECK(f.maillog().find("too many errors after NOOP from unknown[192.0.2.1]") != std::string::npos);

  // A delivered message resets the junk count.
  Fixture g("smtpd_junk_command_limit = 2\nsmtpd_hard_error_limit = 1\n");
  Client d(g);
  d.say("NOOP\r\nNOOP\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n");
  CHECK(codes(d.say("NOOP\r\nNOOP\r\n")) == Codes{"250", "250"});
  CHECK_FALSE(d.last.close);
  CHECK(codes(d.say("NOOP\r\n")) == Codes{"250", "421"});
}
