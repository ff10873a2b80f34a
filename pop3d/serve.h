// pop3d's daemon entry points for lib/daemon (see pop3d/main.cpp).
#pragma once
#include "lib/core/result.h"
#include "lib/daemon/daemon.h"

namespace buzon::pop3d {

// Serves POP3 clients on ctx.listen until master says stop.
int serve(daemon::Context& ctx);

}  // namespace buzon::pop3d
