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

bool Session::rate_check(AnvilWait what, std::string_view arg) {
  if (!limited_ || anvil_passed_) return false;
  unsigned limit = what == AnvilWait::Mail ? s_.limits.message_rate : s_.limits.recipient_rate;
  if (limit == 0) return false;
  anvil_ask(what, what == AnvilWait::Mail ? "message" : "recipient", arg);
  return true;
}

Output Session::anvil_reply(Result<attr::Message> r) {
  const AnvilWait what = std::exchange(anvil_wait_, AnvilWait::None);
  if (what == AnvilWait::None || closed_) return take();
  // Without an answer the client is not limited: mail must not stop
  // because anvil is down (Postfix's smtpd does the same).
  std::optional<unsigned long long> open, rate;
  if (!r) {
    log::warning("problem talking to service private/anvil: " + r.error().message);
  } else if (r->get("status") != "0") {
    log::warning("anvil: request refused: " + std::string(r->get("reason").value_or("no reason")));
  } else {
    open = r->get_uint("count");
    rate = r->get_uint("rate");
  }
  const ClientLimits& l = s_.limits;
  const std::string client = peer_.label();
  auto over = [](const std::optional<unsigned long long>& v, unsigned limit) { return limit > 0 && v && *v > limit; };
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
        if (mail) {
          reply("450 4.7.1 Error: too much mail from " + peer_.addr);
          log::warning("Message delivery request rate limit exceeded: " + std::to_string(*rate) + " from " + client +
                       " for service " + s_.service);
        } else {
          log::warning("Recipient address rate limit exceeded: " + std::to_string(*rate) + " from " + client +
                       " for service " + s_.service);
          reply("450 4.7.1 Error: too many recipients from " + peer_.addr);
        }
        count(index, false);
        break;
      }
      // Within the limit: the command goes on where it stopped.
      anvil_passed_ = true;
      last_code_ = 0;
      if (mail) cmd_mail(anvil_arg_);
      else cmd_rcpt(anvil_arg_);
      anvil_passed_ = false;
      count(index, last_code_ > 0 && last_code_ < 400);
      break;
    }
    case AnvilWait::None:
      break;
  }
  check_error_limit();
  process();  // whatever the client sent meanwhile
  return take();
}

}  // namespace buzon::smtpd
