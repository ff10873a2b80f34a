// The Session's side of the client limits: what it asks anvil and what it
// answers, with anvil's replies made up by the test.
#include <catch2/catch.hpp>

#include "t/smtpd/fixture.h"

using namespace smtpd_test;

namespace {

constexpr const char* kNoExceptions = "smtpd_client_event_limit_exceptions =\n";

// A Fixture whose settings have an anvil client (never used: the test
// plays anvil by calling anvil_reply itself).
struct LimitFixture : Fixture {
  explicit LimitFixture(const std::string& extra) : Fixture(extra), anvil(loop, "/nonexistent/anvil", std::chrono::seconds(1)) {
    settings.anvil = &anvil;
  }
  event::Loop loop;
  anvil::Client anvil;
};

attr::Message answer(unsigned count, unsigned rate) {
  attr::Message m;
  m.set("status", "0").set("count", count).set("rate", rate);
  return m;
}

std::string get(const std::optional<attr::Message>& m, std::string_view name) {
  REQUIRE(m);
  return std::string(m->get(name).value_or("-"));
}

}  // namespace

TEST_CASE("limits: the greeting waits for anvil; over the count limit is 421", "[session][limits]") {
  LimitFixture f(std::string(kNoExceptions) + "smtpd_client_connection_count_limit = 2\n");
  smtpd::Session s(f.settings, net_peer());
  smtpd::Output o = s.start();
  CHECK(o.bytes.empty());
  CHECK(get(o.anvil_request, "request") == "connect");
  CHECK(get(o.anvil_request, "ident") == "smtp:192.0.2.1");
  CHECK(s.anvil_ident() == "smtp:192.0.2.1");
  smtpd::Output r = s.anvil_reply(answer(3, 3));
  CHECK(r.bytes == "421 4.7.0 mx.example.test Error: too many connections from 192.0.2.1\r\n");
  CHECK(r.close);
  CHECK(f.maillog().find("warning: Connection concurrency limit exceeded: 3 from unknown[192.0.2.1] for service smtp") !=
        std::string::npos);

  // At the limit: the greeting.
  smtpd::Session at(f.settings, net_peer());
  at.start();
  CHECK(at.anvil_reply(answer(2, 2)).bytes == "220 mx.example.test ESMTP Buzon\r\n");
}

TEST_CASE("limits: connection rate limit", "[session][limits]") {
  LimitFixture f(std::string(kNoExceptions) + "smtpd_client_connection_rate_limit = 3\n");
  smtpd::Session s(f.settings, net_peer("192.0.2.7"));
  s.start();
  smtpd::Output r = s.anvil_reply(answer(1, 4));
  CHECK(r.bytes == "421 4.7.0 mx.example.test Error: too many connections from 192.0.2.7\r\n");
  CHECK(f.maillog().find("warning: Connection rate limit exceeded: 4 from unknown[192.0.2.7] for service smtp") !=
        std::string::npos);
  smtpd::Session ok(f.settings, net_peer("192.0.2.7"));
  ok.start();
  CHECK(ok.anvil_reply(answer(1, 3)).bytes.substr(0, 4) == "220 ");
}

TEST_CASE("limits: no answer from anvil means no limit, with a warning", "[session][limits]") {
  LimitFixture f(std::string(kNoExceptions) + "smtpd_client_connection_count_limit = 1\n");
  smtpd::Session s(f.settings, net_peer());
  s.start();
  CHECK(s.anvil_reply(Error{"anvil: connect private/anvil: No such file or directory"}).bytes.substr(0, 4) == "220 ");
  CHECK(f.maillog().find("warning: problem talking to service private/anvil: anvil: connect") != std::string::npos);
  attr::Message refused;
  refused.set("status", "5").set("reason", "malformed ident");
  smtpd::Session t(f.settings, net_peer());
  t.start();
  CHECK(t.anvil_reply(refused).bytes.substr(0, 4) == "220 ");
}

TEST_CASE("limits: exceptions and local submission never ask anvil", "[session][limits]") {
  // The default exceptions are mynetworks.
  LimitFixture f("mynetworks = 192.0.2.0/24\nsmtpd_client_connection_count_limit = 1\n");
  smtpd::Session s(f.settings, net_peer("192.0.2.9"));
  smtpd::Output o = s.start();
  CHECK(o.bytes == "220 mx.example.test ESMTP Buzon\r\n");
  CHECK_FALSE(o.anvil_request);
  CHECK(s.anvil_ident().empty());
  smtpd::Session other(f.settings, net_peer("198.51.100.1"));
  CHECK(other.start().anvil_request);
  smtpd::Session local(f.settings, local_peer());
  CHECK_FALSE(local.start().anvil_request);
  // "!" excludes; the first match decides.
  LimitFixture g("smtpd_client_event_limit_exceptions = !192.0.2.9, 192.0.2.0/24\n");
  smtpd::Session nine(g.settings, net_peer("192.0.2.9"));
  CHECK(nine.start().anvil_request);
  smtpd::Session ten(g.settings, net_peer("192.0.2.10"));
  CHECK_FALSE(ten.start().anvil_request);
  // Every limit 0: nothing to count.
  LimitFixture h(std::string(kNoExceptions) + "smtpd_client_connection_count_limit = 0\n");
  smtpd::Session none(h.settings, net_peer());
  CHECK_FALSE(none.start().anvil_request);
}

