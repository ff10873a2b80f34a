// qmgr - queue manager (8)
// SYNOPSIS  qmgr [generic daemon options]   (started by master for the
//           "qmgr unix" service of master.cf, maxproc 1)
// SECURITY  Runs as mail_owner, optionally chrooted to queue_directory.
//           Reads only queue files (names checked with queue::id_ok) and
//           trigger bytes from public/qmgr, bounded by trigger_timeout and
//           64 bytes per client; replies from local are validated before
//           they can mark a recipient done. transport_maps tables are
//           opened with mail_owner's rights (inside the chroot, if any).
// LIMITS    qmgr_message_active_limit, qmgr_message_recipient_limit,
//           default_process_limit (per transport),
//           default_destination_concurrency_limit,
//           <transport>_destination_concurrency_limit,
//           default_destination_recipient_limit,
//           <transport>_destination_recipient_limit, ipc_timeout, ipc_idle,
//           queue_run_delay, minimal_backoff_time, maximal_backoff_time,
//           maximal_queue_lifetime, bounce_queue_lifetime,
//           delay_warning_time, bounce_size_limit, header_size_limit
// SEE ALSO  local(8), master(8), main.cf(5)
#include "lib/daemon/daemon.h"
#include "lib/queue/journal.h"
#include "qmgr/serve.h"

int main(int argc, char** argv) {
  // The boot ID, read before a chroot (-r) hides /proc; remembered.
  auto pre_jail = [](buzon::daemon::Context&) -> buzon::Status {
    (void)buzon::queue::current_boot_id();
    return {};
  };
  return buzon::daemon::run(argc, argv, {.name = "qmgr", .pre_jail = pre_jail, .serve = buzon::qmgr::serve});
}
