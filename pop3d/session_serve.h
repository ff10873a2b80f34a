// The post-login POP3 service (pop3-session, system mode): receives a
// logged-in client from pop3d (pop3d/handoff.h), redeems its one-time
// ticket with authd for the user's uid, gid and home (the userdb lookup),
// forks, drops to that user and only then reads from the client. Nothing
// it does after the fork runs as root; nothing before it reads the client.
#pragma once
#include "lib/core/result.h"
#include "lib/daemon/daemon.h"

namespace buzon::pop3d {

// Accepts hand-offs on ctx.listen; one child process per session.
int session_serve(daemon::Context& ctx);

}  // namespace buzon::pop3d
