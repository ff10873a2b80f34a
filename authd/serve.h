// authd's event loop: accepts clients on the master-provided socket
// (private/auth), reads attr requests, answers through Conversation, and
// holds failure replies for auth_failure_delay without blocking the others.
#pragma once
#include "lib/core/result.h"
#include "lib/daemon/daemon.h"

namespace buzon::authd {

// As root, before the drop to mail_owner: reads the shadow file for the
// system passdb (when auth_passdb uses it).
Status pre_jail(daemon::Context& ctx);
int serve(daemon::Context& ctx);

}  // namespace buzon::authd
