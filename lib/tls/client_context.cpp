#include "lib/tls/client_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>

#include "lib/tls/errors.h"
#include "lib/tls/protocols.h"
#include "lib/tls/server_context.h"

namespace buzon::tls {

Result<ClientContext> ClientContext::create(const ClientConfig& config) {
  auto range = parse_protocols(config.protocols);
  if (!range) return Error{"protocols \"" + config.protocols + "\": " + range.error().message};
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Error{ssl_error("SSL_CTX_new")};
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, range->min_version);
  SSL_CTX_set_max_proto_version(c, range->max_version);
  SSL_CTX_set_options(c, range->no_options | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  const std::string list = config.cipher_list.empty() ? std::string(kDefaultCipherList) : config.cipher_list;
  if (SSL_CTX_set_cipher_list(c, list.c_str()) != 1) return Error{ssl_error("cipher list \"" + list + "\"")};
  if (config.verify) {
    int ok = config.ca_file.empty() ? SSL_CTX_set_default_verify_paths(c)
                                    : SSL_CTX_load_verify_locations(c, config.ca_file.c_str(), nullptr);
    if (ok != 1) return Error{ssl_error("cannot load trust anchors " + config.ca_file)};
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  }
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ClientContext(std::move(ctx), config.verify);
}

SslPtr ClientContext::new_ssl(const std::string& host) const {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) return ssl;
  unsigned char addr[16];
  const bool is_ip = inet_pton(AF_INET, host.c_str(), addr) == 1 || inet_pton(AF_INET6, host.c_str(), addr) == 1;
  // RFC 6066 section 3: SNI carries host names only, never literal addresses.
  if (!is_ip && !host.empty()) SSL_set_tlsext_host_name(ssl.get(), host.c_str());
  if (verify_ && !host.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1
              : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) != 1)
      return SslPtr();
  }
  return ssl;
}

}  // namespace buzon::tls
