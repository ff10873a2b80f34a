// The Session's side of the client limits (client_limits.h): what it asks
// anvil, and Postfix's replies and warnings when a limit is exceeded.
#include "lib/log/log.h"
#include "smtpd/commands.h"
#include "smtpd/session.h"

namespace buzon::smtpd {

void Session::anvil_ask(AnvilWait what, std::string_view request, std::string_view arg) {
  // Postfix's ident: the master.cf service name and the client address.
  std::string ident = s_.service + ":" + peer_.addr;
  if (what == AnvilWait::Connect) anvil_ident_ = ident;
  anvil_wait_ = what;
  anvil_arg_ = std::string(arg);
  attr::Message m;
  m.set("request", request).set("ident", ident);
  anvil_request_ = std::move(m);
}

void Session::connect_checks() {
  if (limited_) return anvil_ask(AnvilWait::Connect, "connect", "");
  greet();
}

bool Session::rate_check(AnvilWait what, std::string_view arg) {
  if (!limited_ || anvil_passed_) return false;
  const ClientLimits& l = s_.limits;
  const bool mail = what == AnvilWait::Mail, rcpt = what == AnvilWait::Rcpt;
  unsigned limit = mail ? l.message_rate : rcpt ? l.recipient_rate : l.auth_rate;
  if (limit == 0) return false;
  anvil_ask(what, mail ? "message" : rcpt ? "recipient" : "auth", arg);
  return true;
}

std::optional<Session::AnvilNote> Session::tls_failed() const {
  if (!tls_rate_limited()) return std::nullopt;
  AnvilNote n;
  n.request.set("request", "newtls").set("ident", s_.service + ":" + peer_.addr);
  n.done = [limit = s_.limits.new_tls_rate, client = peer_.label(), service = s_.service](Result<attr::Message> r) {
    if (!r || r->get("status") != "0") return;  // no limit without an answer
    auto rate = r->get_uint("rate");
    if (rate && *rate > limit)
      log::warning("New TLS session rate limit exceeded: " + std::to_string(*rate) + " from " + client +
                   " for service " + service);
  };
  return n;
}

Output Session::anvil_reply(Result<attr::Message> r) {
  const AnvilWait what = std::exchange(anvil_wait_, AnvilWait::None);
  if (what == AnvilWait::None || closed_) return take();
  // Without an answer the client is not limited: mail must not stop
  // because anvil is down (Postfix's smtpd does the same).
  std::optional<unsigned long long> open, rate, newtls;
  if (!r) {
    log::warning("problem talking to service private/anvil: " + r.error().message);
  } else if (r->get("status") != "0") {
    log::warning("anvil: request refused: " + std::string(r->get("reason").value_or("no reason")));
  } else {
    open = r->get_uint("count");
    rate = r->get_uint("rate");
    newtls = r->get_uint("newtls");  // "lookup" only
  }
  const ClientLimits& l = s_.limits;
  const std::string client = peer_.label();
  auto over = [](const std::optional<unsigned long long>& v, unsigned limit) { return limit > 0 && v && *v > limit; };
  // A command over its rate limit: Postfix's warning, a 450, a failed count.
  auto refuse = [&](const std::string& limit_name, size_t index, const std::string& reply_text) {
    log::warning(limit_name + " rate limit exceeded: " + std::to_string(*rate) + " from " + client + " for service " +
                 s_.service);
    reply(reply_text);
    count(index, false);
  };
  // A command within its limit goes on where it stopped.
  auto rerun = [&](void (Session::*command)(std::string_view)) {
    anvil_passed_ = true;
    last_code_ = 0;
    (this->*command)(anvil_arg_);
    anvil_passed_ = false;
  };
  switch (what) {
    case AnvilWait::Connect:
      if (over(open, l.connection_count)) {
        log::warning("Connection concurrency limit exceeded: " + std::to_string(*open) + " from " + client +
                     " for service " + s_.service);
        close_with("421 4.7.0 " + s_.hostname + " Error: too many connections from " + peer_.addr);
      } else if (over(rate, l.connection_rate)) {
        log::warning("Connection rate limit exceeded: " + std::to_string(*rate) + " from " + client + " for service " +
                     s_.service);
        close_with("421 4.7.0 " + s_.hostname + " Error: too many connections from " + peer_.addr);
      } else {
        greet();
      }
      break;
    case AnvilWait::Mail:
    case AnvilWait::Rcpt: {
      const bool mail = what == AnvilWait::Mail;
      const size_t index = find_command(mail ? "MAIL" : "RCPT");
      if (over(rate, mail ? l.message_rate : l.recipient_rate)) {
        if (mail) refuse("Message delivery request", index, "450 4.7.1 Error: too much mail from " + peer_.addr);
        else refuse("Recipient address", index, "450 4.7.1 Error: too many recipients from " + peer_.addr);
        break;
      }
      rerun(mail ? &Session::cmd_mail : &Session::cmd_rcpt);
      count(index, last_code_ > 0 && last_code_ < 400);
      break;
    }
    case AnvilWait::Auth: {
      const size_t index = find_command("AUTH");
      if (over(rate, l.auth_rate)) {
        refuse("AUTH command", index, "450 4.7.1 Error: too many AUTH commands from " + peer_.addr);
        break;
      }
      rerun(&Session::cmd_auth);
      // An exchange that started is counted when it ends (auth_done()).
      if (sasl_ == Sasl::Idle) count(index, last_code_ > 0 && last_code_ < 400);
      break;
    }
    case AnvilWait::StartTls:
      // Postfix asks anvil's newtls_stat (no counting) and refuses above
      // the limit; the session goes on in plaintext.
      if (over(newtls, l.new_tls_rate)) {
        log::warning("Refusing STARTTLS request from " + client + " for service " + s_.service);
        reply("454 4.7.0 Error: too many new TLS sessions from " + client);
        count(find_command("STARTTLS"), false);
        break;
      }
      starttls_go();
      count(find_command("STARTTLS"), true);
      break;
    case AnvilWait::TlsWrapper:
      // Wrapper mode: no handshake, and so no way to say why.
      if (over(newtls, l.new_tls_rate)) {
        log::warning("Refusing TLS service request from " + client + " for service " + s_.service);
        closed_ = true;
        break;
      }
      start_tls_ = true;
      break;
    case AnvilWait::NewTls:
      // Too late to save the handshake's CPU (Postfix says as much): the
      // refusal that protects is the one before the next handshake.
      if (over(rate, l.new_tls_rate)) {
        log::warning("New TLS session rate limit exceeded: " + std::to_string(*rate) + " from " + client +
                     " for service " + s_.service);
        close_with("421 4.7.0 " + s_.hostname + " Error: too many new TLS sessions from " + client);
        break;
      }
      if (wrapper_tls()) connect_checks();
      break;
    case AnvilWait::None:
      break;
  }
  check_error_limit();
  process();  // whatever the client sent meanwhile
  return take();
}

}  // namespace buzon::smtpd
