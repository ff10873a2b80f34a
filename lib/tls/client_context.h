// The client side of TLS: the future outbound smtp client and the tests.
#pragma once
#include <string>

#include "lib/core/result.h"
#include "lib/tls/handles.h"

namespace buzon::tls {

struct ClientConfig {
  std::string protocols = ">=TLSv1.2";  // parse_protocols() syntax
  std::string cipher_list;               // empty: kDefaultCipherList
  std::string ca_file;                   // PEM trust anchors; empty: the system store
  bool verify = true;                    // false: opportunistic (encrypt, do not authenticate)
};

class ClientContext {
 public:
  // Errors: bad protocol or cipher list, unreadable ca_file.
  static Result<ClientContext> create(const ClientConfig& config);
  // A client SSL that sends SNI for host and, when verifying, checks that
  // the certificate names host (DNS name, or IP address when host is one).
  // nullptr only when out of memory.
  SslPtr new_ssl(const std::string& host) const;
  SSL_CTX* get() const { return ctx_.get(); }

 private:
  ClientContext(SslCtxPtr ctx, bool verify) : ctx_(std::move(ctx)), verify_(verify) {}
  SslCtxPtr ctx_;
  bool verify_;
};

}  // namespace buzon::tls
