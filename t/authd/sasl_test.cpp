// The SASL exchange through authd's Conversation, with Cyrus's own client
// side (libsasl2 client plugins) as the peer: every mechanism is tested
// against a real implementation, not against our reading of the RFC.
#include <catch2/catch.hpp>

#include <sasl/sasl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "authd/apop.h"
#include "authd/conversation.h"
#include "lib/password/base64.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::authd;
using namespace std::literals;

namespace {

struct Fixture {
  std::string path;
  std::unique_ptr<Engine> engine;
};

// One Engine per process, never destroyed: Cyrus keeps global state. The
// folder holding its passwd file is removed at exit.
Fixture& fixture() {
  static test::TempDir dir;
  static Fixture* f = [] {
    auto* fx = new Fixture{dir.path + "/passwd", nullptr};
    auto sha = password::hash(password::Scheme::Sha512Crypt, "alice-pw");
    auto argon = password::hash(password::Scheme::Argon2id, "dave-pw");
    auto scram = password::hash(password::Scheme::ScramSha256, "carol-pw");
    REQUIRE((sha.ok() && argon.ok() && scram.ok()));
    std::ofstream(fx->path) << "alice:" << password::format(*sha) << ":1:1::/h::\n"
                            << "bob:{PLAIN}bob-pw:1:1::/h::\n"
                            << "carol:" << password::format(*scram) << ":1:1::/h::\n"
                            << "dave:" << password::format(*argon) << ":1:1::/h::\n"
                            << "erin:{PLAIN}pass\xc2\xa0word:1:1::/h::\n";  // U+00A0 NO-BREAK SPACE
    std::vector<std::unique_ptr<Passdb>> dbs;
    dbs.push_back(passwd_file_passdb(fx->path));
    auto e = Engine::create(std::move(dbs), {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "APOP"}, true,
                            "mail.example.test");
    REQUIRE(e.ok());
    fx->engine = std::move(*e);
    REQUIRE(sasl_client_init(nullptr) == SASL_OK);
    return fx;
  }();
  return *f;
}

struct Creds {
  std::string user, pass;
  std::vector<char> secret_buf;
};

int get_simple(void* ctx, int id, const char** result, unsigned* len) {
  auto* c = static_cast<Creds*>(ctx);
  if (id != SASL_CB_AUTHNAME && id != SASL_CB_USER) return SASL_BADPARAM;
  // The authorization identity is left empty: "act as myself".
  *result = id == SASL_CB_USER ? "" : c->user.c_str();
  if (len) *len = static_cast<unsigned>(std::strlen(*result));
  return SASL_OK;
}

int get_secret(sasl_conn_t*, void* ctx, int, sasl_secret_t** out) {
  auto* c = static_cast<Creds*>(ctx);
  c->secret_buf.assign(sizeof(sasl_secret_t) + c->pass.size() + 1, 0);
  auto* s = reinterpret_cast<sasl_secret_t*>(c->secret_buf.data());
  s->len = c->pass.size();
  std::memcpy(s->data, c->pass.data(), c->pass.size());
  *out = s;
  return SASL_OK;
}

struct Outcome {
  int status = -1;  // the last authd status
  std::string user;
  int steps = 0;    // requests sent
  bool delayed = false;
};

// Runs one whole exchange: Cyrus client <-> Conversation.
Outcome authenticate(const std::string& mech, const std::string& user, const std::string& pass, BanList& bans,
                     const std::string& ip = "192.0.2.7", bool initial_response = true) {
  Fixture& fx = fixture();
  Creds creds{user, pass, {}};
  using Cb = int (*)();
  sasl_callback_t cbs[] = {
      {SASL_CB_AUTHNAME, reinterpret_cast<Cb>(reinterpret_cast<void (*)()>(get_simple)), &creds},
      {SASL_CB_USER, reinterpret_cast<Cb>(reinterpret_cast<void (*)()>(get_simple)), &creds},
      {SASL_CB_PASS, reinterpret_cast<Cb>(reinterpret_cast<void (*)()>(get_secret)), &creds},
      {SASL_CB_LIST_END, nullptr, nullptr},
  };
  sasl_conn_t* conn = nullptr;
  REQUIRE(sasl_client_new("smtp", "mail.example.test", nullptr, nullptr, cbs, 0, &conn) == SASL_OK);
  const char* out = nullptr;
  unsigned outlen = 0;
  const char* chosen = nullptr;
  int rc = sasl_client_start(conn, mech.c_str(), nullptr, initial_response ? &out : nullptr,
                             initial_response ? &outlen : nullptr, &chosen);
  REQUIRE((rc == SASL_OK || rc == SASL_CONTINUE));
  Limits limits;
  Conversation conv(*fx.engine, bans, limits);
  attr::Message req;
  req.set("request", "auth").set("mechanism", mech).set("service", "smtp").set("client_address", ip);
  if (initial_response && out) req.set("response", password::base64_encode(std::string(out, outlen)));
  Outcome o;
  for (;;) {
    ++o.steps;
    Reply r = conv.handle(req, BanList::Clock::now());
    o.status = static_cast<int>(*r.message.get_uint("status"));
    o.delayed = r.delay;
    if (o.status != 1) {
      if (o.status == 0) {
        o.user = std::string(*r.message.get("user"));
        if (auto last = r.message.get("challenge")) {
          // SCRAM: the client checks the server's signature.
          auto bytes = password::base64_decode(*last);
          REQUIRE(bytes);
          CHECK(sasl_client_step(conn, bytes->data(), static_cast<unsigned>(bytes->size()), nullptr, &out,
                                 &outlen) == SASL_OK);
        }
      }
      break;
    }
    auto challenge = password::base64_decode(*r.message.get("challenge"));
    REQUIRE(challenge);
    rc = sasl_client_step(conn, challenge->data(), static_cast<unsigned>(challenge->size()), nullptr, &out, &outlen);
    REQUIRE((rc == SASL_OK || rc == SASL_CONTINUE));
    req = attr::Message();
    req.set("request", "continue").set("response", password::base64_encode(std::string(out ? out : "", outlen)));
    REQUIRE(o.steps < 10);
  }
  sasl_dispose(&conn);
  return o;
}

}  // namespace

