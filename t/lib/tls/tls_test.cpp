#include <catch2/catch.hpp>

#include <event2/buffer.h>
#include <sys/socket.h>

#include <fstream>
#include <optional>

#include "lib/config/config.h"
#include "lib/core/fd.h"
#include "lib/event/event.h"
#include "lib/tls/client_context.h"
#include "lib/tls/details.h"
#include "lib/tls/protocols.h"
#include "lib/tls/self_signed.h"
#include "lib/tls/server_context.h"
#include "lib/tls/stream.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace std::literals;

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A certificate/key pair of the given type, written to dir.
tls::KeyPair make_pair(const std::string& dir, tls::KeyType type, const std::string& stem) {
  auto pem = tls::make_self_signed({.common_name = "mail.example.test",
                                    .names = {"mail.example.test", "localhost", "127.0.0.1"},
                                    .key_type = type});
  REQUIRE(pem.ok());
  tls::KeyPair k{dir + "/" + stem + ".crt", dir + "/" + stem + ".key"};
  write_file(k.cert_file, pem->cert);
  write_file(k.key_file, pem->key);
  return k;
}

struct Outcome {
  bool connected = false;
  bool failed = false;
  std::string received;  // what the server read after the handshake
  tls::Details details;
};

// One TLS connection over a socketpair, both ends on one event loop: the
// client writes "hello\n" after its handshake; the server reads it. Returns
// the client's session for resumption tests.
Outcome run_pair(const tls::ServerContext& server, const tls::ClientContext& client, const std::string& host,
                 SSL_SESSION* resume = nullptr, tls::SessionPtr* session_out = nullptr) {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  Fd s(sv[0]), c(sv[1]);
  event::Loop loop;
  tls::SslPtr sssl = server.new_ssl();
  tls::SslPtr cssl = client.new_ssl(host);
  REQUIRE(sssl);
  REQUIRE(cssl);
  if (resume) SSL_set_session(cssl.get(), resume);
  Outcome out;
  int finished = 0;
  auto sbev = tls::accept_on(loop.base(), s.get(), sssl.get());
  auto cbev = tls::connect_on(loop.base(), c.get(), cssl.get());
  struct Ctx {
    Outcome* out;
    int* finished;
    event::Loop* loop;
    SSL* ssl;
  } sctx{&out, &finished, &loop, sssl.get()}, cctx{&out, &finished, &loop, cssl.get()};
  bufferevent_setcb(
      sbev.get(),
      [](bufferevent* b, void* arg) {
        auto* x = static_cast<Ctx*>(arg);
        char buf[64];
        size_t n = bufferevent_read(b, buf, sizeof buf);
        x->out->received.append(buf, n);
        if (x->out->received.find('\n') != std::string::npos) {
          bufferevent_write(b, "bye\n", 4);
        }
      },
      nullptr,
      [](bufferevent*, short what, void* arg) {
        auto* x = static_cast<Ctx*>(arg);
        if (what & BEV_EVENT_CONNECTED) {
          x->out->connected = true;
          x->out->details = tls::details(x->ssl);
        }
        if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
          x->out->failed = x->out->failed || (what & BEV_EVENT_ERROR);
          x->loop->stop();
        }
      },
      &sctx);
  bufferevent_setcb(
      cbev.get(),
      [](bufferevent* b, void* arg) {
        auto* x = static_cast<Ctx*>(arg);
        char buf[64];
        std::string got(buf, bufferevent_read(b, buf, sizeof buf));
        if (got.find('\n') != std::string::npos) x->loop->stop();
      },
      nullptr,
      [](bufferevent* b, short what, void* arg) {
        auto* x = static_cast<Ctx*>(arg);
        if (what & BEV_EVENT_CONNECTED) bufferevent_write(b, "hello\n", 6);
        if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
          x->out->failed = true;
          x->loop->stop();
        }
      },
      &cctx);
  bufferevent_enable(sbev.get(), EV_READ | EV_WRITE);
  bufferevent_enable(cbev.get(), EV_READ | EV_WRITE);
  event::Event guard(loop, -1, 0, [&](short) {
    FAIL("handshake did not finish in time");
    loop.stop();
  });
  guard.add(5000ms);
  loop.run();
  (void)finished;
  tls::close_notify(cssl.get());
  tls::close_notify(sssl.get());
  if (session_out) session_out->reset(SSL_get1_session(cssl.get()));
  cbev.reset();
  sbev.reset();
  return out;
}

