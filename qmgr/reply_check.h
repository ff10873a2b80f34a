// Validation of a delivery agent's reply (doc/internals.md): status 0, 4
// or 5, an RFC 3463 enhanced status code whose class matches the status,
// and a reason. A reply that does not fit is treated as a temporary
// failure, so a confused agent can never make qmgr drop or mark mail.
#pragma once
#include <string>
#include <string_view>

#include "lib/attr/attr.h"

namespace buzon::qmgr {

struct ReplyCheck {
  bool ok = false;
  int status = 4;
  std::string dsn = "4.3.0";
  std::string reason;
  std::string problem;  // why the reply was not ok, for the log
};

// "d.ddd.ddd" with class digit 2, 4 or 5 (RFC 3463 section 2).
bool dsn_ok(std::string_view dsn);
ReplyCheck check_reply(const attr::Message& m);

}  // namespace buzon::qmgr
