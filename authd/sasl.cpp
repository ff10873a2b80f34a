#include "authd/sasl.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sasl/saslplug.h>

#include <algorithm>
#include <cstring>

#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "lib/password/base64.h"

namespace buzon::authd {
namespace {

// APOP is ours (authd/apop.h), not Cyrus's: never in Cyrus's mech_list.
constexpr const char* kKnown[] = {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "APOP"};
constexpr const char* kAuxpropName = "buzon";

// Cyrus's plugin API has no user pointer for the auxprop init: the one
// Engine of the process.
Engine* g_engine = nullptr;

int getopt_cb(void* context, const char*, const char* option, const char** result, unsigned* len) {
  auto* engine = static_cast<Engine*>(context);
  static const std::string kAuxprop = "auxprop";
  const char* value = nullptr;
  if (std::strcmp(option, "mech_list") == 0) value = engine->mech_list().c_str();
  else if (std::strcmp(option, "pwcheck_method") == 0) value = kAuxprop.c_str();
  else if (std::strcmp(option, "auxprop_plugin") == 0) value = kAuxpropName;
  else if (std::strcmp(option, "log_level") == 0) value = "1";  // errors only
  else if (std::strcmp(option, "allowanonymouslogin") == 0) value = "no";
  if (!value) return SASL_FAIL;
  *result = value;
  if (len) *len = static_cast<unsigned>(std::strlen(value));
  return SASL_OK;
}

int log_cb(void*, int level, const char* message) {
  if (level <= SASL_LOG_ERR && message) log::warning(std::string("sasl: ") + message);
  return SASL_OK;
}

// PLAIN and LOGIN: the clear text the client sent, against the stored hash.
int checkpass_cb(sasl_conn_t*, void* context, const char* user, const char* pass, unsigned passlen, propctx*) {
  auto* engine = static_cast<Engine*>(context);
  auto account = engine->lookup(user ? user : "");
  if (!account) return SASL_FAIL;
  if (!*account) return SASL_NOUSER;
  bool ok = password::verify((*account)->password, std::string_view(pass, passlen), engine->allow_weak());
  return ok ? SASL_OK : SASL_BADAUTH;
}

void set_prop(sasl_server_params_t* sparams, const char* name, const std::string& value) {
  sparams->utils->prop_set(sparams->propctx, name, value.c_str(), static_cast<int>(value.size()));
}

// The auxprop plugin: userPassword (clear text) and authPassword (SCRAM
// secrets) for the authentication identity ("*"-prefixed requests).
int auxprop_lookup(void*, sasl_server_params_t* sparams, unsigned flags, const char* user, unsigned ulen) {
  if (!g_engine || (flags & SASL_AUXPROP_AUTHZID)) return SASL_OK;
  const propval* props = sparams->utils->prop_get(sparams->propctx);
  if (!props) return SASL_OK;
  std::string name(user, ulen);
  auto account = g_engine->lookup(name);
  if (!account) return SASL_FAIL;
  for (const propval* p = props; p->name; ++p) {
    if (p->name[0] != '*') continue;
    if (p->values && !(flags & SASL_AUXPROP_OVERRIDE)) continue;
    std::string_view real = p->name + 1;
    if (p->values) sparams->utils->prop_erase(sparams->propctx, p->name);
    if (real == SASL_AUX_PASSWORD_PROP) {
      if (*account)
        if (auto clear = password::clear_text((*account)->password, g_engine->allow_weak())) set_prop(sparams, p->name, *clear);
    } else if (real == "authPassword") {
      std::optional<std::string> secret;
      if (*account) secret = password::cyrus_scram_sha256((*account)->password);
      bool has_clear = *account && password::clear_text((*account)->password, g_engine->allow_weak());
      // A user without a usable secret (or no user at all) gets a
      // consistent fake one, so SCRAM fails at the same step, with the
      // same answer, as for a wrong password.
      if (!secret && !has_clear) secret = g_engine->fake_scram_secret(name);
      if (secret) set_prop(sparams, p->name, *secret);
    }
  }
  return SASL_OK;
}

sasl_auxprop_plug_t g_auxprop = {
    0, 0, nullptr, nullptr, auxprop_lookup, const_cast<char*>(kAuxpropName), nullptr,
};

int auxprop_init(const sasl_utils_t*, int max_version, int* out_version, sasl_auxprop_plug_t** plug, const char*) {
  if (max_version < SASL_AUXPROP_PLUG_VERSION) return SASL_BADVERS;
  *out_version = SASL_AUXPROP_PLUG_VERSION;
  *plug = &g_auxprop;
  return SASL_OK;
}

std::string hmac_sha256(const std::string& key, const std::string& msg, size_t n) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), std::min<size_t>(len, n));
}

