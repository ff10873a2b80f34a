#include "local/forward.h"

#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "lib/virtual/virtual.h"

namespace buzon::local {

Reply forward_message(const std::string& queue_dir, const queue::Envelope& env, const queue::Recipient& rcpt,
                      const Message& msg, const ForwardCopy& copy) {
  auto fail = [](const Error& e) { return Reply::defer("4.3.0", "cannot forward message", e.message); };
  if (copy.recipients.size() > queue::kRecipientsMax)
    return Reply::bounce("5.3.4", "too many recipients in forwarding list");
  auto w = queue::Writer::create(queue_dir);
  if (!w) return fail(w.error());
  if (auto s = w->sender(copy.sender); !s) return fail(s.error());
  for (const auto& [name, value] : env.attrs) {
    if (name == virt::kExpandedAttr) continue;  // the copy's recipients are expanded afresh
    if (auto s = w->attr(name, value); !s) return fail(s.error());
  }
  // The copy's recipients answer for the one we were asked to deliver: keep
  // its original address (for orig_to= and DSN) and its DSN request.
  const std::string& original = rcpt.original.empty() ? rcpt.address : rcpt.original;
  for (const std::string& r : copy.recipients)
    if (auto s = w->recipient(r, original, rcpt.dsn); !s) return fail(s.error());
  if (auto s = w->begin_content(); !s) return fail(s.error());
  std::string header = "Delivered-To: " + str::sanitize(rcpt.address, queue::kRecordMax) + "\n";
  if (auto s = w->append(header); !s) return fail(s.error());
  if (auto s = for_each_chunk(msg, [&](std::string_view c) { return w->append(c); }); !s) return fail(s.error());
  if (auto s = w->commit(); !s) return fail(s.error());
  // The new queue file's first log line, as Postfix's cleanup logs one.
  log::info(w->id(), {{"forwarded_from", msg.queue_id}});
  // The copy is durable; a lost wake-up only waits for qmgr's next scan.
  if (auto s = queue::trigger_qmgr(queue_dir, 'W'); !s) log::warning("qmgr trigger: " + s.error().message);
  return Reply::sent("forwarded as " + w->id());
}

}  // namespace buzon::local
