#include "lib/tls/self_signed.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "lib/tls/errors.h"
#include "lib/tls/handles.h"

namespace buzon::tls {
namespace {

using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, CFree<GENERAL_NAMES, GENERAL_NAMES_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, CFree<X509_EXTENSION, X509_EXTENSION_free>>;

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string to_pem(int (*write)(BIO*, void*), void* what) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get(), what) != 1) return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

// An extension from its config-string form (v3_conf syntax).
bool add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

Result<Pem> make_self_signed(const SelfSignedRequest& req) {
  ERR_clear_error();
  PkeyPtr key(req.key_type == KeyType::Rsa2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
  if (!key) return Error{ssl_error("key generation")};
  X509Ptr cert(X509_new());
  if (!cert) return Error{ssl_error("X509_new")};
  X509* c = cert.get();
  X509_set_version(c, 2);  // v3
  // RFC 5280 4.1.2.2: a positive serial of at most 20 octets, unique per
  // issuer; 64 random bits make a collision between two runs negligible.
  unsigned char serial[8];
  if (RAND_bytes(serial, sizeof serial) != 1) return Error{ssl_error("RAND_bytes")};
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c))) {
    BN_free(bn);
    return Error{ssl_error("serial number")};
  }
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);  // tolerate slightly slow client clocks
  X509_gmtime_adj(X509_getm_notAfter(c), static_cast<long>(req.validity.count()) * 3600);
  X509_set_pubkey(c, key.get());
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(req.common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(c, name);

  std::string san;
  for (const std::string& n : req.names) {
    if (n.find_first_of(",\n") != std::string::npos) return Error{"bad certificate name: " + n};
    san += (san.empty() ? "" : ",") + std::string("DNS:") + n;
    if (is_ip(n)) san += ",IP:" + n;
  }
  if (!san.empty() && !add_ext(c, NID_subject_alt_name, san.c_str())) return Error{ssl_error("subjectAltName")};
  if (!add_ext(c, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(c, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
      !add_ext(c, NID_ext_key_usage, "serverAuth") || !add_ext(c, NID_subject_key_identifier, "hash"))
    return Error{ssl_error("certificate extensions")};
  if (X509_sign(c, key.get(), EVP_sha256()) == 0) return Error{ssl_error("X509_sign")};

  Pem out;
  out.cert = to_pem([](BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); }, c);
  out.key = to_pem(
      [](BIO* b, void* k) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr, nullptr);
      },
      key.get());
  if (out.cert.empty() || out.key.empty()) return Error{ssl_error("PEM encoding")};
  return out;
}

}  // namespace buzon::tls
