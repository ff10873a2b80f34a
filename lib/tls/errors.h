// OpenSSL's thread-local error queue, turned into one log-friendly line.
#pragma once
#include <string>

namespace buzon::tls {

// "what: error:0A000086:SSL routines::certificate verify failed; ..." and
// clears the queue (a stale entry would be blamed on the next call).
std::string ssl_error(const std::string& what);

}  // namespace buzon::tls
