// The answer local gives qmgr for one delivery request (doc/internals.md):
// status 0 sent, 4 defer, 5 bounce; an RFC 3463 enhanced status code; a
// reason for qmgr's log line. warning is for local's own log only (it is
// never sent: it may name paths and errno details of another user's files).
#pragma once
#include <string>
#include <utility>

#include "lib/attr/attr.h"

namespace buzon::local {

struct Reply {
  int status = 4;
  std::string dsn = "4.3.0";
  std::string reason;
  std::string warning;

  static Reply sent(std::string reason) { return {0, "2.0.0", std::move(reason), {}}; }
  static Reply defer(std::string dsn, std::string reason, std::string warning = {}) {
    return {4, std::move(dsn), std::move(reason), std::move(warning)};
  }
  static Reply bounce(std::string dsn, std::string reason) { return {5, std::move(dsn), std::move(reason), {}}; }
};

// Wire form for qmgr (status, dsn, reason).
attr::Message to_message(const Reply& r);
// Wire form between the delivery child and local (adds the warning).
attr::Message to_child_message(const Reply& r);
// Parses to_child_message output; a malformed one is a temporary failure.
Reply from_child_message(const attr::Message& m);

}  // namespace buzon::local
