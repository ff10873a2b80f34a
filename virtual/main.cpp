// virtual - virtual mailbox delivery (8)
// SYNOPSIS  virtual [generic daemon options]   (started by master for the
//           "virtual unix" service of master.cf; requests come from qmgr
//           for recipients of virtual_mailbox_domains)
// SECURITY  Runs as root only to change rights: each mailbox is written
//           with the effective uid and gid that virtual_uid_maps and
//           virtual_gid_maps give the recipient, never below
//           virtual_minimum_uid and never as uid 0. Mailbox paths stay
//           below virtual_mailbox_base: absolute results, ".." and
//           symbolic links are refused; mailboxes are opened with
//           O_NOFOLLOW. Trusts qmgr's request only after checking it
//           against the queue file.
// LIMITS    virtual_mailbox_limit, message_size_limit, header_size_limit,
//           deliver_lock_attempts, deliver_lock_delay, stale_lock_time,
//           ipc_timeout; content is copied in 64 KiB chunks.
// SEE ALSO  qmgr(8), local(8), master(8), main.cf(5)
#include "lib/daemon/daemon.h"
#include "virtual/serve.h"

int main(int argc, char** argv) {
  return buzon::daemon::run(argc, argv, {.name = "virtual", .serve = buzon::vdeliver::serve, .keep_root = true});
}
