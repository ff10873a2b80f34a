#include "local/queued.h"

#include <fcntl.h>

#include "lib/core/strings.h"

namespace buzon::local {

std::optional<Reply> open_queued(const std::string& queue_dir, const Request& req,
                                 unsigned long long message_size_limit, Queued& q) {
  std::string qpath = queue_dir + "/" + req.queue_file;
  q.fd.reset(::open(qpath.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!q.fd) {
    Error e = sys_error("open " + qpath);
    return Reply::defer("4.3.0", "cannot open queue file", e.message);
  }
  auto env = queue::read_envelope(q.fd.get(), req.queue_id);
  if (!env) return Reply::defer("4.3.0", "cannot read queue file", env.error().message);
  q.env = std::move(*env);

  const queue::Recipient* rcpt = nullptr;
  for (size_t i = 0; i < q.env.recipients.size(); ++i)
    if (q.env.recipients[i].offset == req.offset) rcpt = &q.env.recipients[i], q.rcpt_index = i;
  // The offset is where qmgr will mark the recipient done: it must be this
  // recipient's record, or the wrong recipient would be marked.
  if (!rcpt || rcpt->address != req.recipient)
    return Reply::defer("4.3.0", "recipient not found in queue file",
                        "request for <" + str::sanitize(req.recipient) + "> at offset " + std::to_string(req.offset) +
                            " does not match " + qpath);
  if (rcpt->done) return Reply::sent("already delivered");

  if (message_size_limit != 0 && q.env.content_size > message_size_limit)
    return Reply::bounce("5.2.3", "message file too big");

  q.msg = Message{q.env.sender,    rcpt->address, q.fd.get(),         q.env.content_offset, q.env.content_size,
                  req.queue_id,    rcpt->offset,  q.env.arrival_sec, q.env.arrival_usec};
  return std::nullopt;
}

}  // namespace buzon::local
