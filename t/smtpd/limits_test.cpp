// The Session's side of the client limits: what it asks anvil and what it
// answers, with anvil's replies made up by the test.
#include <catch2/catch.hpp>

#include "lib/tls/self_signed.h"
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

// anvil's answer to "lookup": the current counters, none of them counted.
attr::Message lookup(unsigned newtls) {
  attr::Message m;
  m.set("status", "0").set("count", 1).set("rate", 1).set("message", 0).set("recipient", 0).set("newtls", newtls).set(
      "auth", 0);
  return m;
}

void enable_tls(LimitFixture& f) {
  auto pem = tls::make_self_signed({.common_name = "mx.example.test", .names = {"mx.example.test"}});
  REQUIRE(pem.ok());
  REQUIRE(file::write_atomic(f.dir + "/cert.pem", pem->cert + pem->key).ok());
  auto ctx = tls::ServerContext::create({.keys = {{f.dir + "/cert.pem", f.dir + "/cert.pem"}}});
  REQUIRE(ctx.ok());
  f.settings.security.tls_level = smtpd::TlsLevel::May;
  f.settings.security.tls = std::make_shared<const tls::ServerContext>(std::move(*ctx));
}

void enable_auth(LimitFixture& f) {
  f.settings.security.sasl_enable = true;
  f.settings.security.mechanisms = [] { return std::vector<std::string>{"PLAIN", "LOGIN"}; };
}

