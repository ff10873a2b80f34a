// Forwarding, as Postfix local(8) does it for alias and .forward
// destinations that are addresses: a new queue file (lib/queue Writer) with
// the expanded recipients, written in the queue's tmp/ and renamed into
// incoming/ durably, then a wake-up for qmgr. The copy starts with
// "Delivered-To: <recipient>" (loop detection, local/loop.h), keeps the
// sender (or the list owner's address), the message attributes and each
// recipient's DSN request, and records the original recipient.
//
// Only after commit() has made the new file durable does the caller answer
// qmgr, which then marks the original recipient done: a crash in between
// delivers the forwarded copy again at most, never loses it.
//
// Privileges: writes the queue directory, so it runs with the queue
// owner's rights (mail_owner in system mode, via Deliverer::as()).
#pragma once
#include <string>
#include <vector>

#include "lib/queue/queue.h"
#include "local/content.h"
#include "local/reply.h"

namespace buzon::local {

struct ForwardCopy {
  std::string sender;                   // "" = null sender
  std::vector<std::string> recipients;  // fully qualified
};

// Replies "forwarded as QUEUEID" (2.0.0) or a temporary failure.
Reply forward_message(const std::string& queue_dir, const queue::Envelope& env, const queue::Recipient& rcpt,
                      const Message& msg, const ForwardCopy& copy);

}  // namespace buzon::local
