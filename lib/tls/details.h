// What a finished handshake agreed on, for the log ("TLS connection
// established from ...: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384
// (256/256 bits)") and for Received: headers.
#pragma once
#include <openssl/ssl.h>

#include <string>

namespace buzon::tls {

struct Details {
  std::string protocol;  // "TLSv1.3"
  std::string cipher;    // "TLS_AES_256_GCM_SHA384"
  int bits = 0;          // symmetric key bits in use
  int alg_bits = 0;      // bits the algorithm supports
  bool resumed = false;  // the session was resumed (cache or ticket)
};

// ssl must have completed its handshake.
Details details(const SSL* ssl);

// Postfix's log shape: "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)".
std::string describe(const Details& d);

}  // namespace buzon::tls
