#include <catch2/catch.hpp>

#include "lib/config/config.h"
#include "pop3d/settings.h"

using namespace buzon;
using namespace buzon::pop3d;

namespace {

config::MainCf cf(const std::string& text) {
  auto c = config::MainCf::parse(text, "main.cf", "/etc/buzon");
  REQUIRE(c);
  return std::move(*c);
}

}  // namespace

TEST_CASE("pop3d settings: Dovecot's ssl_cert = </path", "[pop3d][settings]") {
  CHECK(*pem_file("ssl_cert", "</etc/ssl/cert.pem") == "/etc/ssl/cert.pem");
  CHECK(*pem_file("ssl_cert", " < /etc/ssl/cert.pem ") == "/etc/ssl/cert.pem");
  CHECK(*pem_file("ssl_cert", "/etc/ssl/cert.pem") == "/etc/ssl/cert.pem");
  CHECK(pem_file("ssl_cert", "")->empty());
  CHECK_FALSE(pem_file("ssl_cert", "-----BEGIN CERTIFICATE-----"));
  CHECK_FALSE(pem_file("ssl_cert", "<cert.pem"));
}

TEST_CASE("pop3d settings: defaults and limits", "[pop3d][settings]") {
  auto s = load_settings(cf("ssl = no\n"));
  REQUIRE(s);
  CHECK(s->timeout == std::chrono::minutes(10));  // RFC 1939 section 3: at least 10 minutes
  CHECK(s->login.disable_plaintext_auth);
  CHECK_FALSE(s->login.tls_available);
  CHECK(s->login.max_bad_commands == 10);
  CHECK(s->login.max_auth_failures == 3);
  auto t = load_settings(cf("ssl = no\npop3d_timeout = 20m\npop3d_bad_command_limit = 0\n"));
  REQUIRE(t);
  CHECK(t->timeout == std::chrono::minutes(20));
  CHECK(t->login.max_bad_commands == 1);
}

TEST_CASE("pop3d settings: bad values are startup errors", "[pop3d][settings]") {
  CHECK_FALSE(load_settings(cf("ssl = maybe\n")));
  CHECK_FALSE(load_settings(cf("ssl = required\n")));                         // no certificate
  CHECK_FALSE(load_settings(cf("ssl = no\npop3d_tls_wrappermode = yes\n")));  // no certificate
  CHECK_FALSE(load_settings(cf("ssl = yes\nssl_cert = </nonexistent/cert.pem\n")));
  CHECK_FALSE(load_settings(cf("ssl = no\nmail_location = mdbox:~/mdbox\n")));
  CHECK(load_settings(cf("ssl = yes\n")));  // STLS is not offered, with a warning
}
