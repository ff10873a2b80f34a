// local - local mail delivery (8)
// SYNOPSIS  local [generic daemon options]   (started by master for the
//           "local unix" service of master.cf; requests come from qmgr)
// SECURITY  Runs as root only to change to each recipient: a forked child
//           drops to the recipient's uid/gid before it opens the mailbox, so
//           mailbox files are never opened as root, and mail for uid 0 is
//           deferred. Trusts qmgr's request only after checking it against
//           the queue file; opens mailboxes with O_NOFOLLOW and refuses
//           files that are not plain, single-link and owned by the user.
// LIMITS    message_size_limit, mailbox_size_limit, deliver_lock_attempts,
//           deliver_lock_delay, stale_lock_time, ipc_timeout; content is
//           copied in 64 KiB chunks.
// SEE ALSO  qmgr(8), master(8), main.cf(5)
#include "lib/daemon/daemon.h"
#include "local/serve.h"

int main(int argc, char** argv) {
  return buzon::daemon::run(argc, argv, {.name = "local", .serve = buzon::local::serve, .keep_root = true});
}
