// The Session's hooks into the restriction lists (policy.h): what the
// session knows becomes Facts, a Verdict becomes a reply and log lines.
#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "smtpd/session.h"

namespace buzon::smtpd {

// Postfix mail_addr_find's "local" test for smtpd_sender_login_maps: the
// domain is $myorigin or one that resolves locally.
bool Session::sender_is_local(const address::Address& a) const {
  if (a.domain.empty()) return true;
  const Policy& p = *s_.policy;
  return p.is_local_domain(a.domain) || str::iequals(a.domain, p.rules.myorigin);
}

Facts Session::policy_facts(std::string_view command) const {
  Facts f;
  f.client_name = peer_.name;
  f.client_addr = peer_.addr;
  f.client_ip = client_ip_;
  f.client_name_status = peer_.name_status;
  f.client_reverse_name_status = peer_.reverse_name_status;
  f.in_mynetworks = in_mynetworks_;
  f.sasl_authenticated = !sasl_user_.empty();
  f.sasl_username = sasl_user_;
  f.helo = helo_.empty() ? nullptr : &helo_;
  f.esmtp = ehlo_;
  f.pipelined = pipelined_;
  f.sender = mail_ ? &mail_->sender : nullptr;
  if (f.sender) f.sender_local = sender_is_local(*f.sender);
  f.command = command;
  return f;
}

void Session::log_verdict(std::string_view stage, const Verdict& v, std::string_view rcpt) {
  for (const auto& [kind, text] : v.notes) {
    if (kind == "warning") {
      log::warning(text);
      continue;
    }
    // A message action without a message is logged by apply_action().
    bool message_action = kind != "warn" && kind != "reject_warning";
    if (message_action && !mail_) continue;
    log_reject(stage, text, rcpt, kind);
  }
  for (const auto& [kind, value] : v.actions) apply_action(kind, value);
  if (v.kind == Verdict::Reject) log_reject(stage, v.reply, rcpt);
}

std::string Session::policy_connect() {
  const Policy& p = *s_.policy;
  if (peer_.local || p.delay_reject) return "";
  Verdict v = check_client(p, policy_facts("CONNECT"));
  log_verdict("CONNECT", v);
  if (v.kind == Verdict::Reject) access_denied_ = v.reply;
  return access_denied_;
}

std::string Session::policy_helo(const std::string& helo) {
  const Policy& p = *s_.policy;
  if (peer_.local || p.delay_reject) return "";
  Facts f = policy_facts("HELO");
  f.helo = &helo;
  if (!dns_facts(f)) return "";
  Verdict v = check_helo(p, f);
  log_verdict("HELO", v);
  return v.kind == Verdict::Reject ? v.reply : "";
}

std::string Session::policy_mail(const address::Address& sender) {
  const Policy& p = *s_.policy;
  if (peer_.local) return "";
  if (p.helo_required && helo_.empty()) return "503 5.5.1 Error: send HELO/EHLO first";
  if (p.delay_reject) return "";
  Facts f = policy_facts("MAIL");
  f.sender = &sender;
  f.sender_local = sender_is_local(sender);
  if (!dns_facts(f)) return "";
  Verdict v = check_sender(p, f);
  log_verdict("MAIL", v);
  return v.kind == Verdict::Reject ? v.reply : "";
}

std::string Session::policy_rcpt(const address::Address& rcpt, const Resolved& route, bool known) {
  if (peer_.local) return "";
  Facts f = policy_facts("RCPT");
  f.recipient = &rcpt;
  f.route = &route;
  f.recipient_known = known;
  if (!dns_facts(f)) return "";
  Verdict v = check_rcpt(*s_.policy, f);
  log_verdict("RCPT", v, shown_address(rcpt));
  return v.kind == Verdict::Reject ? v.reply : "";
}

std::string Session::policy_data() {
  if (peer_.local) return "";
  Facts f = policy_facts("DATA");
  if (!dns_facts(f)) return "";
  Verdict v = check_data(*s_.policy, f);
  log_verdict("DATA", v);
  return v.kind == Verdict::Reject ? v.reply : "";
}

}  // namespace buzon::smtpd
