#include "virtual/agent.h"

#include <time.h>

#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/privilege/effective_ids.h"
#include "local/loop.h"
#include "local/maildir.h"
#include "local/queued.h"

namespace buzon::vdeliver {

using local::Reply;

Result<Settings> Settings::from(const config::MainCf& cf) {
  Settings s;
  s.queue_dir = cf.get("queue_directory");
  s.hostname = cf.get("myhostname");
  s.mailbox_base = cf.get("virtual_mailbox_base");
  s.mailbox_maps = cf.get_list("virtual_mailbox_maps");
  s.uid_maps = cf.get_list("virtual_uid_maps");
  s.gid_maps = cf.get_list("virtual_gid_maps");
  s.delimiters = cf.get("recipient_delimiter");
  s.minimum_uid = static_cast<unsigned long>(cf.get_int("virtual_minimum_uid"));
  s.mailbox_limit = cf.get_size("virtual_mailbox_limit");
  s.message_size_limit = cf.get_size("message_size_limit");
  s.header_size_limit = cf.get_size("header_size_limit");
  // Postfix's virtual(8) refuses to start with a limit that a single
  // accepted message could exceed.
  if (s.mailbox_limit != 0 && (s.message_size_limit == 0 || s.mailbox_limit < s.message_size_limit))
    return Error{"main.cf configuration error: virtual_mailbox_limit is smaller than message_size_limit"};
  if (auto st = local::set_lock_methods(s.mbox, cf.get_list("virtual_mailbox_lock"), "virtual_mailbox_lock"); !st)
    return st.error();
  s.mbox.lock.attempts = static_cast<unsigned>(cf.get_int("deliver_lock_attempts"));
  s.mbox.lock.delay = cf.get_time("deliver_lock_delay");
  s.mbox.lock.stale = cf.get_time("stale_lock_time");
  s.mbox.size_limit = s.mailbox_limit;
  return s;
}

Reply Agent::deliver(const local::Request& req) {
  local::Queued q;
  if (auto early = local::open_queued(s_.queue_dir, req, s_.message_size_limit, q)) return *early;
  const std::string& rcpt = q.env.recipients[q.rcpt_index].address;
  const std::string who = "recipient " + str::sanitize(rcpt);
  ++counter_;

  auto found = tables_.mailbox(rcpt);
  if (!found) return Reply::defer("4.3.0", "virtual_mailbox_maps lookup failure", found.error().message);
  if (!*found) return Reply::bounce("5.1.1", "User unknown in virtual mailbox table");
  auto path = virt::mailbox_path(s_.mailbox_base, **found);
  if (!path)
    return Reply::defer("4.3.5", "mail system configuration error",
                        who + ": bad virtual_mailbox_maps result: " + path.error().message);

  auto id = [&](bool uid) -> Result<unsigned long> {
    const char* param = uid ? "virtual_uid_maps" : "virtual_gid_maps";
    auto v = uid ? tables_.uid(rcpt) : tables_.gid(rcpt);
    if (!v) return Error{std::string(param) + ": " + v.error().message};
    if (!*v) return Error{who + ": no entry in " + param};
    auto n = virt::numeric_id(**v);
    if (!n) return Error{who + ": " + param + ": " + n.error().message};
    return *n;
  };
  auto uid = id(true);
  if (!uid) return Reply::defer("4.3.5", "mail system configuration error", uid.error().message);
  if (*uid < s_.minimum_uid)
    return Reply::defer("4.3.5", "mail system configuration error",
                        who + ": bad uid " + std::to_string(*uid) + " in virtual_uid_maps (below virtual_minimum_uid " +
                            std::to_string(s_.minimum_uid) + ")");
  auto gid = id(false);
  if (!gid) return Reply::defer("4.3.5", "mail system configuration error", gid.error().message);

  // Everything below runs with the mailbox owner's rights, so a directory
  // or file it creates is its own and a path it may not write fails.
  privilege::EffectiveIds ids(static_cast<uid_t>(*uid), static_cast<gid_t>(*gid));
  if (!ids.ok())
    return Reply::defer("4.3.0", "cannot change to the delivery rights", who + ": " + ids.ok().error().message);
  if (auto st = virt::no_symlinks_below(s_.mailbox_base, path->path); !st)
    return Reply::defer("4.3.0", "unsafe mailbox path", who + ": " + st.error().message);
  auto loop = local::has_delivered_to(q.msg, rcpt, s_.header_size_limit);
  if (!loop) return Reply::defer("4.3.0", "cannot read queue file", loop.error().message);
  if (*loop) return Reply::bounce("5.4.6", "mail forwarding loop for " + str::sanitize(rcpt));
  if (path->maildir) {
    local::MaildirOptions o{s_.hostname, s_.mailbox_limit, counter_};
    return local::deliver_maildir(path->path, o, q.msg);
  }
  return local::deliver_mbox(path->path, s_.mbox, q.msg, ::time(nullptr));
}

}  // namespace buzon::vdeliver
