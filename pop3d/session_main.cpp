// pop3-session - POP3 post-login service (8)
// SYNOPSIS  pop3-session [generic daemon options] (started by master)
// SECURITY  Runs as root (master.cf unpriv n) only to fork and drop to the
//           mailbox owner. It trusts no word from pop3d: the user, uid,
//           gid and home come from authd for a one-time login ticket.
//           The client socket is read only after the drop; uid 0 is
//           never served.
// LIMITS    as pop3d(8) after login: pop3d_timeout; hand-offs carry at
//           most 8 KiB of pipelined client input.
// SEE ALSO  pop3d(8), authd(8), master(8), main.cf(5)
#include "lib/daemon/daemon.h"
#include "pop3d/session_serve.h"
#include "pop3d/settings.h"

int main(int argc, char** argv) {
  return buzon::daemon::run(argc, argv, {.name = "pop3-session",
                                         .pre_jail = buzon::pop3d::load_settings_as_root,
                                         .serve = buzon::pop3d::session_serve,
                                         .keep_root = true});  // setuid per session
}