tls::Details handshake(bool resumed) { return {"TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, 256, resumed}; }

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

TEST_CASE("limits: AUTH rate and new TLS session rate are loaded; either makes smtpd talk to anvil",
          "[session][limits][config]") {
  auto load = [](const std::string& text) {
    auto cf = config::MainCf::parse(text, "/tmp/main.cf", "/tmp");
    REQUIRE(cf.ok());
    auto l = smtpd::load_client_limits(*cf);
    REQUIRE(l.ok());
    return *l;
  };
  auto d = load("smtpd_client_connection_count_limit = 0\n");
  CHECK(d.auth_rate == 0);
  CHECK(d.new_tls_rate == 0);
  CHECK_FALSE(d.any());
  auto a = load("smtpd_client_connection_count_limit = 0\nsmtpd_client_auth_rate_limit = 7\n");
  CHECK(a.auth_rate == 7);
  CHECK(a.any());
  auto t = load("smtpd_client_connection_count_limit = 0\nsmtpd_client_new_tls_session_rate_limit = 9\n");
  CHECK(t.new_tls_rate == 9);
  CHECK(t.auth_rate == 0);
  CHECK(t.any());
}

TEST_CASE("limits: AUTH rate, 450 4.7.1 over the limit, the session goes on", "[session][limits][auth]") {
  LimitFixture f(std::string(kNoExceptions) + "smtpd_client_connection_count_limit = 0\n"
                                              "smtpd_client_auth_rate_limit = 2\n");
  enable_auth(f);
  smtpd::Session s(f.settings, net_peer());
  s.start();
  CHECK(s.anvil_reply(answer(1, 1)).bytes.substr(0, 4) == "220 ");
  s.feed("EHLO c.example\r\n");
  // anvil counts every AUTH, even one with a syntax error (postconf(5):
  // "regardless of whether or not Postfix actually accepts those commands").
  smtpd::Output bad = s.feed("AUTH\r\n");
  CHECK(bad.bytes.empty());
  CHECK(get(bad.anvil_request, "request") == "auth");
  CHECK(s.anvil_reply(answer(0, 1)).bytes == "501 5.5.4 Syntax: AUTH mechanism\r\n");
  // Within the limit: the command goes on to authd where it stopped.
  smtpd::Output o = s.feed("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nNOOP\r\n");
  CHECK(o.bytes.empty());
  CHECK_FALSE(o.auth_request);
  CHECK(get(o.anvil_request, "request") == "auth");
  CHECK(get(o.anvil_request, "ident") == "smtp:192.0.2.1");
  smtpd::Output r = s.anvil_reply(answer(0, 2));
  CHECK(r.bytes.empty());  // NOOP waits for authd too
  CHECK(get(r.auth_request, "mechanism") == "PLAIN");
  CHECK(get(r.auth_request, "response") == "AGFsaWNlAHNlY3JldA==");
  smtpd::Output failed = s.auth_reply(attr::Message().set("status", "5"));
  CHECK(codes(failed.bytes) == Codes{"535", "250"});
  // Over the limit: 450, no authd, and the pipelined NOOP is answered.
  smtpd::Output o2 = s.feed("AUTH LOGIN\r\nNOOP\r\n");
  REQUIRE(o2.anvil_request);
  smtpd::Output over = s.anvil_reply(answer(0, 3));
  CHECK(over.bytes == "450 4.7.1 Error: too many AUTH commands from 192.0.2.1\r\n250 2.0.0 Ok\r\n");
  CHECK_FALSE(over.auth_request);
  CHECK_FALSE(over.close);
  CHECK(f.maillog().find("warning: AUTH command rate limit exceeded: 3 from unknown[192.0.2.1] for service smtp") !=
        std::string::npos);
  // anvil down: no limit, the exchange starts.
  s.feed("AUTH LOGIN\r\n");
  smtpd::Output down = s.anvil_reply(Error{"anvil: timed out"});
  CHECK(get(down.auth_request, "mechanism") == "LOGIN");
  s.auth_reply(Error{"authd: gone"});
  s.feed("QUIT\r\n");
  s.end(false);
  CHECK(f.maillog().find("auth=0/4") != std::string::npos);
}

TEST_CASE("limits: AUTH of an exempt client or with no AUTH limit does not ask anvil", "[session][limits][auth]") {
  LimitFixture f("mynetworks = 192.0.2.0/24\nsmtpd_client_auth_rate_limit = 1\n");
  enable_auth(f);
  smtpd::Session s(f.settings, net_peer("192.0.2.5"));
  CHECK(s.start().bytes.substr(0, 4) == "220 ");
  s.feed("EHLO c.example\r\n");
  smtpd::Output o = s.feed("AUTH LOGIN\r\n");
  CHECK_FALSE(o.anvil_request);
  CHECK(o.auth_request);
  LimitFixture g(std::string(kNoExceptions) + "smtpd_client_message_rate_limit = 1\n");
  enable_auth(g);
  smtpd::Session t(g.settings, net_peer());
  t.start();
  t.anvil_reply(answer(1, 1));
  t.feed("EHLO c.example\r\n");
  smtpd::Output p = t.feed("AUTH LOGIN\r\n");
  CHECK_FALSE(p.anvil_request);
  CHECK(p.auth_request);
}

TEST_CASE("limits: STARTTLS looks up the new TLS session rate; over it 454, plaintext goes on",
          "[session][limits][tls]") {
  LimitFixture f(std::string(kNoExceptions) + "smtpd_client_connection_count_limit = 0\n"
                                              "smtpd_client_new_tls_session_rate_limit = 2\n");
  enable_tls(f);
  smtpd::Session s(f.settings, net_peer());
  s.start();
  s.anvil_reply(answer(1, 1));
  CHECK(s.feed("EHLO c.example\r\n").bytes.find("250-STARTTLS") != std::string::npos);
  smtpd::Output o = s.feed("STARTTLS\r\n");
  CHECK(o.bytes.empty());
  CHECK_FALSE(o.start_tls);
  CHECK(get(o.anvil_request, "request") == "lookup");  // looks, does not count
  smtpd::Output refused = s.anvil_reply(lookup(3));
  CHECK(refused.bytes == "454 4.7.0 Error: too many new TLS sessions from unknown[192.0.2.1]\r\n");
  CHECK_FALSE(refused.start_tls);
  CHECK_FALSE(refused.close);
  CHECK(f.maillog().find("warning: Refusing STARTTLS request from unknown[192.0.2.1] for service smtp") !=
        std::string::npos);
  CHECK(codes(s.feed("MAIL FROM:<a@example.org>\r\nRSET\r\n").bytes) == Codes{"250", "250"});
  // At the limit: 220, and what was pipelined behind STARTTLS is dropped.
  s.feed("STARTTLS\r\nRSET\r\n");
  smtpd::Output go = s.anvil_reply(lookup(2));
  CHECK(go.bytes == "220 2.0.0 Ready to start TLS\r\n");
  CHECK(go.start_tls);
  // The handshake was a new session: anvil counts it; over the limit the
  // session ends with 421.
  smtpd::Output counted = s.tls_started(handshake(false));
  CHECK(counted.bytes.empty());
  CHECK(get(counted.anvil_request, "request") == "newtls");
  CHECK(get(counted.anvil_request, "ident") == "smtp:192.0.2.1");
  smtpd::Output bye = s.anvil_reply(answer(0, 3));
  CHECK(bye.bytes == "421 4.7.0 mx.example.test Error: too many new TLS sessions from unknown[192.0.2.1]\r\n");
  CHECK(bye.close);
  CHECK(f.maillog().find("warning: New TLS session rate limit exceeded: 3 from unknown[192.0.2.1] for service smtp") !=
        std::string::npos);

  // Within the limit the session goes on over TLS.
  smtpd::Session ok(f.settings, net_peer());
  ok.start();
  ok.anvil_reply(answer(1, 1));
  ok.feed("EHLO c.example\r\nSTARTTLS\r\n");
  CHECK(ok.anvil_reply(lookup(0)).start_tls);
  REQUIRE(ok.tls_started(handshake(false)).anvil_request);
  smtpd::Output within = ok.anvil_reply(answer(0, 2));
  CHECK(within.bytes.empty());
  CHECK_FALSE(within.close);
  CHECK(codes(ok.feed("EHLO c.example\r\n").bytes).front() == "250");

  // A resumed session is not counted.
  smtpd::Session resumed(f.settings, net_peer());
  resumed.start();
  resumed.anvil_reply(answer(1, 1));
  resumed.feed("EHLO c.example\r\nSTARTTLS\r\n");
  resumed.anvil_reply(lookup(1));
  CHECK_FALSE(resumed.tls_started(handshake(true)).anvil_request);
}

TEST_CASE("limits: wrapper mode looks up the rate before the handshake, counts after it, then checks the connection",
          "[session][limits][tls]") {
  LimitFixture f(std::string(kNoExceptions) + "smtpd_client_new_tls_session_rate_limit = 2\n");
  enable_tls(f);
  f.settings.security.wrappermode = true;
  // Over the limit: no handshake and not a word (there is no channel yet).
  smtpd::Session s(f.settings, net_peer());
  smtpd::Output o = s.start();
  CHECK(o.bytes.empty());
  CHECK_FALSE(o.start_tls);
  CHECK(get(o.anvil_request, "request") == "lookup");
  smtpd::Output refused = s.anvil_reply(lookup(3));
  CHECK(refused.bytes.empty());
  CHECK(refused.close);
  CHECK_FALSE(refused.start_tls);
  CHECK(s.anvil_ident().empty());  // anvil was never told of a connection
  CHECK(f.maillog().find("warning: Refusing TLS service request from unknown[192.0.2.1] for service smtp") !=
        std::string::npos);

  // Within it: the handshake, anvil counts it, then the connection limits
  // and the greeting, in Postfix's order.
  smtpd::Session w(f.settings, net_peer());
  w.start();
  smtpd::Output hs = w.anvil_reply(lookup(2));
  CHECK(hs.start_tls);
  CHECK(hs.bytes.empty());
  smtpd::Output counted = w.tls_started(handshake(false));
  CHECK(get(counted.anvil_request, "request") == "newtls");
  smtpd::Output connect = w.anvil_reply(answer(0, 2));
  CHECK(connect.bytes.empty());
  CHECK(get(connect.anvil_request, "request") == "connect");
  CHECK(w.anvil_ident() == "smtp:192.0.2.1");
  CHECK(w.anvil_reply(answer(1, 1)).bytes == "220 mx.example.test ESMTP Buzon\r\n");

  // Over it after the handshake: 421 over TLS, before any greeting.
  smtpd::Session x(f.settings, net_peer());
  x.start();
  x.anvil_reply(lookup(2));
  x.tls_started(handshake(false));
  smtpd::Output bye = x.anvil_reply(answer(0, 3));
  CHECK(bye.bytes == "421 4.7.0 mx.example.test Error: too many new TLS sessions from unknown[192.0.2.1]\r\n");
  CHECK(bye.close);
  CHECK(x.anvil_ident().empty());

  // A resumed session goes straight to the connection limits.
  smtpd::Session r(f.settings, net_peer());
  r.start();
  r.anvil_reply(lookup(0));
  CHECK(get(r.tls_started(handshake(true)).anvil_request, "request") == "connect");

  // A failed handshake counts too (Postfix: its CPU was spent); the
  // session is gone when anvil answers, so only the warning is left to do.
  auto note = smtpd::Session(f.settings, net_peer("192.0.2.3")).tls_failed();
  REQUIRE(note);
  CHECK(get(note->request, "request") == "newtls");
  CHECK(get(note->request, "ident") == "smtp:192.0.2.3");
  note->done(answer(0, 2));
  CHECK(f.maillog().find("exceeded: 2 from unknown[192.0.2.3]") == std::string::npos);
  note->done(answer(0, 4));
  CHECK(f.maillog().find("warning: New TLS session rate limit exceeded: 4 from unknown[192.0.2.3] for service smtp") !=
        std::string::npos);
  note->done(Error{"anvil: gone"});

  // An exempt client: handshake and greeting, no anvil.
  LimitFixture g("mynetworks = 192.0.2.0/24\nsmtpd_client_new_tls_session_rate_limit = 1\n");
  enable_tls(g);
  g.settings.security.wrappermode = true;
  smtpd::Session e(g.settings, net_peer("192.0.2.8"));
  smtpd::Output eo = e.start();
  CHECK(eo.start_tls);
  CHECK_FALSE(eo.anvil_request);
  smtpd::Output eg = e.tls_started(handshake(false));
  CHECK_FALSE(eg.anvil_request);
  CHECK(eg.bytes == "220 mx.example.test ESMTP Buzon\r\n");
  CHECK_FALSE(smtpd::Session(g.settings, net_peer("192.0.2.8")).tls_failed());
}