TEST_CASE("sasl: mechanisms on offer follow the configuration and the secrets", "[authd][sasl]") {
  Fixture& fx = fixture();
  auto offered = fx.engine->offered();
  // bob's PLAIN entry (weak schemes allowed here) makes the shared-secret
  // mechanisms and APOP possible; ANONYMOUS is never there.
  CHECK(offered == std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "APOP"});
  CHECK_FALSE(parse_mechanisms({"plain", "anonymous"}).ok());
  CHECK_FALSE(parse_mechanisms({"gssapi"}).ok());
  CHECK(parse_mechanisms({"plain", "Login", "PLAIN"}).value() == std::vector<std::string>{"PLAIN", "LOGIN"});
}

TEST_CASE("sasl: PLAIN and LOGIN against hashed passwords", "[authd][sasl]") {
  BanList bans(100, 60s, 60s);
  auto mech = GENERATE("PLAIN"s, "LOGIN"s);
  auto ok = authenticate(mech, "alice", "alice-pw", bans);
  CHECK(ok.status == 0);
  CHECK(ok.user == "alice");
  CHECK(authenticate(mech, "dave", "dave-pw", bans).status == 0);    // ARGON2ID
  CHECK(authenticate(mech, "carol", "carol-pw", bans).status == 0);  // SCRAM-SHA-256 secret
  auto wrong = authenticate(mech, "alice", "nope", bans);
  CHECK(wrong.status == 5);
  CHECK(wrong.delayed);
  // Without an initial response PLAIN asks with an empty challenge.
  CHECK(authenticate(mech, "alice", "alice-pw", bans, "192.0.2.7", false).status == 0);
}

TEST_CASE("sasl: shared-secret mechanisms", "[authd][sasl]") {
  BanList bans(100, 60s, 60s);
  for (std::string mech : {"CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"}) {
    INFO(mech);
    auto ok = authenticate(mech, "bob", "bob-pw", bans);
    CHECK(ok.status == 0);
    CHECK(ok.user == "bob");
    CHECK(authenticate(mech, "bob", "bob-wrong", bans).status == 5);
  }
  // A stored SCRAM-SHA-256 secret works without any clear text.
  CHECK(authenticate("SCRAM-SHA-256", "carol", "carol-pw", bans).status == 0);
  CHECK(authenticate("SCRAM-SHA-256", "carol", "carol-no", bans).status == 5);
}