tls::ClientContext trusting(const std::string& ca_file, const std::string& protocols = ">=TLSv1.2") {
  auto c = tls::ClientContext::create({.protocols = protocols, .ca_file = ca_file, .verify = true});
  REQUIRE(c.ok());
  return std::move(*c);
}

}  // namespace

TEST_CASE("tls: Postfix protocol syntax", "[tls]") {
  auto r = tls::parse_protocols(">=TLSv1.2");
  REQUIRE(r.ok());
  CHECK(r->min_version == TLS1_2_VERSION);
  CHECK(r->max_version == TLS1_3_VERSION);
  CHECK(r->no_options == 0);

  r = tls::parse_protocols("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1");
  REQUIRE(r.ok());
  CHECK(r->min_version == TLS1_2_VERSION);
  CHECK(r->max_version == TLS1_3_VERSION);

  // A hole inside the range becomes an SSL_OP_NO_ bit.
  r = tls::parse_protocols("!tlsv1.2:>=TLSv1.1");
  REQUIRE(r.ok());
  CHECK(r->min_version == TLS1_1_VERSION);
  CHECK(r->max_version == TLS1_3_VERSION);
  CHECK(r->no_options == SSL_OP_NO_TLSv1_2);

  r = tls::parse_protocols("TLSv1.3");
  REQUIRE(r.ok());
  CHECK(r->min_version == TLS1_3_VERSION);

  r = tls::parse_protocols("<=TLSv1.2 >=TLSv1.2");
  REQUIRE(r.ok());
  CHECK(r->min_version == TLS1_2_VERSION);
  CHECK(r->max_version == TLS1_2_VERSION);

  // Empty: every TLS version (never SSL).
  r = tls::parse_protocols("");
  REQUIRE(r.ok());
  CHECK(r->min_version == TLS1_VERSION);

  r = tls::parse_protocols("SSLv3");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "no TLS protocol left enabled");
  r = tls::parse_protocols(">=TLSv9");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "bad protocol name: TLSv9");
  CHECK_FALSE(tls::parse_protocols("!TLSv1.2 !TLSv1.3 >=TLSv1.2").ok());
}

TEST_CASE("tls: handshake on the event loop with RSA and ECDSA certificates", "[tls]") {
  test::TempDir dir;
  auto type = GENERATE(tls::KeyType::Rsa2048, tls::KeyType::EcdsaP256);
  auto pair = make_pair(dir.path, type, "server");
  auto server = tls::ServerContext::create({.keys = {pair}});
  REQUIRE(server.ok());
  auto client = trusting(pair.cert_file);
  Outcome out = run_pair(*server, client, "127.0.0.1");
  CHECK(out.connected);
  CHECK_FALSE(out.failed);
  CHECK(out.received == "hello\n");
  CHECK(out.details.protocol == "TLSv1.3");
  CHECK_FALSE(out.details.cipher.empty());
  CHECK(out.details.bits >= 128);
  CHECK(tls::describe(out.details).find("TLSv1.3 with cipher ") == 0);
  // The certificate names localhost as a DNS name too.
  Outcome by_name = run_pair(*server, client, "localhost");
  CHECK(by_name.received == "hello\n");
}

TEST_CASE("tls: a client that does not trust the certificate name fails the handshake", "[tls]") {
  test::TempDir dir;
  auto pair = make_pair(dir.path, tls::KeyType::EcdsaP256, "server");
  auto server = tls::ServerContext::create({.keys = {pair}});
  REQUIRE(server.ok());
  auto client = trusting(pair.cert_file);
  Outcome out = run_pair(*server, client, "other.example.test");
  CHECK(out.failed);
  CHECK(out.received.empty());
}

