// STARTTLS (RFC 3207) and what the TLS state changes elsewhere in the
// session: the EHLO keywords and the gate of smtpd_tls_security_level =
// encrypt.
#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "smtpd/session.h"

namespace buzon::smtpd {

void Session::cmd_starttls(std::string_view arg) {
  const Security& sec = s_.security;
  if (!arg.empty()) return reply("501 5.5.4 Syntax: STARTTLS");
  if (tls_) return reply("554 5.5.1 Error: TLS already active");
  if (peer_.local || !sec.tls || sec.tls_level == TlsLevel::None || sec.wrappermode)
    return reply("502 5.5.1 Error: command not implemented");
  // RFC 3207 section 4: a transaction in progress would straddle the
  // plaintext and encrypted parts.
  if (mail_) return reply("503 5.5.1 Error: MAIL transaction in progress");
  // smtpd_client_new_tls_session_rate_limit: anvil is asked (without
  // counting) before the handshake; the answer goes on in anvil_reply().
  if (tls_rate_limited()) return anvil_ask(AnvilWait::StartTls, "lookup", "");
  starttls_go();
}

void Session::starttls_go() {
  reply("220 2.0.0 Ready to start TLS");
  start_tls_ = true;  // process() discards whatever the client pipelined
}

Output Session::tls_started(const tls::Details& details) {
  tls_ = true;
  tls_details_ = details;
  log::info("TLS connection established from " + peer_.label() + ": " + tls::describe(details) +
            (details.resumed ? " (session resumed)" : ""));
  // RFC 3207 section 4.2: forget everything the client said before,
  // including its EHLO; it must greet again.
  reset_transaction();
  helo_.clear();
  ehlo_ = false;
  in_.clear();
  // Postfix counts new sessions only: a resumed one cost no key exchange.
  // anvil_reply() ends the session over the limit, else goes on below.
  if (!details.resumed && tls_rate_limited()) {
    anvil_ask(AnvilWait::NewTls, "newtls", "");
    return take();
  }
  if (wrapper_tls()) connect_checks();
  return take();
}

void Session::ehlo_security(std::vector<std::string>& lines) const {
  const Security& sec = s_.security;
  if (!tls_ && !peer_.local && sec.tls && sec.tls_level != TlsLevel::None && !sec.wrappermode)
    lines.push_back("STARTTLS");
  if (sasl_user_.empty()) {
    auto mechs = sasl_mechanisms();
    if (!mechs.empty()) {
      std::string line = "AUTH";
      for (const auto& m : mechs) line += " " + m;
      lines.push_back(line);
    }
  }
}

std::string_view Session::tls_gate(std::string_view verb) const {
  // smtpd_tls_security_level = encrypt: RFC 3207 section 4, only these
  // commands before the handshake.
  if (tls_ || peer_.local || s_.security.tls_level != TlsLevel::Encrypt || s_.security.wrappermode) return {};
  for (std::string_view ok : {"EHLO", "HELO", "STARTTLS", "NOOP", "QUIT", "RSET", "HELP"})
    if (verb == ok) return {};
  return "530 5.7.0 Must issue a STARTTLS command first";
}

}  // namespace buzon::smtpd
