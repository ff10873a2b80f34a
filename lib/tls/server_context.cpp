#include "lib/tls/server_context.h"

#include <openssl/err.h>

#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/tls/errors.h"
#include "lib/tls/protocols.h"

namespace buzon::tls {
namespace {

Status load_pair(SSL_CTX* ctx, const KeyPair& k) {
  // The chain file holds the leaf first, then the intermediates a client
  // needs to reach its trust anchor.
  if (SSL_CTX_use_certificate_chain_file(ctx, k.cert_file.c_str()) != 1)
    return Error{ssl_error("cannot load certificate " + k.cert_file)};
  if (SSL_CTX_use_PrivateKey_file(ctx, k.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return Error{ssl_error("cannot load private key " + k.key_file)};
  if (SSL_CTX_check_private_key(ctx) != 1)
    return Error{ssl_error("private key " + k.key_file + " does not match certificate " + k.cert_file)};
  return {};
}

}  // namespace

Result<ServerContext> ServerContext::create(const ServerConfig& config) {
  if (config.keys.empty()) return Error{"no certificate configured"};
  auto range = parse_protocols(config.protocols);
  if (!range) return Error{"protocols \"" + config.protocols + "\": " + range.error().message};
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Error{ssl_error("SSL_CTX_new")};
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, range->min_version);
  SSL_CTX_set_max_proto_version(c, range->max_version);
  // No renegotiation (CVE-2009-3555 class and a CPU-exhaustion lever), no
  // TLS compression (CRIME); each connection gets fresh ECDHE keys.
  uint64_t options = range->no_options | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                     SSL_OP_SINGLE_ECDH_USE | SSL_OP_SINGLE_DH_USE;
  if (config.prefer_server_ciphers) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  SSL_CTX_set_options(c, options);
  const std::string& list = config.cipher_list.empty() ? std::string(kDefaultCipherList) : config.cipher_list;
  if (SSL_CTX_set_cipher_list(c, list.c_str()) != 1) return Error{ssl_error("cipher list \"" + list + "\"")};
  SSL_CTX_set_dh_auto(c, 1);
  for (const KeyPair& k : config.keys)
    if (auto st = load_pair(c, k); !st) return st.error();

  // Resumption: the session cache serves clients that resume by session ID
  // (TLS 1.2), tickets serve the rest; the ID context keeps one service's
  // sessions from being resumed on another.
  const auto& sid = config.session_id_context;
  SSL_CTX_set_session_id_context(c, reinterpret_cast<const unsigned char*>(sid.data()),
                                 static_cast<unsigned>(std::min<size_t>(sid.size(), SSL_MAX_SID_CTX_LENGTH)));
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(c, static_cast<long>(config.session_cache_size));
  SSL_CTX_set_timeout(c, static_cast<long>(config.session_timeout.count()));
  // Partial writes and moving buffers: what a non-blocking bufferevent needs.
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  return ServerContext(std::move(ctx));
}

SslPtr ServerContext::new_ssl() const { return SslPtr(SSL_new(ctx_.get())); }

Result<ServerConfig> server_config_from(const config::MainCf& cf, const std::string& prefix, bool mandatory) {
  ServerConfig out;
  auto p = [&](const char* rest) { return prefix + "_tls_" + rest; };
  if (auto cert = cf.get(p("cert_file")); !cert.empty()) out.keys.push_back({cert, cf.get(p("key_file"))});
  if (auto cert = cf.get(p("eccert_file")); !cert.empty()) out.keys.push_back({cert, cf.get(p("eckey_file"))});
  out.protocols = cf.get(mandatory ? p("mandatory_protocols") : p("protocols"));
  std::string grade = str::lower(str::trim(cf.get(mandatory ? p("mandatory_ciphers") : p("ciphers"))));
  if (grade != "high" && grade != "medium" && grade != "low")
    return Error{p(mandatory ? "mandatory_ciphers" : "ciphers") + ": unknown cipher grade \"" + grade + "\" (high, medium or low)"};
  out.cipher_list = cf.get("tls_" + grade + "_cipherlist");
  for (const auto& x : cf.get_list(p("exclude_ciphers"))) out.cipher_list += ":!" + x;
  out.session_timeout = cf.get_time(p("session_cache_timeout"));
  out.prefer_server_ciphers = cf.get_bool("tls_preempt_cipherlist");
  out.session_id_context = prefix;
  return out;
}

}  // namespace buzon::tls
