#include "authd/apop.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/password/scheme.h"

namespace buzon::authd {
namespace {

// RFC 1939's msg-id: "<" ... ">", printable ASCII.
bool valid_challenge(std::string_view c) {
  if (c.size() < 3 || c.size() > kApopChallengeMax || c.front() != '<' || c.back() != '>') return false;
  for (char ch : c)
    if (ch <= ' ' || ch > '~') return false;
  return true;
}

bool valid_digest(std::string_view d) {
  if (d.size() != 32) return false;
  for (char c : d)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string apop_digest(std::string_view challenge, std::string_view secret) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  std::string input;
  input.reserve(challenge.size() + secret.size());
  input.append(challenge).append(secret);
  EVP_Digest(input.data(), input.size(), md, &len, EVP_md5(), nullptr);
  OPENSSL_cleanse(input.data(), input.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

StepResult apop_check(Engine& engine, std::string_view response) {
  StepResult r;
  auto first = response.find('\0');
  auto second = first == std::string_view::npos ? first : response.find('\0', first + 1);
  if (second == std::string_view::npos) {
    r.reason = "malformed APOP response";
    return r;
  }
  std::string_view challenge = response.substr(0, first);
  std::string_view user = response.substr(first + 1, second - first - 1);
  std::string digest(response.substr(second + 1));
  for (auto& c : digest) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  if (!valid_challenge(challenge) || !valid_login(user) || !valid_digest(digest)) {
    r.reason = "malformed APOP response";
    return r;
  }
  auto account = engine.lookup(user);
  if (!account) {
    r.kind = StepResult::TempFail;
    r.reason = account.error().message;
    return r;
  }
  // Unknown users and entries without a clear text cost the same MD5 as a
  // real check, so timing does not tell them apart.
  std::optional<std::string> secret;
  if (*account) secret = password::clear_text((**account).password, engine.allow_weak());
  std::string expected = apop_digest(challenge, secret ? *secret : std::string(16, '\0'));
  if (secret) OPENSSL_cleanse(secret->data(), secret->size());
  bool same = CRYPTO_memcmp(expected.data(), digest.data(), expected.size()) == 0;
  if (!*account) r.reason = "unknown user";
  else if (!secret) r.reason = "no clear-text password for APOP";
  else if (!same) r.reason = "wrong APOP digest";
  else {
    r.kind = StepResult::Success;
    r.user = (**account).user;
  }
  return r;
}

}  // namespace buzon::authd
