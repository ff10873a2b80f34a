#include "qmgr/settings.h"

#include <algorithm>

namespace buzon::qmgr {

Settings Settings::from(const config::MainCf& cf) {
  Settings s;
  s.mydestination = cf.get_list("mydestination");
  // A limit of 0 would stop all delivery; Postfix treats these as at least 1.
  s.concurrency = std::max<size_t>(1, cf.get_int("default_process_limit"));
  s.rcpt_concurrency = std::max<size_t>(1, cf.get_int("local_destination_concurrency_limit"));
  s.active_limit = std::max<size_t>(1, cf.get_int("qmgr_message_active_limit"));
  s.recipient_limit = std::max<size_t>(1, cf.get_int("qmgr_message_recipient_limit"));
  s.ipc_timeout = cf.get_time("ipc_timeout");
  s.ipc_idle = cf.get_time("ipc_idle");
  s.queue_run_delay = std::max(std::chrono::seconds(1), cf.get_time("queue_run_delay"));
  s.backoff.minimal = cf.get_time("minimal_backoff_time");
  s.backoff.maximal = cf.get_time("maximal_backoff_time");
  s.backoff.lifetime = cf.get_time("maximal_queue_lifetime");
  s.bounce_lifetime = cf.get_time("bounce_queue_lifetime");
  s.delay_warning = cf.get_time("delay_warning_time");
  s.notice.myhostname = cf.get("myhostname");
  s.notice.myorigin = cf.get("myorigin");
  s.notice.mail_name = cf.get("mail_name");
  s.notice.bounce_notice_recipient_2 = cf.get("2bounce_notice_recipient");
  s.notice.double_bounce_sender = cf.get("double_bounce_sender");
  s.notice.bounce_size_limit = cf.get_size("bounce_size_limit");
  s.notice.header_size_limit = cf.get_size("header_size_limit");
  s.notice.lifetime = s.backoff.lifetime.count();
  return s;
}

}  // namespace buzon::qmgr
