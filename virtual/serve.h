// The virtual delivery agent's service loop: one qmgr connection at a
// time, each request answered before the next is read (local/session.h).
#pragma once
#include "lib/daemon/daemon.h"

namespace buzon::vdeliver {

int serve(daemon::Context& ctx);

}  // namespace buzon::vdeliver
