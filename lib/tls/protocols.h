// Postfix's protocol list syntax (smtpd_tls_protocols,
// smtpd_tls_mandatory_protocols, postconf(5)): names separated by white
// space, commas or colons; "!NAME" excludes a protocol, ">=NAME" and
// "<=NAME" bound the range, a bare NAME includes it (and, when any bare
// name is given, only the named ones are enabled). Names: SSLv2, SSLv3,
// TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (case-insensitive).
#pragma once
#include <string_view>

#include "lib/core/result.h"

namespace buzon::tls {

// What OpenSSL needs: the inclusive range of enabled versions
// (TLS1_VERSION...TLS1_3_VERSION) and SSL_OP_NO_* bits for holes inside it
// ("!TLSv1.2" with TLSv1.1 and TLSv1.3 allowed).
struct ProtocolRange {
  int min_version = 0;
  int max_version = 0;
  unsigned long long no_options = 0;
};

// SSLv2 and SSLv3 are never enabled, whatever the list says: OpenSSL 3
// cannot do SSLv2 and SSLv3 is broken (POODLE). Errors: an unknown name
// ("bad protocol name: TLSv9") or a list that leaves no TLS version
// enabled ("no TLS protocol left enabled").
Result<ProtocolRange> parse_protocols(std::string_view spec);

}  // namespace buzon::tls
