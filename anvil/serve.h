// The anvil service: what daemon::run calls (main.cpp).
#pragma once
#include "lib/daemon/daemon.h"

namespace buzon::anvil {

// The event loop: one Service per client connection on the shared
// Counters; expires idle entries every anvil_rate_time_unit and logs the
// maxima every anvil_status_update_time and when it stops. Persistent:
// the counters live as long as the process.
int serve(daemon::Context& ctx);

}  // namespace buzon::anvil
