// local - local mail delivery (8)
// SYNOPSIS  local [generic daemon options]   (started by master for the
//           "local unix" service of master.cf; requests come from qmgr)
// SECURITY  Runs as root only to change rights: each action runs in a
//           forked child that has dropped privileges first — mailboxes,
//           ~/.forward and mailbox_command as the recipient, alias commands,
//           files and :include: files as the alias table owner (or
//           default_privs), forwarded queue files as mail_owner. Nothing
//           runs as uid 0; mail for uid 0 is deferred. Message content
//           (the Delivered-To: loop check) is read only in those children.
//           Trusts qmgr's request only after checking it against the queue
//           file; opens mailboxes with O_NOFOLLOW and refuses files that are
//           not plain, single-link and owned by the user.
// LIMITS    message_size_limit, mailbox_size_limit, header_size_limit,
//           command_time_limit, deliver_lock_attempts, deliver_lock_delay,
//           stale_lock_time, ipc_timeout; 10000 destinations per list,
//           1 MiB per .forward or :include: file, 10 :include: levels;
//           content is copied in 64 KiB chunks.
// SEE ALSO  qmgr(8), master(8), newaliases(1), main.cf(5)
#include "lib/daemon/daemon.h"
#include "local/serve.h"

int main(int argc, char** argv) {
  return buzon::daemon::run(argc, argv, {.name = "local", .serve = buzon::local::serve, .keep_root = true});
}
