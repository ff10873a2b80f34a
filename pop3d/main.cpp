// pop3d - POP3 server (8)
// SYNOPSIS  pop3d [generic daemon options] (started by master)
// SECURITY  Talks to untrusted clients. Runs as mail_owner (master.cf
//           unpriv column), never as root; every read is bounded.
//           Passwords are checked by authd; pop3d never sees password
//           data. The TLS key is loaded as root before the drop. In
//           instance mode the process that logged the user in also
//           serves the mailbox (everything runs as the instance owner).
// LIMITS    pop3d_timeout, pop3d_bad_command_limit,
//           pop3d_auth_failure_limit, pop3d_process_client_limit;
//           255-byte command lines (RFC 2449), 16 KiB SASL responses.
// SEE ALSO  master(8), authd(8), local(8), main.cf(5)
#include "lib/daemon/daemon.h"
#include "pop3d/serve.h"
#include "pop3d/settings.h"

int main(int argc, char** argv) {
  return buzon::daemon::run(argc, argv, {.name = "pop3d",
                                         .pre_jail = buzon::pop3d::load_settings_as_root,  // root: queue_directory, TLS key
                                         .serve = buzon::pop3d::serve});  // unprivileged
}
