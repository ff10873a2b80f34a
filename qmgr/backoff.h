// Retry timing, as Postfix's queue manager does it. A deferred message's
// next attempt is "now + its age", clamped to [minimal_backoff_time,
// maximal_backoff_time]: the wait roughly doubles with each failure and is
// based on the message's age, so a restart of qmgr does not reset it. The
// time is stored as the mtime of deferred/ID, which survives restarts and
// needs no other state.
#pragma once
#include <chrono>

namespace buzon::qmgr {

struct Backoff {
  std::chrono::seconds minimal{300};
  std::chrono::seconds maximal{4000};
  std::chrono::seconds lifetime{5 * 86400};  // maximal_queue_lifetime
};

// Seconds since the epoch of the next delivery attempt.
long long next_attempt(long long arrival, long long now, const Backoff& b);
// Whether a message that just got a temporary failure has been queued for
// maximal_queue_lifetime or longer (with lifetime 0: always, i.e. deliver
// once, as in Postfix).
bool expired(long long arrival, long long now, const Backoff& b);

}  // namespace buzon::qmgr
