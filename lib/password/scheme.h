// Password schemes in Dovecot's notation ("{SHA512-CRYPT}$6$salt$hash"),
// the one format of passwd-file entries, hash: map values and what
// `buzon user` writes. Only authd and `buzon user` use this module.
//
// Schemes: SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT (crypt(3) by libxcrypt),
// ARGON2ID (libargon2, PHC string), SCRAM-SHA-256 (Dovecot's
// "iter,salt,StoredKey,ServerKey" with base64 fields, RFC 7677), CRYPT
// (any crypt(3) hash, the default when no {SCHEME} is given, as system
// shadow entries), and the clear-text equivalent PLAIN, accepted only when
// weak schemes are allowed (auth_allow_weak_schemes).
//
// LIMITS  kStoredMax bytes per stored password, kPasswordMax bytes per
//         password, SCRAM iterations between kScramIterMin and kScramIterMax.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::password {

constexpr size_t kStoredMax = 512;
// crypt(3) (libxcrypt) takes at most CRYPT_MAX_PASSPHRASE_SIZE - 1 bytes.
constexpr size_t kPasswordMax = 511;
constexpr unsigned kScramIterMin = 4096;
constexpr unsigned kScramIterMax = 1000000;
constexpr unsigned kScramIterDefault = 4096;

enum class Scheme { Sha512Crypt, Sha256Crypt, BlfCrypt, Argon2id, ScramSha256, Crypt, Plain };

// "SHA512-CRYPT" -> Sha512Crypt (case-insensitive); nullopt when unknown.
// Dovecot's names, plus its alias CLEARTEXT for PLAIN.
std::optional<Scheme> scheme_from_name(std::string_view name);
std::string_view scheme_name(Scheme s);
// PLAIN: whoever reads the database learns the password.
bool is_weak(Scheme s);

struct Stored {
  Scheme scheme = Scheme::Crypt;
  std::string data;  // after "{SCHEME}"
};

// Parses "{SCHEME}data" or bare crypt(3) data. Errors: unknown scheme,
// over kStoredMax, malformed SCRAM fields, empty data.
Result<Stored> parse_stored(std::string_view field);
// "{SCHEME}data".
std::string format(const Stored& s);

// Hashes a new password with fresh random salt. Crypt and Plain are
// accepted (Plain only for tests and explicit configuration).
Result<Stored> hash(Scheme scheme, std::string_view password);

// Does password match? Always false for weak schemes unless allow_weak,
// for "*"/"!"-locked crypt entries, and for passwords over kPasswordMax.
// Comparisons of derived secrets are constant-time.
bool verify(const Stored& stored, std::string_view password, bool allow_weak);

// What Cyrus SASL's shared-secret mechanisms can use:
// the clear text (PLAIN scheme, weak allowed): CRAM-MD5, SCRAM-SHA-1/256;
std::optional<std::string> clear_text(const Stored& stored, bool allow_weak);
// the SCRAM-SHA-256 secret in Cyrus's authPassword form
// "SCRAM-SHA-256$iter:salt$StoredKey:ServerKey" (base64 fields).
std::optional<std::string> cyrus_scram_sha256(const Stored& stored);

}  // namespace buzon::password