TEST_CASE("limits: message rate at MAIL, 450 4.7.1 over the limit", "[session][limits]") {
  LimitFixture f(std::string(kNoExceptions) + "smtpd_client_message_rate_limit = 2\n");
  smtpd::Session s(f.settings, net_peer());
  s.start();
  CHECK(s.anvil_reply(answer(1, 1)).bytes.substr(0, 4) == "220 ");
  // The command waits; what was pipelined behind it waits too.
  smtpd::Output o = s.feed("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.test>\r\n");
  CHECK(codes(o.bytes) == Codes{"250"});
  CHECK(get(o.anvil_request, "request") == "message");
  CHECK(get(o.anvil_request, "ident") == "smtp:192.0.2.1");
  smtpd::Output r = s.anvil_reply(answer(0, 2));
  CHECK(r.bytes == "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
  s.feed("RSET\r\n");
  smtpd::Output o2 = s.feed("MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.test>\r\n");
  REQUIRE(o2.anvil_request);
  smtpd::Output r2 = s.anvil_reply(answer(0, 3));
  CHECK(r2.bytes == "450 4.7.1 Error: too much mail from 192.0.2.1\r\n503 5.5.1 Error: need MAIL command\r\n");
  CHECK(f.maillog().find("warning: Message delivery request rate limit exceeded: 3 from unknown[192.0.2.1] for service smtp") !=
        std::string::npos);
  s.feed("QUIT\r\n");
  s.end(false);
  // The refused MAIL counts as a failed command in the disconnect line.
  CHECK(f.maillog().find("mail=1/2") != std::string::npos);
}

TEST_CASE("limits: recipient rate at RCPT, 450 4.7.1 over the limit", "[session][limits]") {
  LimitFixture f(std::string(kNoExceptions) + "smtpd_client_recipient_rate_limit = 1\n");
  smtpd::Session s(f.settings, net_peer());
  s.start();
  s.anvil_reply(answer(1, 1));
  CHECK(s.feed("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\n").bytes.find("250 2.1.0 Ok") != std::string::npos);
  smtpd::Output o = s.feed("RCPT TO:<bob@example.test>\r\n");
  CHECK(o.bytes.empty());
  CHECK(get(o.anvil_request, "request") == "recipient");
  CHECK(s.anvil_reply(answer(0, 1)).bytes == "250 2.1.5 Ok\r\n");
  s.feed("RCPT TO:<alice@example.test>\r\n");
  CHECK(s.anvil_reply(answer(0, 2)).bytes == "450 4.7.1 Error: too many recipients from 192.0.2.1\r\n");
  CHECK(f.maillog().find("warning: Recipient address rate limit exceeded: 2 from unknown[192.0.2.1] for service smtp") !=
        std::string::npos);
  // Syntax errors are answered before anvil is asked, as in Postfix.
  smtpd::Output bad = s.feed("RCPT bob\r\n");
  CHECK(bad.bytes == "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  CHECK_FALSE(bad.anvil_request);
}

TEST_CASE("limits: a session stopped while it waits ignores the late answer", "[session][limits]") {
  LimitFixture f{std::string(kNoExceptions)};
  smtpd::Session s(f.settings, net_peer());
  s.start();
  CHECK(s.stop().close);
  CHECK(s.anvil_reply(answer(1, 1)).bytes.empty());
}

TEST_CASE("limits: smtpd_client_event_limit_exceptions syntax", "[session][limits][config]") {
  auto load = [](const std::string& text) {
    auto cf = config::MainCf::parse(text, "/tmp/main.cf", "/tmp");
    REQUIRE(cf.ok());
    return smtpd::load_client_limits(*cf);
  };
  auto l = load("smtpd_client_event_limit_exceptions = 10.0.0.0/8 [2001:db8::]/32 mail.example.org .example.net\n");
  REQUIRE(l.ok());
  CHECK(l->exempt(net::parse_ip("10.1.2.3"), "unknown"));
  CHECK(l->exempt(net::parse_ip("2001:db8::5"), "unknown"));
  CHECK(l->exempt(net::parse_ip("192.0.2.1"), "MAIL.example.org"));
  CHECK(l->exempt(net::parse_ip("192.0.2.1"), "a.example.net"));
  CHECK_FALSE(l->exempt(net::parse_ip("192.0.2.1"), "example.net"));
  CHECK_FALSE(l->exempt(net::parse_ip("192.0.2.1"), "unknown"));
  CHECK_FALSE(load("smtpd_client_event_limit_exceptions = 10.0.0.1/8\n").ok());
  CHECK_FALSE(load("smtpd_client_event_limit_exceptions = hash:/etc/x\n").ok());
  CHECK_FALSE(load("smtpd_client_event_limit_exceptions = a*b\n").ok());
  // Postfix's default: mynetworks, unless the old name is set.
  auto d = load("mynetworks = 192.0.2.0/24\n");
  REQUIRE(d.ok());
  CHECK(d->exempt(net::parse_ip("192.0.2.3"), "unknown"));
  CHECK(d->connection_count == 50);
  CHECK(d->connection_rate == 0);
}