sasl_callback_t g_callbacks[4];

}  // namespace

Result<std::vector<std::string>> parse_mechanisms(const std::vector<std::string>& configured) {
  std::vector<std::string> out;
  for (const auto& c : configured) {
    std::string upper;
    for (char ch : c) upper += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    if (upper == "ANONYMOUS") return Error{"auth_mechanisms: ANONYMOUS is never offered"};
    bool known = false;
    for (const char* k : kKnown) known = known || upper == k;
    if (!known) return Error{"auth_mechanisms: unknown mechanism " + c + " (plain, login, cram-md5, scram-sha-1, scram-sha-256, apop)"};
    if (std::find(out.begin(), out.end(), upper) == out.end()) out.push_back(upper);
  }
  if (out.empty()) return Error{"auth_mechanisms: no mechanism configured"};
  return out;
}

bool needs_secret(const std::string& mech) { return mech != "PLAIN" && mech != "LOGIN"; }

Result<std::unique_ptr<Engine>> Engine::create(std::vector<std::unique_ptr<Passdb>> passdbs,
                                               std::vector<std::string> mechanisms, bool allow_weak,
                                               std::string hostname) {
  if (g_engine) return Error{"sasl: engine already initialized"};
  std::unique_ptr<Engine> e(new Engine());
  e->passdbs_ = std::move(passdbs);
  e->mechanisms_ = std::move(mechanisms);
  e->allow_weak_ = allow_weak;
  e->hostname_ = std::move(hostname);
  for (const auto& m : e->mechanisms_)
    if (m != "APOP") e->mech_list_ += (e->mech_list_.empty() ? "" : " ") + m;
  e->fake_key_.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(e->fake_key_.data()), 32) != 1) return Error{"sasl: no random bytes"};
  using Cb = int (*)();
  g_callbacks[0] = {SASL_CB_GETOPT, reinterpret_cast<Cb>(reinterpret_cast<void (*)()>(getopt_cb)), e.get()};
  g_callbacks[1] = {SASL_CB_LOG, reinterpret_cast<Cb>(reinterpret_cast<void (*)()>(log_cb)), e.get()};
  g_callbacks[2] = {SASL_CB_SERVER_USERDB_CHECKPASS, reinterpret_cast<Cb>(reinterpret_cast<void (*)()>(checkpass_cb)), e.get()};
  g_callbacks[3] = {SASL_CB_LIST_END, nullptr, nullptr};
  g_engine = e.get();
  if (int rc = sasl_auxprop_add_plugin(kAuxpropName, auxprop_init); rc != SASL_OK) {
    g_engine = nullptr;
    return Error{std::string("sasl: cannot add the auxprop plugin: ") + sasl_errstring(rc, nullptr, nullptr)};
  }
  if (int rc = sasl_server_init(g_callbacks, "buzon"); rc != SASL_OK) {
    g_engine = nullptr;
    return Error{std::string("sasl_server_init: ") + sasl_errstring(rc, nullptr, nullptr)};
  }
  bool apop_only = e->mech_list_.empty();
  if (!apop_only && e->offered_by_cyrus().empty()) return Error{"sasl: none of auth_mechanisms is available (Debian: apt-get install libsasl2-modules)"};
  return e;
}

Engine::~Engine() {
  if (g_engine == this) {
    sasl_done();
    g_engine = nullptr;
  }
}

std::vector<std::string> Engine::offered_by_cyrus() {
  std::vector<std::string> out;
  sasl_conn_t* conn = nullptr;
  if (sasl_server_new("smtp", hostname_.c_str(), nullptr, nullptr, nullptr, nullptr, 0, &conn) != SASL_OK) return out;
  const char* list = nullptr;
  unsigned len = 0;
  int count = 0;
  if (sasl_listmech(conn, nullptr, "", " ", "", &list, &len, &count) == SASL_OK && list) {
    auto have = str::split(std::string_view(list, len), " ");
    for (const auto& m : mechanisms_)
      if (std::find(have.begin(), have.end(), m) != have.end()) out.push_back(m);
  }
  sasl_dispose(&conn);
  return out;
}

