#include "qmgr/backoff.h"

#include <algorithm>

namespace buzon::qmgr {

long long next_attempt(long long arrival, long long now, const Backoff& b) {
  long long age = std::max(0LL, now - arrival);
  long long lo = b.minimal.count();
  long long hi = std::max(lo, static_cast<long long>(b.maximal.count()));
  return now + std::clamp(age, lo, hi);
}

bool expired(long long arrival, long long now, const Backoff& b) { return now - arrival >= b.lifetime.count(); }

}  // namespace buzon::qmgr
