// The queue-file side of one delivery request, shared by local(8) and
// virtual(8): open the queue file named by the request, read its envelope,
// and find the recipient record at the request's offset. qmgr's request is
// trusted only as far as the queue file confirms it: the record at that
// offset must be the named recipient, since qmgr marks that offset done.
#pragma once
#include <optional>
#include <string>

#include "lib/core/fd.h"
#include "lib/queue/queue.h"
#include "local/content.h"
#include "local/reply.h"
#include "local/request.h"

namespace buzon::local {

struct Queued {
  Fd fd;                  // the queue file, read-only
  queue::Envelope env;
  size_t rcpt_index = 0;  // the request's recipient in env.recipients
  Message msg;            // the content as delivered to that recipient
};

// Fills q. nullopt: deliver; otherwise the reply to give at once: 4.3.0
// when the file cannot be read or does not match the request, "already
// delivered" (sent) for a recipient marked done, 5.2.3 when the content is
// over message_size_limit (0 = no limit).
std::optional<Reply> open_queued(const std::string& queue_dir, const Request& req,
                                 unsigned long long message_size_limit, Queued& q);

}  // namespace buzon::local
