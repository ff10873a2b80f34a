// The delivery status notification message (RFC 3464, RFC 3462
// multipart/report) that qmgr sends to a sender: a non-delivery report
// after a permanent failure or expiry, a delay warning, a success notice
// for NOTIFY=SUCCESS, and the postmaster copy of a bounce that could not be
// returned (mail from <>). Pure text building: the caller reads the
// original message and writes the result to a new queue file.
//
// Layout (Postfix's): a human-readable text/plain part ("This is the mail
// system at host ..."), a message/delivery-status part with the per-message
// fields (Reporting-MTA, Original-Envelope-Id, Arrival-Date) and one block
// per recipient (Final-Recipient, Original-Recipient, Action, Status,
// Remote-MTA, Diagnostic-Code, Last-Attempt-Date, Will-Retry-Until), then
// the original message: its header as text/rfc822-headers, or the whole of
// it as message/rfc822 when RET=FULL was asked and it fits
// bounce_size_limit.
#pragma once
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/date.h"

namespace buzon::qmgr {

enum class NoticeKind {
  Failure,         // "Undelivered Mail Returned to Sender"
  Delay,           // "Delayed Mail (still being retried)"
  Success,         // "Successful Mail Delivery Report"
  PostmasterCopy,  // a failed message from <>: to 2bounce_notice_recipient
};

struct ReportRecipient {
  std::string address;   // Final-Recipient
  std::string orcpt;     // DSN ORCPT "addr-type;address"; "" when none
  std::string original;  // the O record; used when there is no ORCPT
  std::string action;    // failed | delayed | delivered | relayed | expanded
  std::string status;    // RFC 3463 code, e.g. 5.1.1
  std::string diagnostic;  // the agent's reason text
  std::string remote_mta;  // "" for local delivery
  std::time_t last_attempt = 0;
};

struct ReportInput {
  NoticeKind kind = NoticeKind::Failure;
  std::string myhostname;  // Reporting-MTA and the human text
  std::string mail_name;   // "Buzon": the Diagnostic-Code type is X-<mail_name>
  std::string notice_id;   // queue ID of the report itself (Message-Id)
  std::string from;        // MAILER-DAEMON@myhostname
  std::string to;          // the original sender, or the postmaster
  std::string queue_id;    // of the original message
  std::string sender;      // of the original message; "" = <>
  std::time_t arrival = 0;
  std::time_t now = 0;
  std::time_t retry_until = 0;  // delay notices: arrival + maximal_queue_lifetime
  std::string envid;            // DSN ENVID; "" when none
  std::vector<ReportRecipient> recipients;
  // The original message as stored (LF line endings). When full is false,
  // only its header is attached, whatever the text holds.
  std::string_view original;
  bool full = false;
};

// The complete notification, header and body, with LF line endings (the
// queue file convention). Field values from the network (addresses,
// reasons, ENVID) are stripped of control characters so they cannot add
// header lines of their own.
std::string build_report(const ReportInput& in);

// The header of a message: everything up to and including the empty line
// that ends it (or all of it when there is no body).
std::string_view header_of(std::string_view message);

using buzon::rfc5322_date;  // lib/core/date.h

}  // namespace buzon::qmgr
