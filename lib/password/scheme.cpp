#include "lib/password/scheme.h"

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>
#include <memory>

#include "lib/core/strings.h"
#include "lib/password/base64.h"

namespace buzon::password {
namespace {

struct Named {
  std::string_view name;
  Scheme scheme;
};
constexpr std::array<Named, 8> kNames{{
    {"SHA512-CRYPT", Scheme::Sha512Crypt},
    {"SHA256-CRYPT", Scheme::Sha256Crypt},
    {"BLF-CRYPT", Scheme::BlfCrypt},
    {"ARGON2ID", Scheme::Argon2id},
    {"SCRAM-SHA-256", Scheme::ScramSha256},
    {"CRYPT", Scheme::Crypt},
    {"PLAIN", Scheme::Plain},
    {"CLEARTEXT", Scheme::Plain},
}};

// RFC 9106 section 4, second recommended option (64 MiB, 3 passes).
constexpr uint32_t kArgonTime = 3;
constexpr uint32_t kArgonMemoryKiB = 64 * 1024;
constexpr uint32_t kArgonLanes = 1;
constexpr size_t kArgonHash = 32;
constexpr size_t kSaltBytes = 16;

// crypt_r's state is ~32 KiB: on the heap, zeroed as crypt_r requires.
std::optional<std::string> run_crypt(std::string_view password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  std::string pw(password);
  const char* h = ::crypt_r(pw.c_str(), setting.c_str(), data.get());
  OPENSSL_cleanse(pw.data(), pw.size());
  // libxcrypt returns a string starting with '*' on failure.
  if (!h || h[0] == '*' || h[0] == '\0') return std::nullopt;
  return std::string(h);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct ScramSecret {
  unsigned iterations = 0;
  std::string salt, stored_key, server_key;  // raw bytes
};

// Dovecot: "iter,salt,StoredKey,ServerKey", base64 fields.
std::optional<ScramSecret> parse_scram(std::string_view data) {
  auto parts = str::split(data, ",");
  if (parts.size() != 4) return std::nullopt;
  auto iter = str::to_uint(parts[0]);
  auto salt = base64_decode(parts[1]), stored = base64_decode(parts[2]), server = base64_decode(parts[3]);
  if (!iter || *iter < kScramIterMin || *iter > kScramIterMax || !salt || salt->empty() || !stored ||
      stored->size() != 32 || !server || server->size() != 32)
    return std::nullopt;
  return ScramSecret{static_cast<unsigned>(*iter), *salt, *stored, *server};
}

std::string hmac_sha256(std::string_view key, std::string_view msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// RFC 5802 section 3: StoredKey and ServerKey from the password.
ScramSecret derive_scram(std::string_view password, std::string salt, unsigned iterations) {
  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                    static_cast<int>(iterations), EVP_sha256(), sizeof salted, salted);
  std::string sp(reinterpret_cast<char*>(salted), sizeof salted);
  OPENSSL_cleanse(salted, sizeof salted);
  std::string client_key = hmac_sha256(sp, "Client Key");
  unsigned char stored[32];
  SHA256(reinterpret_cast<const unsigned char*>(client_key.data()), client_key.size(), stored);
  ScramSecret s{iterations, std::move(salt), std::string(reinterpret_cast<char*>(stored), 32),
                hmac_sha256(sp, "Server Key")};
  OPENSSL_cleanse(sp.data(), sp.size());
  return s;
}

Result<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return Error{"no random bytes"};
  return out;
}

}  // namespace

std::optional<Scheme> scheme_from_name(std::string_view name) {
  for (const auto& n : kNames)
    if (str::iequals(n.name, name)) return n.scheme;
  return std::nullopt;
}

std::string_view scheme_name(Scheme s) {
  for (const auto& n : kNames)
    if (n.scheme == s) return n.name;
  return "CRYPT";
}

bool is_weak(Scheme s) { return s == Scheme::Plain; }

Result<Stored> parse_stored(std::string_view field) {
  if (field.size() > kStoredMax) return Error{"stored password too long"};
  Stored out;
  if (field.starts_with("{")) {
    size_t close = field.find('}');
    if (close == std::string_view::npos) return Error{"unterminated {SCHEME}"};
    auto scheme = scheme_from_name(field.substr(1, close - 1));
    if (!scheme) return Error{"unknown password scheme " + std::string(field.substr(0, close + 1))};
    out.scheme = *scheme;
    field.remove_prefix(close + 1);
  }
  if (field.empty()) return Error{"empty password"};
  if (out.scheme == Scheme::ScramSha256 && !parse_scram(field)) return Error{"malformed SCRAM-SHA-256 secret"};
  out.data = std::string(field);
  return out;
}

std::string format(const Stored& s) { return "{" + std::string(scheme_name(s.scheme)) + "}" + s.data; }

Result<Stored> hash(Scheme scheme, std::string_view password) {
  if (password.size() > kPasswordMax) return Error{"password too long"};
  const char* prefix = nullptr;
  switch (scheme) {
    case Scheme::Sha512Crypt: case Scheme::Crypt: prefix = "$6$"; break;
    case Scheme::Sha256Crypt: prefix = "$5$"; break;
    case Scheme::BlfCrypt: prefix = "$2b$"; break;
    case Scheme::Plain: return Stored{scheme, std::string(password)};
    case Scheme::Argon2id: {
      auto salt = random_bytes(kSaltBytes);
      if (!salt) return salt.error();
      std::string encoded(argon2_encodedlen(kArgonTime, kArgonMemoryKiB, kArgonLanes, kSaltBytes, kArgonHash,
                                            Argon2_id),
                          '\0');
      int rc = argon2id_hash_encoded(kArgonTime, kArgonMemoryKiB, kArgonLanes, password.data(), password.size(),
                                     salt->data(), salt->size(), kArgonHash, encoded.data(), encoded.size());
      if (rc != ARGON2_OK) return Error{std::string("argon2: ") + argon2_error_message(rc)};
      encoded.resize(std::strlen(encoded.c_str()));
      return Stored{scheme, encoded};
    }
    case Scheme::ScramSha256: {
      auto salt = random_bytes(kSaltBytes);
      if (!salt) return salt.error();
      ScramSecret s = derive_scram(password, *salt, kScramIterDefault);
      return Stored{scheme, std::to_string(s.iterations) + "," + base64_encode(s.salt) + "," +
                                base64_encode(s.stored_key) + "," + base64_encode(s.server_key)};
    }
  }
  // crypt(3): libxcrypt draws the salt itself from the kernel (rbytes NULL).
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!::crypt_gensalt_rn(prefix, 0, nullptr, 0, setting, sizeof setting))
    return Error{std::string("crypt: ") + std::string(scheme_name(scheme)) + " is not available"};
  auto h = run_crypt(password, setting);
  if (!h) return Error{std::string("crypt: ") + std::string(scheme_name(scheme)) + " failed"};
  return Stored{scheme == Scheme::Crypt ? Scheme::Sha512Crypt : scheme, *h};
}

