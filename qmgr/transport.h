// Which transport a recipient goes to. For now there are two outcomes: the
// local delivery agent for domains in mydestination, and "no transport yet"
// for everything else, which is deferred (never dropped) until the outbound
// SMTP client exists.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace buzon::qmgr {

struct Route {
  bool local = false;
  std::string dsn;     // for a route that is not available
  std::string reason;
};

// The domain of an address, lower-cased, without a trailing dot; "" when
// the address has no '@' (a bare local name, e.g. from sendmail).
std::string domain_of(std::string_view address);

// mydestination comparison is case-insensitive (RFC 5321 2.4: domains are
// case-insensitive) and ignores one trailing dot on either side.
Route route(std::string_view recipient, const std::vector<std::string>& mydestination);

}  // namespace buzon::qmgr
