#include "lib/tls/errors.h"

#include <openssl/err.h>

namespace buzon::tls {

std::string ssl_error(const std::string& what) {
  std::string out = what;
  bool first = true;
  // Bounded: the queue holds at most ERR_NUM_ERRORS entries.
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += first ? ": " : "; ";
    out += buf;
    first = false;
  }
  return out;
}

}  // namespace buzon::tls
