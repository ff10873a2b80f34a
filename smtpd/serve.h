// The smtpd service: what daemon::run calls (main.cpp).
#pragma once
#include "lib/core/result.h"
#include "lib/daemon/daemon.h"
#include "lib/queue/qmgr_waker.h"

namespace buzon::smtpd {

// Before chroot and privilege drop: enter queue_directory, so that after an
// optional chroot to it the queue is "." either way.
Status pre_jail(daemon::Context& ctx);
// The event loop: accepts clients up to smtpd_process_client_limit, one
// Connection each; on SIGHUP/SIGTERM, idle sessions get 421 and sessions in
// a transaction finish it.
int serve(daemon::Context& ctx);

// Wakes qmgr after a commit (non-blocking; failure is logged as a warning:
// qmgr's periodic scan picks the message up anyway).
void wake_qmgr(queue::QmgrWaker& waker);

}  // namespace buzon::smtpd
