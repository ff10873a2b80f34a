// anvil - connection and rate counters (8)
// SYNOPSIS  anvil [generic daemon options] (started by master)
// SECURITY  Listens on a UNIX socket in queue_directory/private/ (never on
//           the network), runs as mail_owner, reads no files. Its clients
//           are smtpd processes; requests are attr messages with the limits
//           of doc/ipc.md, idents are checked (kIdentMax, printable), and
//           the table is bounded (kEntriesMax) with idle entries expired.
// LIMITS    anvil_rate_time_unit, anvil_status_update_time
// SEE ALSO  smtpd(8), master(8), main.cf(5), doc/anvil-protocol.md
#include "anvil/serve.h"
#include "lib/daemon/daemon.h"

int main(int argc, char** argv) {
  return buzon::daemon::run(argc, argv, {.name = "anvil", .serve = buzon::anvil::serve});
}
