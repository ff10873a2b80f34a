#include "lib/tls/details.h"

namespace buzon::tls {

Details details(const SSL* ssl) {
  Details d;
  d.protocol = SSL_get_version(ssl);
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) {
    d.cipher = SSL_CIPHER_get_name(c);
    d.bits = SSL_CIPHER_get_bits(c, &d.alg_bits);
  }
  d.resumed = SSL_session_reused(ssl) == 1;
  return d;
}

std::string describe(const Details& d) {
  return d.protocol + " with cipher " + d.cipher + " (" + std::to_string(d.bits) + "/" + std::to_string(d.alg_bits) +
         " bits)";
}

}  // namespace buzon::tls
