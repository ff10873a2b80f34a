// QmgrWaker - tells qmgr of new mail over one connection to its trigger
// socket (queue_dir/public/qmgr) that stays open: one send(2) per message
// instead of trigger_qmgr's socket, connect and close, and qmgr takes the
// triggers of many messages in one wakeup. qmgr keeps such a connection
// open only for a client with its own uid or root (qmgr/trigger.h), which
// is how smtpd runs; anyone else's is closed after a few bytes, and the
// next wake then reconnects.
//
// wake_for() names the message ("I" + ID + LF), so qmgr takes that file
// without listing incoming/. A send that fails part way (qmgr's socket
// buffer full) closes the connection: qmgr then scans incoming/ when it
// reads the end of it, and the next wake reconnects.
//
// A trigger sent before qmgr closes the connection may go unread (qmgr
// stopped, or closed a client it does not trust): the message then waits
// for qmgr's start-up or periodic scan of incoming/, never longer, and is
// never lost. That is also what a failed trigger_qmgr costs.
#pragma once
#include <string>
#include <string_view>

#include "lib/core/fd.h"
#include "lib/core/result.h"

namespace buzon::queue {

class QmgrWaker {
 public:
  explicit QmgrWaker(std::string queue_dir) : queue_dir_(std::move(queue_dir)) {}

  // Sends 'W' (new mail in incoming/: qmgr scans it) on the open
  // connection; when that fails, once more on a new one. Failure only
  // delays delivery until qmgr's next scan; callers log it.
  Status wake() { return send("W"); }
  // The same for one message, incoming/id.
  Status wake_for(std::string_view id) { return send("I" + std::string(id) + "\n"); }

 private:
  Status send(const std::string& trigger);
  std::string queue_dir_;
  Fd fd_;
};

}  // namespace buzon::queue
