// SMTP AUTH (RFC 4954) with authd doing the SASL work: the verb, the 334
// continuation exchange, "*" cancel, initial responses ("=" for an empty
// one), and what a successful login changes (relaying, Received:).
#include <algorithm>

#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "lib/password/base64.h"
#include "smtpd/commands.h"
#include "smtpd/session.h"

namespace buzon::smtpd {
namespace {

bool is_plaintext_mech(std::string_view m) { return m == "PLAIN" || m == "LOGIN"; }

bool is_base64(std::string_view s) { return password::base64_decode(s).has_value(); }

}  // namespace

std::vector<std::string> Session::sasl_mechanisms() const {
  const Security& sec = s_.security;
  if (!sec.sasl_enable || peer_.local || !sec.mechanisms) return {};
  if (sec.tls_auth_only && !tls_) return {};
  std::vector<std::string> out;
  const bool noplaintext = tls_ ? sec.noplaintext_tls : sec.noplaintext;
  for (auto& m : sec.mechanisms())
    if (!(noplaintext && is_plaintext_mech(m))) out.push_back(m);
  return out;
}

void Session::cmd_auth(std::string_view arg) {
  const Security& sec = s_.security;
  // smtpd_client_auth_rate_limit: anvil counts every AUTH command, whether
  // or not it is accepted (postconf(5); Postfix's auth_cmd_wrapper), so a
  // client cannot probe without being counted. The command goes on from
  // here in anvil_reply() when within the limit.
  if (rate_check(AnvilWait::Auth, arg)) return;
  if (!sec.sasl_enable || peer_.local) return reply("503 5.5.1 Error: authentication not enabled");
  if (!ehlo_) return reply("503 5.5.1 Error: send EHLO first");
  if (!sasl_user_.empty()) return reply("503 5.5.1 Error: already authenticated");
  if (mail_) return reply("503 5.5.1 Error: MAIL transaction in progress");
  // RFC 4954 section 4 / 6: 538 when the mechanism needs encryption first.
  if (sec.tls_auth_only && !tls_) return reply("538 5.7.11 Encryption required for requested authentication mechanism");
  size_t sp = arg.find_first_of(" \t");
  std::string mech = str::lower(arg.substr(0, sp));
  std::transform(mech.begin(), mech.end(), mech.begin(), [](char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; });
  std::string_view initial = sp == std::string_view::npos ? std::string_view() : str::trim(arg.substr(sp));
  if (mech.empty()) return reply("501 5.5.4 Syntax: AUTH mechanism");
  auto offered = sasl_mechanisms();
  if (std::find(offered.begin(), offered.end(), mech) == offered.end()) {
    if (offered.empty() && sec.mechanisms) return reply("454 4.7.0 Temporary authentication failure");
    return reply("504 5.5.4 Unsupported authentication mechanism");
  }
  attr::Message m;
  m.set("request", "auth").set("mechanism", mech).set("service", "smtp").set("client_address", peer_.addr);
  if (sp != std::string_view::npos) {
    if (initial.size() > sec.sasl_response_limit) return reply("500 5.5.6 Authentication exchange line is too long");
    if (initial == "=") m.set("response", "");  // RFC 4954 section 4: an empty initial response
    else if (!is_base64(initial)) return reply("501 5.5.2 Cannot decode response");
    else m.set("response", initial);
  }
  sasl_mech_ = mech;
  auth_send(std::move(m));
}

void Session::auth_send(attr::Message m) {
  sasl_ = Sasl::WaitAuthd;
  auth_request_ = std::move(m);
}

void Session::auth_line(std::string_view line) {
  attr::Message m;
  if (line == "*") {
    // RFC 4954 section 4: the client cancels; 501 once authd forgot it.
    sasl_abort_ = Abort::Cancelled;
    m.set("request", "cancel");
  } else if (line.size() > s_.security.sasl_response_limit) {
    sasl_abort_ = Abort::TooLong;
    m.set("request", "cancel");
  } else if (sasl_ == Sasl::WaitFinalLine) {
    // After SCRAM's final 334 the client owes an empty line.
    if (!line.empty()) {
      sasl_ = Sasl::Idle;
      reply("535 5.7.8 Error: authentication failed");
      return auth_done(false);
    }
    sasl_ = Sasl::Idle;
    return auth_done(true);
  } else if (!is_base64(line)) {
    sasl_abort_ = Abort::Undecodable;
    m.set("request", "cancel");
  } else {
    m.set("request", "continue").set("response", line);
  }
  auth_send(std::move(m));
}

Output Session::auth_reply(Result<attr::Message> r) {
  if (sasl_ != Sasl::WaitAuthd) return take();
  sasl_ = Sasl::Idle;
  const Abort abort = std::exchange(sasl_abort_, Abort::None);
  if (abort != Abort::None) {
    // authd dropped the exchange (or is gone: it is dropped either way).
    if (abort == Abort::Cancelled) reply("501 5.7.0 Authentication aborted");
    else if (abort == Abort::Undecodable) reply("501 5.5.2 Cannot decode response");
    else reply("500 5.5.6 Authentication exchange line is too long");
    auth_done(false);
  } else if (!r) {
    log::warning(peer_.label() + ": SASL " + sasl_mech_ + " authentication failed: " + r.error().message);
    reply("454 4.7.0 Temporary authentication failure");
    auth_done(false);
  } else {
    auto status = r->get("status");
    if (status == "1") {
      sasl_ = Sasl::WaitLine;
      reply("334 " + std::string(r->get("challenge").value_or("")));
    } else if (status == "0") {
      sasl_user_ = str::sanitize(r->get("user").value_or(""), 256);
      if (auto last = r->get("challenge"); last && !last->empty()) {
        sasl_ = Sasl::WaitFinalLine;  // success data goes out as a last 334
        reply("334 " + std::string(*last));
        return take();
      }
      auth_done(true);
    } else if (status == "4") {
      reply("454 4.7.0 Temporary authentication failure");
      auth_done(false);
    } else {
      // Postfix's text; the reason stays in authd's log.
      log::warning(peer_.label() + ": SASL " + sasl_mech_ + " authentication failed");
      reply("535 5.7.8 Error: authentication failed");
      auth_done(false);
    }
  }
  check_error_limit();
  process();  // whatever the client sent meanwhile
  return take();
}

Result<std::string> Session::strip_auth_param(std::string_view params) const {
  // Also when AUTH is off: Postfix 3.7 accepts and ignores AUTH= then too
  // (RFC 4954 ties it to AUTH; real relays send it regardless).
  std::string out;
  for (const auto& p : str::split(params, " \t")) {
    if (str::istarts_with(p, "AUTH=")) {
      // The original submitter as a relay knew it; like Postfix we accept
      // the parameter and trust only our own login.
      if (p.size() == 5) return Error{"501 5.5.4 Syntax: AUTH=<mailbox> or AUTH=<>"};
      continue;
    }
    out += (out.empty() ? "" : " ") + p;
  }
  return out;
}

void Session::auth_done(bool ok) {
  if (ok) {
    log::info(peer_.label() + ": sasl_method=" + sasl_mech_ + ", sasl_username=" + str::sanitize(sasl_user_));
    reply("235 2.7.0 Authentication successful");
  } else {
    sasl_user_.clear();
  }
  count(find_command("AUTH"), ok);
}

}  // namespace buzon::smtpd