TEST_CASE("sasl: no such user looks exactly like a wrong password", "[authd][sasl]") {
  BanList bans(100, 60s, 60s);
  for (std::string mech : {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"}) {
    INFO(mech);
    auto wrong = authenticate(mech, "carol", "guess", bans);
    auto unknown = authenticate(mech, "nosuchuser", "guess", bans);
    CHECK(wrong.status == 5);
    CHECK(unknown.status == 5);
    // Same number of round trips, same delay.
    CHECK(wrong.steps == unknown.steps);
    CHECK(wrong.delayed == unknown.delayed);
  }
}

TEST_CASE("sasl: a banned address fails even with the right password", "[authd][sasl]") {
  BanList bans(3, 60s, 600s);
  for (int i = 0; i < 3; ++i) CHECK(authenticate("PLAIN", "alice", "bad", bans, "198.51.100.9").status == 5);
  auto banned = authenticate("PLAIN", "alice", "alice-pw", bans, "198.51.100.9");
  CHECK(banned.status == 5);
  CHECK(banned.delayed);
  CHECK(authenticate("PLAIN", "alice", "alice-pw", bans, "198.51.100.10").status == 0);
}

TEST_CASE("sasl: protocol errors", "[authd][sasl]") {
  Fixture& fx = fixture();
  BanList bans(100, 60s, 60s);
  Limits limits;
  limits.request_limit = 3;
  Conversation conv(*fx.engine, bans, limits);
  auto now = BanList::Clock::now();
  attr::Message m;
  m.set("request", "mechanisms");
  Reply r = conv.handle(m, now);
  CHECK(r.message.get("mechanisms") == "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 APOP");
  attr::Message anon;
  anon.set("request", "auth").set("mechanism", "ANONYMOUS").set("service", "smtp").set("client_address", "1.2.3.4");
  r = conv.handle(anon, now);
  CHECK(r.message.get("status") == "5");
  CHECK(r.message.get("reason") == "mechanism not available");
  attr::Message bad64;
  bad64.set("request", "auth").set("mechanism", "PLAIN").set("service", "smtp").set("client_address", "1.2.3.4");
  bad64.set("response", "not base64!");
  r = conv.handle(bad64, now);
  CHECK(r.message.get("status") == "5");
  CHECK(r.message.get("reason") == "authentication failed");
  // auth_request_limit: the fourth request closes the connection.
  r = conv.handle(m, now);
  CHECK(r.close);
  CHECK(r.message.get("status") == "4");
}

TEST_CASE("sasl: passwords are the client's bytes, without SASLprep (as Cyrus and Dovecot)", "[authd][sasl]") {
  BanList bans(100, 60s, 60s);
  // The exact UTF-8 bytes work with every mechanism.
  for (std::string mech : {"PLAIN", "SCRAM-SHA-256", "CRAM-MD5"}) {
    INFO(mech);
    CHECK(authenticate(mech, "erin", "pass\xc2\xa0word", bans).status == 0);
  }
  // What RFC 4013 would make of it (U+00A0 mapped to U+0020) is another
  // password: a SASLprep-ing client fails, as it does against Cyrus and
  // Dovecot, whose SCRAM secrets (doveadm pw) hash the raw bytes.
  CHECK(authenticate("SCRAM-SHA-256", "erin", "pass word", bans).status == 5);
  CHECK(authenticate("PLAIN", "erin", "pass word", bans).status == 5);
}

namespace {

// One APOP request through a Conversation: challenge NUL user NUL digest.
Reply apop(BanList& bans, const std::string& response, const std::string& ip = "192.0.2.8") {
  Fixture& fx = fixture();
  Limits limits;
  Conversation conv(*fx.engine, bans, limits);
  attr::Message req;
  req.set("request", "auth").set("mechanism", "APOP").set("service", "pop").set("client_address", ip);
  req.set("response", password::base64_encode(response));
  return conv.handle(req, BanList::Clock::now());
}

std::string apop_response(const std::string& challenge, const std::string& user, const std::string& secret) {
  return challenge + '\0' + user + '\0' + apop_digest(challenge, secret);
}

}  // namespace

TEST_CASE("apop: a clear-text entry logs in with the digest of the greeting's timestamp", "[authd][apop]") {
  BanList bans(100, 60s, 60s);
  const std::string ts = "<4711.1.1700000000@mail.example.test>";
  Reply ok = apop(bans, apop_response(ts, "bob", "bob-pw"));
  CHECK(ok.message.get("status") == "0");
  CHECK(ok.message.get("user") == "bob");
  CHECK_FALSE(ok.delay);
  // Upper-case hex is the same digest.
  std::string upper = apop_digest(ts, "bob-pw");
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(apop(bans, ts + '\0' + "bob" + '\0' + upper).message.get("status") == "0");

  // Wrong password, another timestamp (a replay elsewhere), an unknown user
  // and a hashed entry (alice: no clear text) all fail alike, delayed.
  for (const auto& bad : {apop_response(ts, "bob", "bob-wrong"),
                          ts + '\0' + "bob" + '\0' + apop_digest("<other@mail.example.test>", "bob-pw"),
                          apop_response(ts, "nosuchuser", "x"), apop_response(ts, "alice", "alice-pw")}) {
    Reply r = apop(bans, bad);
    CHECK(r.message.get("status") == "5");
    CHECK(r.message.get("reason") == "authentication failed");
    CHECK(r.delay);
  }
}

TEST_CASE("apop: malformed responses fail without a database lookup", "[authd][apop]") {
  BanList bans(100, 60s, 60s);
  const std::string ts = "<1.2@h>";
  std::string digest = apop_digest(ts, "bob-pw");
  std::string at_limit = "<" + std::string(kApopChallengeMax - 2, 'x') + ">";
  CHECK(apop(bans, apop_response(at_limit, "bob", "bob-pw")).message.get("status") == "0");
  std::string over = "<" + std::string(kApopChallengeMax - 1, 'x') + ">";
  CHECK(apop(bans, apop_response(over, "bob", "bob-pw")).message.get("status") == "5");
  for (const auto& bad : {std::string("no separators"), ts + '\0' + "bob" + digest,  // one NUL
                          ts + '\0' + "bob" + '\0' + digest.substr(1),               // 31 digits
                          ts + '\0' + "bob" + '\0' + digest + "0",                   // 33 digits
                          ts + '\0' + "bob" + '\0' + "g" + digest.substr(1),         // not hex
                          std::string("1.2@h") + '\0' + "bob" + '\0' + digest,       // no <...>
                          ts + '\0' + "" + '\0' + digest,                            // no user
                          ts + '\0' + "b:ob" + '\0' + digest}) {                     // not a login name
    Reply r = apop(bans, bad);
    CHECK(r.message.get("status") == "5");
    CHECK(r.message.get("reason") == "authentication failed");
  }
  // Without any response at all.
  Fixture& fx = fixture();
  Limits limits;
  Conversation conv(*fx.engine, bans, limits);
  attr::Message req;
  req.set("request", "auth").set("mechanism", "APOP").set("service", "pop").set("client_address", "192.0.2.8");
  CHECK(conv.handle(req, BanList::Clock::now()).message.get("status") == "5");
}

TEST_CASE("apop: counts as a failure for bans, and a banned address fails with the right digest", "[authd][apop]") {
  BanList bans(2, 60s, 600s);
  const std::string ts = "<9.9@h>";
  CHECK(apop(bans, apop_response(ts, "bob", "no"), "198.51.100.20").message.get("status") == "5");
  CHECK(apop(bans, apop_response(ts, "bob", "no"), "198.51.100.20").message.get("status") == "5");
  CHECK(apop(bans, apop_response(ts, "bob", "bob-pw"), "198.51.100.20").message.get("status") == "5");
  CHECK(apop(bans, apop_response(ts, "bob", "bob-pw"), "198.51.100.21").message.get("status") == "0");
}

TEST_CASE("apop: offered only while a database holds clear texts", "[authd][apop]") {
  Fixture& fx = fixture();
  auto has = [&](const std::string& m) {
    auto o = fx.engine->offered();
    return std::find(o.begin(), o.end(), m) != o.end();
  };
  CHECK(has("APOP"));
  std::string saved;
  {
    std::ifstream in(fx.path);
    std::stringstream ss;
    ss << in.rdbuf();
    saved = ss.str();
  }
  // Only hashed entries (a new file, as `buzon user` writes it: renamed).
  std::string hashed;
  std::istringstream lines(saved);
  for (std::string line; std::getline(lines, line);)
    if (line.find("{PLAIN}") == std::string::npos) hashed += line + "\n";
  auto replace = [&](const std::string& text) {
    std::ofstream(fx.path + ".new") << text;
    REQUIRE(std::rename((fx.path + ".new").c_str(), fx.path.c_str()) == 0);
  };
  replace(hashed);
  CHECK_FALSE(has("APOP"));
  CHECK_FALSE(has("CRAM-MD5"));
  CHECK(has("PLAIN"));
  BanList bans(100, 60s, 60s);
  Reply r = apop(bans, apop_response("<1@h>", "bob", "bob-pw"));
  CHECK(r.message.get("status") == "5");
  CHECK(r.message.get("reason") == "mechanism not available");
  replace(saved);
  CHECK(has("APOP"));
}
