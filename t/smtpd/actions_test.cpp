// access(5) message actions as the queue file shows them: FILTER (and
// content_filter), REDIRECT, BCC and PREPEND.
#include <catch2/catch.hpp>

#include "t/smtpd/fixture.h"

using namespace smtpd_test;

namespace {

std::vector<std::string> originals(const QueuedMessage& m) {
  std::vector<std::string> out;
  for (const auto& r : m.env.recipients) out.push_back(r.original);
  return out;
}

}  // namespace

TEST_CASE("actions: PREPEND, BCC and FILTER found at RCPT", "[session][access]") {
  TableDir t;
  std::string rcpts = t.write("rcpts",
                              "bob@example.test PREPEND X-Tag: checked\n"
                              "alice@example.test BCC archive@example.test\n"
                              "postmaster@example.test FILTER scan:[127.0.0.1]:10025\n");
  Fixture f("smtpd_recipient_restrictions = check_recipient_access texthash:" + rcpts +
            ", reject_unauth_destination\ncontent_filter = lmtp:inet:[127.0.0.1]:10024\n");
  Client c(f);
  CHECK(codes(c.say("EHLO c\r\nMAIL FROM:<x@client.example>\r\nRCPT TO:<bob@example.test>\r\n"
                    "RCPT TO:<alice@example.test>\r\nRCPT TO:<postmaster@example.test>\r\nDATA\r\n"
                    "Subject: s\r\n\r\nbody\r\n.\r\n")) == Codes{"250", "250", "250", "250", "250", "354", "250"});
  auto m = f.only();
  // BCC: one more recipient, without DSN notices (NOTIFY=NEVER).
  CHECK(m.recipients() ==
        std::vector<std::string>{"bob@example.test", "alice@example.test", "postmaster@example.test",
                                 "archive@example.test"});
  CHECK(m.env.recipients[3].dsn.notify == queue::kNotifyNever);
  CHECK(m.env.recipients[0].dsn.notify == 0);
  // FILTER overrides content_filter.
  CHECK(m.env.attr("content_filter") == "scan:[127.0.0.1]:10025");
  // PREPEND goes above our Received: header.
  CHECK(m.content.rfind("X-Tag: checked\nReceived: from ", 0) == 0);
  std::string log = f.maillog();
  CHECK(log.find(m.env.id + ": bcc: RCPT from unknown[192.0.2.1]: <alice@example.test>: Recipient address triggers "
                            "BCC archive@example.test; from=<x@client.example> to=<alice@example.test> proto=ESMTP "
                            "helo=<c>") != std::string::npos);
  CHECK(log.find(": filter: RCPT from unknown[192.0.2.1]: <postmaster@example.test>: Recipient address triggers "
                 "FILTER scan:[127.0.0.1]:10025;") != std::string::npos);

  // Without a FILTER action, content_filter applies; a second message in
  // the session starts without the first one's actions.
  Fixture g("content_filter = lmtp:inet:[127.0.0.1]:10024\n");
  Client d(g);
  CHECK(codes(d.say("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n")) ==
        Codes{"250", "250", "250", "354", "250"});
  CHECK(g.only().env.attr("content_filter") == "lmtp:inet:[127.0.0.1]:10024");
}

TEST_CASE("actions: REDIRECT replaces every recipient, also those accepted before it", "[session][access]") {
  TableDir t;
  std::string senders = t.write("senders", "alice@example.test REDIRECT bob@example.test\n");
  std::string rcpts = t.write("rcpts", "postmaster@example.test PREPEND X-One: 1\n");
  Fixture f("smtpd_sender_restrictions = check_sender_access texthash:" + senders +
            "\nsmtpd_recipient_restrictions = check_recipient_access texthash:" + rcpts +
            ", reject_unauth_destination\n");
  Client c(f);
  // smtpd_delay_reject = yes: the sender list runs at each RCPT.
  CHECK(codes(c.say("EHLO c\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<postmaster@example.test>\r\n"
                    "RCPT TO:<alice@example.test> NOTIFY=SUCCESS\r\nDATA\r\nx\r\n.\r\n")) ==
        Codes{"250", "250", "250", "250", "354", "250"});
  auto m = f.only();
  CHECK(m.recipients() == std::vector<std::string>{"bob@example.test", "bob@example.test"});
  CHECK(originals(m) == std::vector<std::string>{"postmaster@example.test", "alice@example.test"});
  CHECK(m.env.recipients[1].dsn.notify == queue::kNotifySuccess);
  CHECK(m.env.attr("content_filter").empty());
  CHECK(m.content.rfind("X-One: 1\nReceived: ", 0) == 0);
  // The first RCPT has no queue file yet (smtpd_delay_open, as Postfix).
  std::string log = f.maillog();
  CHECK(log.find("NOQUEUE: redirect: RCPT from unknown[192.0.2.1]: <alice@example.test>: Sender address "
                 "triggers REDIRECT bob@example.test; from=<alice@example.test> to=<postmaster@example.test>") !=
        std::string::npos);
  CHECK(log.find(m.env.id + ": redirect: RCPT from unknown[192.0.2.1]: <alice@example.test>: Sender address "
                            "triggers REDIRECT bob@example.test; from=<alice@example.test> to=<alice@example.test>") !=
        std::string::npos);

  // The next message of the session is not redirected.
  CHECK(codes(c.say("MAIL FROM:<>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nx\r\n.\r\n")) ==
        Codes{"250", "250", "354", "250"});
  bool found = false;
  for (const auto& id : f.incoming()) {
    auto n = f.read(id);
    if (n.env.sender.empty()) {
      found = true;
      CHECK(n.recipients() == std::vector<std::string>{"alice@example.test"});
      CHECK(n.content.rfind("Received: ", 0) == 0);
    }
  }
  CHECK(found);
}

TEST_CASE("actions: found by smtpd_data_restrictions, and before MAIL FROM", "[session][access]") {
  TableDir t;
  std::string clients = t.write("clients", "192.0.2.1 BCC copy@example.test\n192.0.2.2 PREPEND X-Early: 1\n");
  Fixture f("smtpd_data_restrictions = check_client_access texthash:" + clients + "\n");
  Client c(f);
  CHECK(codes(c.say("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n")) ==
        Codes{"250", "250", "250", "354", "250"});
  CHECK(f.only().recipients() == std::vector<std::string>{"bob@example.test", "copy@example.test"});

  // smtpd_delay_reject = no: the client list runs at connect, where there
  // is no message to act on (Postfix warns too).
  Fixture g("smtpd_delay_reject = no\nsmtpd_client_restrictions = check_client_access texthash:" + clients + "\n");
  Client d(g, net_peer("192.0.2.2"));
  CHECK(codes(d.say("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n")) ==
        Codes{"250", "250", "250", "354", "250"});
  CHECK(g.only().content.rfind("Received: ", 0) == 0);
  CHECK(g.maillog().find("warning: access table action PREPEND is unavailable before MAIL FROM: X-Early: 1") !=
        std::string::npos);
}
