// Sending a delivery status notification (dsn_report.h) as a new queue
// file: who gets it, what of the original it carries, and the rules that
// keep notices from looping.
//
// - A failure notice goes to the envelope sender. Mail from <> never gets
//   one: its failure is a "double bounce", sent as a postmaster copy to
//   2bounce_notice_recipient with the envelope sender
//   double_bounce_sender@myorigin; a failure of that message in turn is
//   discarded (logged), as in Postfix, so notices can never loop.
// - Delay and success notices are never sent for mail from <> or from the
//   double-bounce address.
// - The notice itself has the null sender <> and is written with
//   queue::Writer: it is durable (fsync'ed in incoming/) when send_notice
//   returns, which is what lets the caller mark the failed recipients done
//   afterwards without losing the report.
//
// LIMITS  bounce_size_limit bytes of the original are returned in full
//         (RET=FULL); otherwise, and for larger messages, only its header,
//         read up to header_size_limit bytes.
#pragma once
#include <ctime>
#include <string>
#include <vector>

#include "lib/core/result.h"
#include "lib/queue/queue.h"
#include "qmgr/dsn_report.h"

namespace buzon::qmgr {

struct NoticeSettings {
  std::string myhostname = "localhost";
  std::string myorigin = "localhost";
  std::string mail_name = "Buzon";
  std::string bounce_notice_recipient_2 = "postmaster";  // 2bounce_notice_recipient
  std::string double_bounce_sender = "double-bounce";
  unsigned long long bounce_size_limit = 50000;
  unsigned long long header_size_limit = 102400;
  long long lifetime = 5 * 86400;  // maximal_queue_lifetime, for Will-Retry-Until
};

struct NoticeSent {
  std::string id;   // queue ID of the notice; "" when it was discarded
  std::string to;   // its recipient
  NoticeKind kind;  // Failure becomes PostmasterCopy for mail from <>
};

// Builds and queues one notice about the given recipients of the message
// env, whose queue file is queue_dir/dir/env.id (read for the original
// text). An error means nothing was queued.
Result<NoticeSent> send_notice(const std::string& queue_dir, const std::string& dir, const queue::Envelope& env,
                               NoticeKind kind, std::vector<ReportRecipient> recipients, const NoticeSettings& s,
                               std::time_t now);

// The address double-bounce notices are sent from: double_bounce_sender,
// qualified with myorigin when it has no domain.
std::string double_bounce_address(const NoticeSettings& s);

// Whether a recipient's NOTIFY (queue::Notify flags, 0 = not given) asks
// for a notice of this kind. RFC 3461 4.1: no NOTIFY means FAILURE,DELAY.
bool notify_wants(unsigned notify, NoticeKind kind);

}  // namespace buzon::qmgr