std::vector<std::string> Engine::offered() {
  Secrets secrets;
  for (auto& db : passdbs_) {
    Secrets s = db->secrets(allow_weak_);
    secrets.clear_text = secrets.clear_text || s.clear_text;
    secrets.scram_sha256 = secrets.scram_sha256 || s.scram_sha256;
  }
  auto cyrus = offered_by_cyrus();
  std::vector<std::string> out;
  for (const auto& m : mechanisms_) {
    bool available = m == "APOP" || std::find(cyrus.begin(), cyrus.end(), m) != cyrus.end();
    if (available && (!needs_secret(m) || secrets.clear_text || (m == "SCRAM-SHA-256" && secrets.scram_sha256)))
      out.push_back(m);
  }
  return out;
}

Result<std::optional<Account>> Engine::lookup(std::string_view user) {
  // Cyrus may qualify the login with its default realm (our hostname).
  std::string suffix = "@" + hostname_;
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& db : passdbs_) {
      auto r = db->lookup(user);
      if (!r) {
        last_lookup_error = r.error().message;
        return r.error();
      }
      if (*r) return r;
    }
    if (pass == 0 && user.size() > suffix.size() && str::iequals(user.substr(user.size() - suffix.size()), suffix))
      user.remove_suffix(suffix.size());
    else
      break;
  }
  return std::optional<Account>();
}

std::string Engine::fake_scram_secret(std::string_view user) const {
  std::string u(user);
  return "SCRAM-SHA-256$4096:" + password::base64_encode(hmac_sha256(fake_key_, "salt:" + u, 16)) + "$" +
         password::base64_encode(hmac_sha256(fake_key_, "stored:" + u, 32)) + ":" +
         password::base64_encode(hmac_sha256(fake_key_, "server:" + u, 32));
}

std::unique_ptr<Exchange> Engine::begin(const std::string& service) {
  sasl_conn_t* conn = nullptr;
  if (sasl_server_new(service.c_str(), hostname_.c_str(), nullptr, nullptr, nullptr, nullptr, 0, &conn) != SASL_OK)
    return nullptr;
  // No security layer (max_ssf 0): SMTP, IMAP and POP run over TLS instead.
  sasl_security_properties_t props{};
  props.min_ssf = 0;
  props.max_ssf = 0;
  props.maxbufsize = 0;
  props.security_flags = SASL_SEC_NOANONYMOUS;
  sasl_setprop(conn, SASL_SEC_PROPS, &props);
  last_lookup_error.clear();
  return std::unique_ptr<Exchange>(new Exchange(*this, conn));
}

Exchange::~Exchange() { sasl_dispose(&conn_); }

StepResult Exchange::result(int rc, const char* out, unsigned outlen) {
  StepResult r;
  if (out && outlen) r.challenge.assign(out, outlen);
  if (rc == SASL_CONTINUE) {
    r.kind = StepResult::Continue;
    return r;
  }
  if (rc == SASL_OK) {
    const void* user = nullptr;
    if (sasl_getprop(conn_, SASL_USERNAME, &user) != SASL_OK || !user) {
      r.kind = StepResult::TempFail;
      r.reason = "no user name after authentication";
      return r;
    }
    r.kind = StepResult::Success;
    r.user = static_cast<const char*>(user);
    return r;
  }
  if (!engine_.last_lookup_error.empty()) {
    r.kind = StepResult::TempFail;
    r.reason = engine_.last_lookup_error;
    return r;
  }
  r.kind = StepResult::Failure;
  const char* detail = sasl_errdetail(conn_);
  r.reason = detail ? detail : sasl_errstring(rc, nullptr, nullptr);
  return r;
}

StepResult Exchange::start(const std::string& mech, const std::optional<std::string>& initial) {
  const char* out = nullptr;
  unsigned outlen = 0;
  int rc = sasl_server_start(conn_, mech.c_str(), initial ? initial->data() : nullptr,
                             initial ? static_cast<unsigned>(initial->size()) : 0, &out, &outlen);
  return result(rc, out, outlen);
}

StepResult Exchange::step(const std::string& response) {
  const char* out = nullptr;
  unsigned outlen = 0;
  int rc = sasl_server_step(conn_, response.data(), static_cast<unsigned>(response.size()), &out, &outlen);
  return result(rc, out, outlen);
}

}  // namespace buzon::authd
