#include "qmgr/dsn_report.h"

#include <cstdio>
#include <cstdlib>

#include "lib/core/strings.h"

namespace buzon::qmgr {
namespace {

// Values from the network go into header fields and text lines: no control
// character may survive (a CR or LF would start a field of its own).
constexpr size_t kFieldMax = 1000;
std::string clean(std::string_view s) { return str::sanitize(s, kFieldMax); }

const char* subject(NoticeKind k) {
  switch (k) {
    case NoticeKind::Failure: return "Undelivered Mail Returned to Sender";
    case NoticeKind::Delay: return "Delayed Mail (still being retried)";
    case NoticeKind::Success: return "Successful Mail Delivery Report";
    case NoticeKind::PostmasterCopy: return "Postmaster Copy: Undelivered Mail";
  }
  return "";
}

const char* original_description(NoticeKind k) {
  switch (k) {
    case NoticeKind::Delay: return "Delayed Message";
    case NoticeKind::Success: return "Delivered Message";
    default: return "Undelivered Message";
  }
}

constexpr const char* kFooter =
    "For further assistance, please send mail to postmaster.\n"
    "\n"
    "If you do so, please include this problem report. You can\n"
    "delete your own text from the attached returned message.\n"
    "\n"
    "                   The mail system\n";

std::string human_text(const ReportInput& in) {
  std::string t;
  if (in.kind == NoticeKind::Delay)
    t += "####################################################################\n"
         "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
         "####################################################################\n\n";
  t += "This is the mail system at host " + clean(in.myhostname) + ".\n\n";
  switch (in.kind) {
    case NoticeKind::Failure:
    case NoticeKind::PostmasterCopy:
      t += "I'm sorry to have to inform you that your message could not\n"
           "be delivered to one or more recipients. It's attached below.\n\n";
      t += kFooter;
      break;
    case NoticeKind::Delay: {
      long hours = static_cast<long>((in.now - in.arrival) / 3600);
      long days = static_cast<long>((in.retry_until - in.arrival + 86399) / 86400);
      t += "Your message could not be delivered for more than " + std::to_string(hours) + " hour(s).\n";
      t += "It will be retried until it is " + std::to_string(days) + " day(s) old.\n\n";
      t += kFooter;
      break;
    }
    case NoticeKind::Success:
      t += "Your message was successfully delivered to the destination(s)\n"
           "listed below. If the message was delivered to mailbox you will\n"
           "receive no further notifications. Otherwise you may still receive\n"
           "notifications of mail delivery errors from other systems.\n\n"
           "                   The mail system\n";
      break;
  }
  for (const auto& r : in.recipients) {
    t += "\n<" + clean(r.address) + ">";
    if (!r.original.empty() && r.original != r.address) t += " (expanded from <" + clean(r.original) + ">)";
    t += ": " + clean(r.diagnostic) + "\n";
  }
  return t;
}

std::string status_part(const ReportInput& in) {
  std::string s;
  s += "Reporting-MTA: dns; " + clean(in.myhostname) + "\n";
  s += "X-" + clean(in.mail_name) + "-Queue-ID: " + clean(in.queue_id) + "\n";
  s += "X-" + clean(in.mail_name) + "-Sender: rfc822; " + clean(in.sender) + "\n";
  if (!in.envid.empty()) s += "Original-Envelope-Id: " + clean(in.envid) + "\n";
  s += "Arrival-Date: " + rfc5322_date(in.arrival) + "\n";
  for (const auto& r : in.recipients) {
    s += "\nFinal-Recipient: rfc822; " + clean(r.address) + "\n";
    if (!r.orcpt.empty()) s += "Original-Recipient: " + clean(r.orcpt) + "\n";
    else if (!r.original.empty() && r.original != r.address)
      s += "Original-Recipient: rfc822;" + clean(r.original) + "\n";
    s += "Action: " + r.action + "\n";
    s += "Status: " + clean(r.status) + "\n";
    if (!r.remote_mta.empty()) s += "Remote-MTA: dns; " + clean(r.remote_mta) + "\n";
    // Local delivery has no SMTP reply to quote: the diagnostic type names
    // this mail system, as Postfix's "X-Postfix" does.
    if (!r.diagnostic.empty())
      s += "Diagnostic-Code: " + std::string(r.remote_mta.empty() ? "X-" + clean(in.mail_name) : "smtp") + "; " +
           clean(r.diagnostic) + "\n";
    if (r.last_attempt != 0) s += "Last-Attempt-Date: " + rfc5322_date(r.last_attempt) + "\n";
    if (in.kind == NoticeKind::Delay && in.retry_until != 0)
      s += "Will-Retry-Until: " + rfc5322_date(in.retry_until) + "\n";
  }
  return s;
}

// RFC 2046 5.1.1: the boundary must not occur in the enclosed parts. The
// queue ID and time make a collision unlikely; the check makes it
// impossible.
std::string pick_boundary(const ReportInput& in, std::string_view body) {
  std::string b = clean(in.notice_id) + "." + std::to_string(static_cast<long long>(in.now)) + "/" +
                  clean(in.myhostname);
  while (body.find(b) != std::string_view::npos) b += ".x";
  return b;
}

}  // namespace

std::string_view header_of(std::string_view message) {
  if (message.empty() || message[0] == '\n') return message.substr(0, message.empty() ? 0 : 1);
  auto end = message.find("\n\n");
  return end == std::string_view::npos ? message : message.substr(0, end + 2);
}

std::string build_report(const ReportInput& in) {
  std::string_view original = in.full ? in.original : header_of(in.original);
  std::string text = human_text(in);
  std::string status = status_part(in);
  std::string boundary = pick_boundary(in, std::string(original) + text + status);

  std::string m;
  m += "From: " + clean(in.from) + " (Mail Delivery System)\n";
  m += "Subject: " + std::string(subject(in.kind)) + "\n";
  m += "To: " + clean(in.to) + "\n";
  m += "Auto-Submitted: auto-replied\n";
  m += "MIME-Version: 1.0\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\n";
  m += "\tboundary=\"" + boundary + "\"\n";
  m += "Content-Transfer-Encoding: 8bit\n";
  m += "Message-Id: <" + clean(in.notice_id) + "@" + clean(in.myhostname) + ">\n";
  m += "Date: " + rfc5322_date(in.now) + "\n";
  m += "\nThis is a MIME-encapsulated message.\n\n";

  m += "--" + boundary + "\n";
  m += "Content-Description: Notification\n";
  m += "Content-Type: text/plain; charset=us-ascii\n\n";
  m += text;
  m += "\n--" + boundary + "\n";
  m += "Content-Description: Delivery report\n";
  m += "Content-Type: message/delivery-status\n\n";
  m += status;
  m += "\n--" + boundary + "\n";
  m += "Content-Description: " + std::string(original_description(in.kind)) + (in.full ? "" : " Headers") + "\n";
  m += in.full ? "Content-Type: message/rfc822\n" : "Content-Type: text/rfc822-headers\n";
  m += "Content-Transfer-Encoding: 8bit\n\n";
  // A returned header ends with its own empty line; the delimiter's
  // leading line break follows it directly.
  if (!in.full && original.size() >= 2 && original.substr(original.size() - 2) == "\n\n")
    original.remove_suffix(1);
  m += original;
  if (!m.empty() && m.back() != '\n') m += "\n";
  m += "\n--" + boundary + "--\n";
  return m;
}

}  // namespace buzon::qmgr
