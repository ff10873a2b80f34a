#include <catch2/catch.hpp>

#include "lib/password/base64.h"
#include "pop3d/command.h"
#include "pop3d/login.h"

using namespace buzon;
using namespace buzon::pop3d;
using Kind = Login::Step::Kind;

namespace {

LoginSettings settings() {
  LoginSettings s;
  s.tls_available = true;
  s.mechanisms = {"PLAIN", "LOGIN", "CRAM-MD5"};
  return s;
}

}  // namespace

TEST_CASE("pop3 login: CAPA follows the connection's security", "[pop3d][login]") {
  Login insecure(settings(), false);
  std::string capa = insecure.line("CAPA").text;
  CHECK(capa.rfind("+OK\r\nCAPA\r\n", 0) == 0);
  CHECK(capa.find("STLS\r\n") != std::string::npos);
  CHECK(capa.find("USER\r\n") == std::string::npos);             // plaintext disallowed here
  CHECK(capa.find("SASL CRAM-MD5\r\n") != std::string::npos);    // only the non-plaintext mechanism
  CHECK(capa.substr(capa.size() - 3) == ".\r\n");
  insecure.tls_started();
  capa = insecure.line("CAPA").text;
  CHECK(capa.find("STLS") == std::string::npos);
  CHECK(capa.find("USER\r\n") != std::string::npos);
  CHECK(capa.find("SASL PLAIN LOGIN CRAM-MD5\r\n") != std::string::npos);

  Login local(settings(), true);  // from the local host: secure, as in Dovecot
  CHECK(local.line("CAPA").text.find("USER\r\n") != std::string::npos);
}

TEST_CASE("pop3 login: CAPA announces LOGIN-DELAY only when one is set", "[pop3d][login]") {
  CHECK(Login(settings(), true).line("CAPA").text.find("LOGIN-DELAY") == std::string::npos);
  LoginSettings s = settings();
  s.login_delay = std::chrono::minutes(15);
  CHECK(Login(s, true).line("CAPA").text.find("\r\nLOGIN-DELAY 900\r\n") != std::string::npos);
  CHECK(login_delay_capa(std::chrono::seconds(0)).empty());
}

TEST_CASE("pop3 login: USER/PASS becomes SASL PLAIN", "[pop3d][login]") {
  Login l(settings(), true);
  CHECK(l.greeting() == "+OK Buzon ready.\r\n");
  CHECK(l.line("PASS x").text == "-ERR No username given.\r\n");
  CHECK(l.line("USER alice").text == "+OK\r\n");
  auto step = l.line("PASS secret word");
  REQUIRE(step.kind == Kind::AuthStart);
  CHECK(step.mechanism == "PLAIN");
  REQUIRE(step.response);
  CHECK(password::base64_decode(*step.response) == std::string("\0alice\0secret word", 18));
  auto done = l.auth_reply({AuthOutcome::Kind::Success, "alice", {}});
  CHECK(done.text == "+OK Logged in.\r\n");
  CHECK(l.logged_in());
  CHECK(l.user() == "alice");
}

