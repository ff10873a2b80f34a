// qmgr's service loop: one persistent process (master.cf maxproc 1) with a
// daemon::Server on public/qmgr for triggers and the Scheduler.
#pragma once
#include "lib/daemon/daemon.h"

namespace buzon::qmgr {

int serve(daemon::Context& ctx);

}  // namespace buzon::qmgr
