// pop3d's daemon entry points for lib/daemon (see pop3d/main.cpp).
#pragma once
#include "lib/core/result.h"
#include "lib/daemon/daemon.h"

namespace buzon::pop3d {

// As root, before the drop to mail_owner: enter queue_directory (authd's
// socket is relative to it) and load the TLS key, often readable by root
// only.
Status pre_jail(daemon::Context& ctx);
// Serves POP3 clients on ctx.listen until master says stop.
int serve(daemon::Context& ctx);

}  // namespace buzon::pop3d