TEST_CASE("pop3 login: plaintext refused on insecure connections", "[pop3d][login]") {
  Login l(settings(), false);
  CHECK(l.line("USER alice").text.rfind("-ERR [AUTH] Plaintext authentication disallowed", 0) == 0);
  CHECK(l.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==").text.rfind("-ERR [AUTH] Plaintext", 0) == 0);
  auto step = l.line("AUTH cram-md5");
  CHECK(step.kind == Kind::AuthStart);
  CHECK(step.mechanism == "CRAM-MD5");
  CHECK_FALSE(step.response);

  LoginSettings open = settings();
  open.disable_plaintext_auth = false;
  Login allowed(open, false);
  CHECK(allowed.line("USER alice").text == "+OK\r\n");

  LoginSettings required = settings();
  required.ssl_required = true;
  Login strict(required, true);  // even from localhost
  CHECK(strict.line("AUTH CRAM-MD5").text.rfind("-ERR [AUTH]", 0) == 0);
  REQUIRE(strict.line("STLS").kind == Kind::StartTls);
  strict.tls_started();
  CHECK(strict.line("STLS").text == "-ERR TLS is already active.\r\n");
  CHECK(strict.line("AUTH CRAM-MD5").kind == Kind::AuthStart);
}

TEST_CASE("pop3 login: a SASL exchange with challenges and cancel", "[pop3d][login]") {
  Login l(settings(), true);
  CHECK(l.line("AUTH GSSAPI").text == "-ERR Unsupported authentication mechanism.\r\n");
  auto step = l.line("AUTH LOGIN");
  REQUIRE(step.kind == Kind::AuthStart);
  CHECK(l.auth_reply({AuthOutcome::Kind::Challenge, {}, "VXNlcm5hbWU6"}).text == "+ VXNlcm5hbWU6\r\n");
  CHECK(l.line_limit() == kAuthLineMax);
  step = l.line("YWxpY2U=");
  REQUIRE(step.kind == Kind::AuthContinue);
  CHECK(step.response == "YWxpY2U=");
  CHECK(l.auth_reply({AuthOutcome::Kind::Challenge, {}, "UGFzc3dvcmQ6"}).text == "+ UGFzc3dvcmQ6\r\n");
  step = l.line("*");
  CHECK(step.kind == Kind::AuthCancel);
  CHECK(step.text == "-ERR Authentication aborted by client.\r\n");
  CHECK(l.line_limit() == kCommandLineMax);
  CHECK_FALSE(l.logged_in());

  SECTION("an empty initial response is '='") {
    step = l.line("AUTH PLAIN =");
    REQUIRE(step.response);
    CHECK(step.response->empty());
  }
  SECTION("final server data must be acknowledged with an empty line") {
    REQUIRE(l.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==").kind == Kind::AuthStart);
    CHECK(l.auth_reply({AuthOutcome::Kind::Success, "alice", "dj1zaWduYXR1cmU="}).text == "+ dj1zaWduYXR1cmU=\r\n");
    CHECK_FALSE(l.logged_in());
    CHECK(l.line("").text == "+OK Logged in.\r\n");
    CHECK(l.user() == "alice");
  }
}

TEST_CASE("pop3 login: failures and bad commands are limited", "[pop3d][login]") {
  Login l(settings(), true);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(l.line("USER alice").text == "+OK\r\n");
    REQUIRE(l.line("PASS wrong").kind == Kind::AuthStart);
    auto r = l.auth_reply({AuthOutcome::Kind::Failure, {}, {}});
    CHECK(r.text == "-ERR [AUTH] Authentication failed.\r\n");
    CHECK_FALSE(r.close);
  }
  REQUIRE(l.line("USER alice").text == "+OK\r\n");
  REQUIRE(l.line("PASS wrong").kind == Kind::AuthStart);
  CHECK(l.auth_reply({AuthOutcome::Kind::Failure, {}, {}}).close);  // the third failure ends it

  Login b(settings(), true);
  for (int i = 0; i < 9; ++i) CHECK_FALSE(b.line("BOGUS").close);
  auto last = b.line("BOGUS");
  CHECK(last.text == "-ERR Too many invalid commands.\r\n");
  CHECK(last.close);
  CHECK(Login(settings(), true).line("QUIT").close);
  CHECK(Login(settings(), true).line("AUTH").text == "+OK\r\nPLAIN\r\nLOGIN\r\nCRAM-MD5\r\n.\r\n");
}

TEST_CASE("pop3 login: APOP only with a timestamp in the greeting", "[pop3d][login][apop]") {
  // authd offers no APOP: no timestamp, and the command is refused.
  Login plain(settings(), true);
  CHECK(plain.greeting() == "+OK Buzon ready.\r\n");
  CHECK(plain.line("APOP alice c4c9334bac560ecc979e58001b3e22fb").text == "-ERR APOP not enabled.\r\n");

  LoginSettings s = settings();
  s.mechanisms.push_back("APOP");
  s.apop_challenge = "<1896.697170952@dbc.mtview.ca.us>";
  Login l(s, true);
  CHECK(l.greeting() == "+OK Buzon ready. <1896.697170952@dbc.mtview.ca.us>\r\n");
  // APOP is no SASL mechanism: neither in CAPA nor usable with AUTH.
  CHECK(l.line("CAPA").text.find("SASL PLAIN LOGIN CRAM-MD5\r\n") != std::string::npos);
  CHECK(l.line("AUTH").text == "+OK\r\nPLAIN\r\nLOGIN\r\nCRAM-MD5\r\n.\r\n");
  CHECK(l.line("AUTH APOP").text == "-ERR Unsupported authentication mechanism.\r\n");
  CHECK(l.line("APOP alice").text == "-ERR Wrong number of arguments.\r\n");
  auto step = l.line("APOP mrose c4c9334bac560ecc979e58001b3e22fb");
  REQUIRE(step.kind == Kind::AuthStart);
  CHECK(step.mechanism == "APOP");
  REQUIRE(step.response);
  CHECK(password::base64_decode(*step.response) ==
        std::string("<1896.697170952@dbc.mtview.ca.us>\0mrose\0c4c9334bac560ecc979e58001b3e22fb", 72));
  CHECK(l.auth_reply({AuthOutcome::Kind::Failure, {}, {}}).text == "-ERR [AUTH] Authentication failed.\r\n");
  step = l.line("APOP mrose c4c9334bac560ecc979e58001b3e22fb");
  REQUIRE(step.kind == Kind::AuthStart);
  CHECK(l.auth_reply({AuthOutcome::Kind::Success, "mrose", {}}).text == "+OK Logged in.\r\n");
  CHECK(l.mechanism() == "APOP");
}

TEST_CASE("pop3 login: APOP is no plaintext login, but ssl = required wants TLS first", "[pop3d][login][apop]") {
  LoginSettings s = settings();
  s.mechanisms.push_back("APOP");
  s.apop_challenge = "<1.2@h>";
  Login insecure(s, false);  // disable_plaintext_auth, not TLS, not local
  CHECK(insecure.line("APOP alice 0123456789abcdef0123456789abcdef").kind == Kind::AuthStart);
  s.ssl_required = true;
  Login required(s, false);
  CHECK(required.line("APOP alice 0123456789abcdef0123456789abcdef").text.rfind("-ERR [AUTH] Plaintext", 0) == 0);
  required.tls_started();
  CHECK(required.line("APOP alice 0123456789abcdef0123456789abcdef").kind == Kind::AuthStart);
}