bool verify(const Stored& stored, std::string_view password, bool allow_weak) {
  if (password.size() > kPasswordMax) return false;
  switch (stored.scheme) {
    case Scheme::Plain:
      return allow_weak && equal_constant_time(stored.data, password);
    case Scheme::Argon2id: {
      std::string pw(password);
      bool ok = argon2id_verify(stored.data.c_str(), pw.data(), pw.size()) == ARGON2_OK;
      OPENSSL_cleanse(pw.data(), pw.size());
      return ok;
    }
    case Scheme::ScramSha256: {
      auto s = parse_scram(stored.data);
      if (!s) return false;
      ScramSecret mine = derive_scram(password, s->salt, s->iterations);
      return equal_constant_time(mine.stored_key, s->stored_key);
    }
    case Scheme::Sha512Crypt: case Scheme::Sha256Crypt: case Scheme::BlfCrypt: case Scheme::Crypt: {
      // A locked (!, *) or empty shadow entry never matches: crypt_r fails
      // on such a setting, or yields a different string.
      if (stored.data.empty() || stored.data[0] == '!' || stored.data[0] == '*') return false;
      auto h = run_crypt(password, stored.data);
      return h && equal_constant_time(*h, stored.data);
    }
  }
  return false;
}

std::optional<std::string> clear_text(const Stored& stored, bool allow_weak) {
  if (stored.scheme == Scheme::Plain && allow_weak) return stored.data;
  return std::nullopt;
}

std::optional<std::string> cyrus_scram_sha256(const Stored& stored) {
  if (stored.scheme != Scheme::ScramSha256) return std::nullopt;
  auto s = parse_scram(stored.data);
  if (!s) return std::nullopt;
  return "SCRAM-SHA-256$" + std::to_string(s->iterations) + ":" + base64_encode(s->salt) + "$" +
         base64_encode(s->stored_key) + ":" + base64_encode(s->server_key);
}

}  // namespace buzon::password
