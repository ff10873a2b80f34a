// authd - authentication service (8)
// SYNOPSIS  authd [generic daemon options] (started by master)
// SECURITY  The only process that reads password data. Listens on a UNIX
//           socket in queue_directory/private/ (never on the network);
//           runs as auth_owner, its own account; the shadow file of the
//           system passdb is read as root at startup, and again after a
//           change only if auth_owner may read it (group shadow). Requests and SASL responses from
//           smtpd are untrusted client data: attr limits, base64 checks,
//           auth_request_limit; failures are delayed and counted per IP.
// LIMITS    auth_failure_delay, auth_ban_threshold, auth_ban_window,
//           auth_ban_time, auth_request_limit
// SEE ALSO  smtpd(8), master(8), main.cf(5), doc/auth-protocol.md
#include "authd/serve.h"
#include "lib/daemon/daemon.h"

int main(int argc, char** argv) {
  return buzon::daemon::run(argc, argv, {.name = "authd",
                                         .pre_jail = buzon::authd::pre_jail,  // root: shadow snapshot
                                         .serve = buzon::authd::serve,        // unprivileged
                                         .owner_param = "auth_owner"});
}
