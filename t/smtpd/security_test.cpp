// STARTTLS and AUTH in the session state machine, without sockets: the
// handshake and authd are played by the test through tls_started() and
// auth_reply().
#include <catch2/catch.hpp>

#include "lib/tls/self_signed.h"
#include "t/smtpd/fixture.h"

using namespace smtpd_test;
using namespace buzon;

namespace {

std::shared_ptr<const tls::ServerContext> test_tls(const std::string& dir) {
  auto pem = tls::make_self_signed({.common_name = "mx.example.test", .names = {"mx.example.test"}});
  REQUIRE(pem.ok());
  REQUIRE(file::write_atomic(dir + "/cert.pem", pem->cert + pem->key).ok());
  auto ctx = tls::ServerContext::create({.keys = {{dir + "/cert.pem", dir + "/cert.pem"}}});
  REQUIRE(ctx.ok());
  return std::make_shared<const tls::ServerContext>(std::move(*ctx));
}

void enable_auth(Fixture& f, std::vector<std::string> mechs = {"PLAIN", "LOGIN", "CRAM-MD5"}) {
  f.settings.security.sasl_enable = true;
  f.settings.security.mechanisms = [mechs] { return mechs; };
}

attr::Message authd(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  attr::Message m;
  for (auto [k, v] : pairs) m.set(k, v);
  return m;
}

tls::Details tls13() { return {"TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, 256, false}; }

}  // namespace

TEST_CASE("starttls: announced, then plaintext pipelined behind it is discarded", "[smtpd][tls]") {
  Fixture f;
  f.settings.security.tls_level = smtpd::TlsLevel::May;
  f.settings.security.tls = test_tls(f.dir);
  Client c(f);
  CHECK(c.say("EHLO client.example\r\n").find("250-STARTTLS\r\n") != std::string::npos);
  // CVE-2011-0411: RSET in the same packet must not be answered, before
  // or after the handshake.
  CHECK(c.say("STARTTLS\r\nRSET\r\n") == "220 2.0.0 Ready to start TLS\r\n");
  CHECK(c.last.start_tls);
  auto after = c.session.tls_started(tls13());
  CHECK(after.bytes.empty());
  // The session starts over: STARTTLS is no longer offered, and the
  // protocol of a message is ESMTPS.
  std::string ehlo = c.say("EHLO client.example\r\n");
  CHECK(ehlo.find("STARTTLS") == std::string::npos);
  CHECK(c.say("STARTTLS\r\n") == "554 5.5.1 Error: TLS already active\r\n");
  CHECK(codes(c.say("MAIL FROM:<a@example.org>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")) ==
        Codes{"250", "250", "354"});
  CHECK(codes(c.say("Subject: x\r\n\r\nhi\r\n.\r\n")) == Codes{"250"});
  auto m = f.only();
  CHECK(m.content.find("with ESMTPS id") != std::string::npos);
  CHECK(m.content.find("(using TLSv1.3") == std::string::npos);  // smtpd_tls_received_header = no
  CHECK(f.maillog().find("TLS connection established from unknown[192.0.2.1]: TLSv1.3 with cipher") !=
        std::string::npos);
}

TEST_CASE("starttls: refused inside a transaction and with arguments", "[smtpd][tls]") {
  Fixture f;
  f.settings.security.tls_level = smtpd::TlsLevel::May;
  f.settings.security.tls = test_tls(f.dir);
  Client c(f);
  c.say("EHLO x\r\n");
  CHECK(c.say("STARTTLS now\r\n") == "501 5.5.4 Syntax: STARTTLS\r\n");
  c.say("MAIL FROM:<a@example.org>\r\n");
  CHECK(c.say("STARTTLS\r\n") == "503 5.5.1 Error: MAIL transaction in progress\r\n");
  CHECK_FALSE(c.last.start_tls);
}

TEST_CASE("starttls: security level encrypt gates the other commands", "[smtpd][tls]") {
  Fixture f("", "alice:{PLAIN}a:1000:1000::/home/alice::\n");
  f.settings.security.tls_level = smtpd::TlsLevel::Encrypt;
  f.settings.security.tls = test_tls(f.dir);
  f.settings.security.received_tls = true;
  Client c(f);
  c.say("EHLO x\r\n");
  CHECK(c.say("MAIL FROM:<a@example.org>\r\n") == "530 5.7.0 Must issue a STARTTLS command first\r\n");
  CHECK(c.say("NOOP\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(c.say("STARTTLS\r\n") == "220 2.0.0 Ready to start TLS\r\n");
  c.session.tls_started(tls13());
  c.say("EHLO x\r\n");
  CHECK(codes(c.say("MAIL FROM:<a@example.org>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nx\r\n.\r\n")) ==
        Codes{"250", "250", "354", "250"});
  CHECK(f.only().content.find("(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))") !=
        std::string::npos);
}

TEST_CASE("auth: PLAIN with an initial response, then relaying is allowed", "[smtpd][auth]") {
  Fixture f;
  enable_auth(f);
  f.settings.security.authenticated_header = true;
  Client c(f);
  std::string ehlo = c.say("EHLO x\r\n");
  CHECK(ehlo.find("250-AUTH PLAIN LOGIN CRAM-MD5\r\n") != std::string::npos);
  // Without AUTH, relaying is refused.
  c.say("MAIL FROM:<a@example.test>\r\n");
  CHECK(c.say("RCPT TO:<x@elsewhere.example>\r\n") ==
        "454 4.7.1 <x@elsewhere.example>: Relay access denied\r\n");
  CHECK(c.say("AUTH PLAIN AGFsaWNlAGE=\r\n") == "503 5.5.1 Error: MAIL transaction in progress\r\n");
  c.say("RSET\r\n");
  CHECK(c.say("AUTH PLAIN AGFsaWNlAGE=\r\nNOOP\r\n").empty());  // waits for authd, NOOP waits too
  REQUIRE(c.last.auth_request);
  CHECK(c.last.auth_request->get("request") == "auth");
  CHECK(c.last.auth_request->get("mechanism") == "PLAIN");
  CHECK(c.last.auth_request->get("response") == "AGFsaWNlAGE=");
  CHECK(c.last.auth_request->get("client_address") == "192.0.2.1");
  auto out = c.session.auth_reply(authd({{"status", "0"}, {"user", "alice"}}));
  CHECK(out.bytes == "235 2.7.0 Authentication successful\r\n250 2.0.0 Ok\r\n");
  CHECK(c.say("AUTH PLAIN AGFsaWNlAGE=\r\n") == "503 5.5.1 Error: already authenticated\r\n");
  CHECK(codes(c.say("MAIL FROM:<alice@example.test> AUTH=<>\r\nRCPT TO:<x@elsewhere.example>\r\nDATA\r\nx\r\n.\r\n")) ==
        Codes{"250", "250", "354", "250"});
  auto m = f.only();
  CHECK(m.content.find("(Authenticated sender: alice)") != std::string::npos);
  CHECK(m.content.find("with ESMTPA id") != std::string::npos);
  c.say("QUIT\r\n");
  c.session.end(false);
  INFO(f.maillog());
  CHECK(f.maillog().find(" auth=1/3 ") != std::string::npos);  // the 503s count too
  CHECK(f.maillog().find(": client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=alice\n") != std::string::npos);
}

TEST_CASE("auth: 334 exchange, cancel, failure and undecodable responses", "[smtpd][auth]") {
  Fixture f;
  enable_auth(f);
  Client c(f);
  CHECK(c.say("AUTH LOGIN\r\n") == "503 5.5.1 Error: send EHLO first\r\n");
  c.say("EHLO x\r\n");
  CHECK(c.say("AUTH GSSAPI\r\n") == "504 5.5.4 Unsupported authentication mechanism\r\n");
  CHECK(c.say("AUTH PLAIN !!!\r\n") == "501 5.5.2 Cannot decode response\r\n");
  CHECK(c.say("AUTH LOGIN\r\n").empty());
  REQUIRE(c.last.auth_request);
  CHECK_FALSE(c.last.auth_request->get("response"));  // no initial response
  CHECK(c.session.auth_reply(authd({{"status", "1"}, {"challenge", "VXNlcm5hbWU6"}})).bytes == "334 VXNlcm5hbWU6\r\n");
  // The next line is a SASL response, not a command, even if it looks like one.
  CHECK(c.say("QUIT\r\n").empty());
  CHECK_FALSE(c.session.closed());
  REQUIRE(c.last.auth_request);
  CHECK(c.last.auth_request->get("request") == "continue");
  CHECK(c.last.auth_request->get("response") == "QUIT");
  CHECK(c.session.auth_reply(authd({{"status", "5"}, {"reason", "authentication failed"}})).bytes ==
        "535 5.7.8 Error: authentication failed\r\n");
  // A response that is not base64 ends the exchange (authd is told).
  c.say("AUTH LOGIN\r\n");
  c.session.auth_reply(authd({{"status", "1"}, {"challenge", "VXNlcm5hbWU6"}}));
  c.say("not base64!\r\n");
  REQUIRE(c.last.auth_request);
  CHECK(c.last.auth_request->get("request") == "cancel");
  CHECK(c.session.auth_reply(authd({{"status", "5"}, {"reason", "cancelled"}})).bytes ==
        "501 5.5.2 Cannot decode response\r\n");
  // "*" cancels.
  c.say("AUTH LOGIN\r\n");
  c.session.auth_reply(authd({{"status", "1"}, {"challenge", "VXNlcm5hbWU6"}}));
  c.say("*\r\n");
  CHECK(c.last.auth_request->get("request") == "cancel");
  CHECK(c.session.auth_reply(authd({{"status", "5"}, {"reason", "cancelled"}})).bytes ==
        "501 5.7.0 Authentication aborted\r\n");
  // A failure; an empty initial response ("=").
  c.say("AUTH PLAIN =\r\n");
  CHECK(c.last.auth_request->get("response") == "");
  CHECK(c.session.auth_reply(authd({{"status", "5"}, {"reason", "authentication failed"}})).bytes ==
        "535 5.7.8 Error: authentication failed\r\n");
  // authd unreachable: a temporary failure.
  c.say("AUTH PLAIN AGFsaWNlAGE=\r\n");
  CHECK(c.session.auth_reply(Error{"authd: connection closed"}).bytes == "454 4.7.0 Temporary authentication failure\r\n");
  // SCRAM-style success data: a last 334, then an empty line.
  c.say("AUTH PLAIN AGFsaWNlAGE=\r\n");
  CHECK(c.session.auth_reply(authd({{"status", "0"}, {"user", "alice"}, {"challenge", "dj1hYmM="}})).bytes ==
        "334 dj1hYmM=\r\n");
  CHECK(c.say("\r\n") == "235 2.7.0 Authentication successful\r\n");
}

TEST_CASE("auth: response line limit (smtpd_sasl_response_limit) at limit and limit+1", "[smtpd][auth]") {
  Fixture f;
  enable_auth(f);
  f.settings.security.sasl_response_limit = 4096;  // above line_length_limit (2048)
  Client c(f);
  c.say("EHLO x\r\n");
  c.say("AUTH LOGIN\r\n");
  c.session.auth_reply(authd({{"status", "1"}, {"challenge", "VXNlcm5hbWU6"}}));
  c.say(std::string(4096, 'A') + "\r\n");  // valid base64, exactly at the limit
  REQUIRE(c.last.auth_request);
  CHECK(c.last.auth_request->get("request") == "continue");
  c.session.auth_reply(authd({{"status", "1"}, {"challenge", "UGFzc3dvcmQ6"}}));
  c.say(std::string(4100, 'A') + "\r\n");
  REQUIRE(c.last.auth_request);
  CHECK(c.last.auth_request->get("request") == "cancel");
  CHECK(c.session.auth_reply(authd({{"status", "5"}})).bytes ==
        "500 5.5.6 Authentication exchange line is too long\r\n");
}

TEST_CASE("auth: smtpd_tls_auth_only and noplaintext", "[smtpd][auth]") {
  Fixture f;
  enable_auth(f);
  f.settings.security.tls_level = smtpd::TlsLevel::May;
  f.settings.security.tls = test_tls(f.dir);
  f.settings.security.tls_auth_only = true;
  Client c(f);
  CHECK(c.say("EHLO x\r\n").find("AUTH") == std::string::npos);
  CHECK(c.say("AUTH PLAIN AGFsaWNlAGE=\r\n") ==
        "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
  c.say("STARTTLS\r\n");
  c.session.tls_started(tls13());
  CHECK(c.say("EHLO x\r\n").find("250-AUTH PLAIN LOGIN CRAM-MD5\r\n") != std::string::npos);

  Fixture g;
  enable_auth(g);
  g.settings.security.noplaintext = true;
  Client d(g);
  CHECK(d.say("EHLO x\r\n").find("250-AUTH CRAM-MD5\r\n") != std::string::npos);
  CHECK(d.say("AUTH PLAIN AGFsaWNlAGE=\r\n") == "504 5.5.4 Unsupported authentication mechanism\r\n");
  // Local submission never sees AUTH.
  Client e(g, local_peer());
  CHECK(e.say("EHLO x\r\n").find("AUTH") == std::string::npos);
}
