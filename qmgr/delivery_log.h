// qmgr's one log line per delivery attempt, in Postfix's shape:
//   QUEUEID: to=<bob@example.test>, relay=local, delay=0.12,
//     delays=0.01/0/0/0.11, dsn=2.0.0, status=sent (delivered to mailbox)
// orig_to=<...> follows to= when the original recipient differs.
// delays = a/b/c/d: a before qmgr (arrival to active), b in qmgr (active to
// the start of the attempt), c connection setup, d the delivery itself.
#pragma once
#include <string>
#include <string_view>

namespace buzon::qmgr {

// Seconds as Postfix prints them: whole seconds from 10 s up, one decimal
// from 1 s, two below (10 ms resolution), trailing zeros dropped, negative
// values (clock steps) as 0. 0.123 -> "0.12", 1.25 -> "1.2", 0.004 -> "0".
std::string format_delay(double seconds);

struct Attempt {
  std::string queue_id;
  std::string recipient;
  std::string original;  // empty when there was none
  std::string relay;     // "local" or "none"
  double arrival = 0, activated = 0, started = 0, connected = 0, finished = 0;  // seconds since epoch
  std::string dsn;
  std::string status;  // sent | deferred | bounced
  std::string reason;
};

// The line without the "QUEUEID: " prefix logic of lib/log (for tests).
std::string format_attempt(const Attempt& a);
void log_attempt(const Attempt& a);

}  // namespace buzon::qmgr
