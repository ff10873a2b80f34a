// The access(5) actions that change the message rather than answer the
// command (FILTER, REDIRECT, BCC, PREPEND, HOLD, DISCARD): the Session
// keeps them with the transaction and carries them out when the content
// starts, as Postfix's smtpd and cleanup do.
#include "lib/log/log.h"
#include "smtpd/session.h"

namespace buzon::smtpd {
namespace {

// BCC and PREPEND actions kept per message; more are logged and dropped,
// so that one action per RCPT cannot grow a message without bound.
constexpr size_t kActionsMax = 100;

std::string upper(std::string_view kind) {
  std::string s(kind);
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return s;
}

}  // namespace

void Session::apply_action(std::string_view kind, const std::string& value) {
  if (!mail_) {
    // Before MAIL FROM (smtpd_delay_reject = no) there is no message to
    // act on; Postfix says so too.
    log::warning("access table action " + upper(kind) + " is unavailable before MAIL FROM" +
                 (value.empty() ? std::string() : ": " + value));
    return;
  }
  Transaction& t = *mail_;
  if (kind == "hold") t.disposition = std::max(t.disposition, Transaction::Disposition::Hold);
  else if (kind == "discard") t.disposition = Transaction::Disposition::Discard;  // DISCARD wins
  else if (kind == "filter") t.filter = value;
  else if (kind == "redirect") t.redirect = value;
  else if (kind == "bcc" || kind == "prepend") {
    auto& list = kind == "bcc" ? t.bcc : t.prepend;
    if (list.size() >= kActionsMax) {
      log::warning(queue_id_or_noqueue() + ": more than " + std::to_string(kActionsMax) + " " + upper(kind) +
                   " actions for one message; ignoring " + value);
      return;
    }
    list.push_back(value);
  }
}

Status Session::write_recipient_records() {
  Transaction& t = *mail_;
  queue::Writer& w = *t.writer;
  // FILTER overrides content_filter (access(5)); qmgr routes every
  // recipient to it.
  const std::string& filter = t.filter.empty() ? s_.content_filter : t.filter;
  if (!filter.empty())
    if (auto st = w.attr("content_filter", filter); !st) return st;
  // REDIRECT: every recipient becomes the target, the original kept for
  // the logs and notices (Postfix's orig_to=). One record per original, as
  // Postfix's cleanup writes them.
  std::set<std::string> written, addresses;
  for (const auto& r : t.to_write) {
    std::string address = t.redirect.empty() ? r.address : t.redirect;
    std::string original = t.redirect.empty() ? r.original : r.original.empty() ? r.address : r.original;
    if (!written.insert(address + '\n' + original).second) continue;
    addresses.insert(address);
    if (auto st = w.recipient(address, original, r.dsn); !st) return st;
  }
  // BCC: a copy nobody asked a notice for (NOTIFY=NEVER, as Postfix),
  // unless the address already gets the message.
  for (const auto& b : t.bcc) {
    if (!addresses.insert(b).second) continue;
    queue::RecipientDsn never;
    never.notify = queue::kNotifyNever;
    if (auto st = w.recipient(b, {}, never); !st) return st;
  }
  return {};
}

Status Session::write_prepended_headers() {
  // Above our own Received: header, in the order found (Postfix's smtpd).
  for (const auto& h : mail_->prepend)
    if (auto st = mail_->writer->append(h + "\n"); !st) return st;
  return {};
}

}  // namespace buzon::smtpd