TEST_CASE("tls: protocol floor refuses an older client", "[tls]") {
  test::TempDir dir;
  auto pair = make_pair(dir.path, tls::KeyType::EcdsaP256, "server");
  auto server = tls::ServerContext::create({.keys = {pair}, .protocols = ">=TLSv1.3"});
  REQUIRE(server.ok());
  Outcome old = run_pair(*server, trusting(pair.cert_file, "<=TLSv1.2 >=TLSv1.2"), "localhost");
  CHECK(old.failed);
  CHECK_FALSE(old.connected);
  auto tls12 = tls::ServerContext::create({.keys = {pair}, .protocols = "!TLSv1.3 >=TLSv1.2"});
  REQUIRE(tls12.ok());
  Outcome ok = run_pair(*tls12, trusting(pair.cert_file), "localhost");
  CHECK(ok.details.protocol == "TLSv1.2");
  // The default cipher list gives TLS 1.2 a forward-secret suite.
  CHECK(ok.details.cipher.find("ECDHE") == 0);
}

TEST_CASE("tls: sessions resume (TLS 1.3 tickets and TLS 1.2 cache)", "[tls]") {
  test::TempDir dir;
  auto pair = make_pair(dir.path, tls::KeyType::EcdsaP256, "server");
  auto protocols = GENERATE(">=TLSv1.2"s, "TLSv1.2"s);
  auto server = tls::ServerContext::create({.keys = {pair}, .protocols = protocols});
  REQUIRE(server.ok());
  auto client = trusting(pair.cert_file);
  tls::SessionPtr session;
  Outcome first = run_pair(*server, client, "localhost", nullptr, &session);
  REQUIRE(first.received == "hello\n");
  CHECK_FALSE(first.details.resumed);
  REQUIRE(session);
  Outcome second = run_pair(*server, client, "localhost", session.get());
  CHECK(second.received == "hello\n");
  CHECK(second.details.resumed);
}

TEST_CASE("tls: configuration errors name the file or the setting", "[tls]") {
  test::TempDir dir;
  auto rsa = make_pair(dir.path, tls::KeyType::Rsa2048, "rsa");
  auto ec = make_pair(dir.path, tls::KeyType::EcdsaP256, "ec");
  // RSA and ECDSA side by side.
  CHECK(tls::ServerContext::create({.keys = {rsa, ec}}).ok());
  auto missing = tls::ServerContext::create({.keys = {{dir.path + "/none.crt", dir.path + "/none.key"}}});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("cannot load certificate " + dir.path + "/none.crt") == 0);
  auto mismatch = tls::ServerContext::create({.keys = {{rsa.cert_file, ec.key_file}}});
  REQUIRE_FALSE(mismatch.ok());
  CHECK_FALSE(tls::ServerContext::create({.keys = {}}).ok());
  CHECK_FALSE(tls::ServerContext::create({.keys = {ec}, .protocols = "TLSv7"}).ok());
  CHECK_FALSE(tls::ServerContext::create({.keys = {ec}, .cipher_list = "NO-SUCH-CIPHER"}).ok());
}

TEST_CASE("tls: server settings from main.cf", "[tls]") {
  test::TempDir dir;
  write_file(dir.path + "/main.cf",
             "smtpd_tls_cert_file = /c.pem\nsmtpd_tls_ciphers = high\nsmtpd_tls_exclude_ciphers = aNULL, CAMELLIA\n"
             "smtpd_tls_mandatory_protocols = TLSv1.3\n");
  auto cf = config::MainCf::load(dir.path);
  REQUIRE(cf.ok());
  auto may = tls::server_config_from(*cf, "smtpd", false);
  REQUIRE(may.ok());
  REQUIRE(may->keys.size() == 1);
  CHECK(may->keys[0].key_file == "/c.pem");  // key_file defaults to the certificate file
  CHECK(may->protocols == ">=TLSv1.2");
  CHECK(may->cipher_list == "aNULL:-aNULL:HIGH:@STRENGTH:!aNULL:!CAMELLIA");
  CHECK(may->session_timeout == 3600s);
  auto must = tls::server_config_from(*cf, "smtpd", true);
  REQUIRE(must.ok());
  CHECK(must->protocols == "TLSv1.3");
  CHECK(must->cipher_list.find("aNULL:-aNULL:HIGH:MEDIUM") == 0);
  REQUIRE(cf->set("smtpd_tls_ciphers", "export").ok());
  CHECK_FALSE(tls::server_config_from(*cf, "smtpd", false).ok());
}
