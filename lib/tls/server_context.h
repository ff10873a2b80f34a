// The server side of TLS, shared by smtpd and the future pop3d/imapd
// (STARTTLS/STLS and the implicit-TLS ports 465/993/995). One
// ServerContext per process and configuration; each connection takes a
// fresh SSL from it.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "lib/core/result.h"
#include "lib/tls/handles.h"

namespace buzon::config { class MainCf; }

namespace buzon::tls {

struct KeyPair {
  std::string cert_file;  // PEM: the certificate first, then its chain (intermediates)
  std::string key_file;   // PEM private key (may be the same file)
};

struct ServerConfig {
  // One pair per key type (RSA and ECDSA may both be given: OpenSSL picks
  // the one the client supports). At least one.
  std::vector<KeyPair> keys;
  std::string protocols = ">=TLSv1.2";   // parse_protocols() syntax
  std::string cipher_list;               // OpenSSL cipher list for TLS <= 1.2; empty: kDefaultCipherList
  // Session resumption: tickets (stateless; keys live in this process) and
  // the server-side session cache, both with this lifetime.
  std::chrono::seconds session_timeout{3600};
  size_t session_cache_size = 1024;      // entries per process
  // Distinguishes the services sharing a process (resuming an SMTP session
  // on IMAP must fail): the service name.
  std::string session_id_context = "buzon";
  bool prefer_server_ciphers = false;    // tls_preempt_cipherlist
};

// Postfix's "medium" grade (tls_medium_cipherlist): HIGH and MEDIUM without
// anonymous suites, ordered by strength. With TLS 1.2+ this leaves AEAD
// and CBC suites with forward secrecy first; TLS 1.3 suites are OpenSSL's.
inline constexpr const char* kDefaultCipherList = "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH";

class ServerContext {
 public:
  // Errors (for a fatal config message): unreadable certificate or key,
  // a key that does not match its certificate, a bad protocol list or a
  // cipher list OpenSSL rejects; the message names the file or parameter.
  static Result<ServerContext> create(const ServerConfig& config);

  // A new server-side SSL for one connection; nullptr only when out of memory.
  SslPtr new_ssl() const;
  SSL_CTX* get() const { return ctx_.get(); }

 private:
  explicit ServerContext(SslCtxPtr ctx) : ctx_(std::move(ctx)) {}
  SslCtxPtr ctx_;
};

// Reads the smtpd_tls_* family (prefix "smtpd") or another daemon's family
// from main.cf: PREFIX_tls_cert_file/key_file, PREFIX_tls_eccert_file/
// eckey_file, PREFIX_tls_protocols (or PREFIX_tls_mandatory_protocols when
// mandatory), PREFIX_tls_ciphers (grade: high, medium, low; or
// PREFIX_tls_mandatory_ciphers) mapped through tls_GRADE_cipherlist,
// PREFIX_tls_exclude_ciphers, PREFIX_tls_session_cache_timeout,
// tls_preempt_cipherlist. Errors: an unknown cipher grade.
Result<ServerConfig> server_config_from(const config::MainCf& cf, const std::string& prefix, bool mandatory);

}  // namespace buzon::tls
