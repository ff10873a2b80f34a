// Self-signed certificates, as Debian's snakeoil: for `buzon tls new-cert`,
// `buzon init` and the tests. Not a CA: the certificate is its own issuer.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "lib/core/result.h"

namespace buzon::tls {

enum class KeyType { Rsa2048, EcdsaP256 };

struct SelfSignedRequest {
  std::string common_name;          // myhostname
  // subjectAltName entries. Each name is added as a DNS name; those that are
  // IP addresses are added as IP names as well (some clients, e.g. mbsync,
  // compare only DNS names with the host they were given).
  std::vector<std::string> names;
  KeyType key_type = KeyType::EcdsaP256;
  std::chrono::hours validity{24 * 3650};
};

struct Pem {
  std::string cert;  // "-----BEGIN CERTIFICATE-----..."
  std::string key;   // "-----BEGIN PRIVATE KEY-----..." (PKCS#8, unencrypted)
};

// Errors: key generation or signing failed (OpenSSL's reason).
Result<Pem> make_self_signed(const SelfSignedRequest& req);

}  // namespace buzon::tls
