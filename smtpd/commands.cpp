// One handler per SMTP verb (RFC 5321 section 4.1.1), Postfix's reply texts.
#include "smtpd/commands.h"

#include <array>

#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "smtpd/checks.h"
#include "smtpd/esmtp_params.h"
#include "smtpd/session.h"

namespace buzon::smtpd {
namespace {

constexpr std::array kCommands = {
    CommandDef{"EHLO", &Session::cmd_ehlo, true},  CommandDef{"HELO", &Session::cmd_helo, true},
    CommandDef{"MAIL", &Session::cmd_mail, true},  CommandDef{"RCPT", &Session::cmd_rcpt, true},
    CommandDef{"DATA", &Session::cmd_data, true},  CommandDef{"RSET", &Session::cmd_rset, true},
    CommandDef{"NOOP", &Session::cmd_noop, true},  CommandDef{"VRFY", &Session::cmd_vrfy, false},
    CommandDef{"HELP", &Session::cmd_help, true},  CommandDef{"QUIT", &Session::cmd_quit, true},
    CommandDef{"BDAT", &Session::cmd_bdat, true},
    CommandDef{"STARTTLS", &Session::cmd_starttls, false}, CommandDef{"AUTH", &Session::cmd_auth, false},
};

// RFC 6531 section 3.4, Postfix's text.
constexpr std::string_view kNeedSmtputf8 = "553 5.6.7 Must declare SMTPUTF8 to send unicode address";

// The HELO/EHLO argument goes into the Received: header and the log: keep
// printable ASCII only, and no more than a domain name's worth.
std::string printable_helo(std::string_view arg) {
  arg = str::trim(arg);
  std::string out;
  for (char c : arg.substr(0, address::kDomainMax)) out += (c > 32 && c < 127) ? c : '?';
  return out;
}

}  // namespace

std::span<const CommandDef> command_table() { return kCommands; }

size_t find_command(std::string_view verb) {
  for (size_t i = 0; i < kCommands.size(); ++i)
    if (str::iequals(kCommands[i].name, verb)) return i;
  return kCommands.size();
}

void Session::cmd_helo(std::string_view arg) {
  std::string helo = printable_helo(arg);
  // Postfix's words, without an enhanced code: the client has not yet
  // said EHLO, so it cannot know about them.
  if (helo.empty()) return reply("501 Syntax: HELO hostname");
  if (std::string refusal = policy_helo(helo); !refusal.empty()) return reply(refusal);
  if (dns_wait_) return;
  reset_transaction();  // RFC 5321 4.1.4: HELO/EHLO in a transaction is an implicit RSET
  helo_ = std::move(helo);
  ehlo_ = false;
  reply("250 " + s_.hostname);
}

void Session::cmd_ehlo(std::string_view arg) {
  std::string helo = printable_helo(arg);
  if (helo.empty()) return reply("501 Syntax: EHLO hostname");
  if (std::string refusal = policy_helo(helo); !refusal.empty()) return reply(refusal);
  if (dns_wait_) return;
  reset_transaction();
  helo_ = std::move(helo);
  ehlo_ = true;
  // RFC 2034: no enhanced codes in the EHLO response itself.
  std::vector<std::string> lines = {s_.hostname, "PIPELINING"};
  lines.push_back(s_.message_size_limit ? "SIZE " + std::to_string(s_.message_size_limit) : "SIZE");
  if (!s_.disable_vrfy) lines.push_back("VRFY");
  ehlo_security(lines);  // STARTTLS, AUTH (tls_cmd.cpp, auth_cmd.cpp)
  lines.push_back("ENHANCEDSTATUSCODES");
  lines.push_back("8BITMIME");
  lines.push_back("DSN");
  if (s_.smtputf8) lines.push_back("SMTPUTF8");
  lines.push_back("CHUNKING");
  for (size_t i = 0; i < lines.size(); ++i) reply((i + 1 < lines.size() ? "250-" : "250 ") + lines[i]);
}

void Session::cmd_mail(std::string_view arg) {
  // Postfix's order: inside a transaction (BDAT or not) MAIL is nested;
  // after a BDAT refused outside one it waits for RSET or LAST.
  if (mail_) return reply("503 5.5.1 Error: nested MAIL command");
  if (chunking_ || !chunk_failure_.empty()) return reply("503 5.5.1 Error: MAIL after BDAT");
  if (s_.policy->helo_required && helo_.empty() && !peer_.local) return reply("503 5.5.1 Error: send HELO/EHLO first");
  // Postfix: no address at all is a syntax error, a bad one is 5.1.7.
  if (!str::istarts_with(arg, "FROM:") || str::trim(arg.substr(5)).empty())
    return reply("501 5.5.4 Syntax: MAIL FROM:<address>");
  // Postfix checks the message rate here, before the address.
  if (rate_check(AnvilWait::Mail, arg)) return;
  address::PathOptions opts;
  opts.allow_null = true;
  opts.allow_unqualified = peer_.local;
  opts.allow_utf8 = s_.smtputf8;
  opts.allow_routed_at = true;
  auto path = address::parse_path(arg.substr(5), opts);
  if (!path) {
    log::info("NOQUEUE: warning: illegal address syntax (" + path.error().message + ") from " + peer_.label() +
              " in MAIL command: " + std::string(arg.substr(5)));
    return reply("501 5.1.7 Bad sender address syntax");
  }
  address::Address sender = path->address;
  // Local submission: sendmail -f names the sender, possibly as a bare
  // login; complete it as Postfix's append_at_myorigin does.
  if (!sender.is_null && sender.domain.empty()) sender.domain = s_.myorigin;

  // RFC 4954 section 5: AUTH= (auth_cmd.cpp) is taken out before the
  // other parameters are parsed.
  auto other_params = strip_auth_param(path->params);
  if (!other_params) return reply(other_params.error().message);
  auto params = parse_mail_params(*other_params, s_.smtputf8);
  if (!params.ok()) return reply(params.error);
  if (!sender.is_ascii() && !params.value.smtputf8) return reply(kNeedSmtputf8);
  // RFC 1870: the client's estimate; refuse early what cannot fit.
  if (params.value.size && s_.message_size_limit && *params.value.size > s_.message_size_limit)
    return reply("552 5.3.4 Message size exceeds fixed limit");
  if (std::string refusal = policy_mail(sender); !refusal.empty()) return reply(refusal);
  if (dns_wait_) return;
  // The RCPT restrictions will want the sender's domain: ask now.
  if (!peer_.local && s_.policy->needs(Restriction::RejectUnknownSenderDomain) && !sender.is_null)
    dns_prefetch(sender.domain);
  mail_.emplace();
  mail_->sender = std::move(sender);
  mail_->params = std::move(params.value);
  reply("250 2.1.0 Ok");
}

void Session::write_sender_records() {
  queue::Writer& w = *mail_->writer;
  Status st = w.sender(mail_->sender.text());
  auto attr = [&](std::string_view k, std::string_view v) {
    if (st) st = w.attr(k, v);
  };
  if (peer_.local) {
    attr("uid", std::to_string(peer_.uid));
    attr("login", peer_.login);
  } else {
    attr("client_name", peer_.name);
    attr("client_addr", peer_.addr);
  }
  if (!helo_.empty()) attr("helo", helo_);
  attr("protocol", protocol());
  // RFC 3461: the bounce code reads these back (doc/queue-file.md).
  if (mail_->params.envid) attr("dsn_envid", *mail_->params.envid);
  if (!mail_->params.ret.empty()) attr("dsn_ret", mail_->params.ret);
  if (mail_->params.smtputf8) attr("smtputf8", "yes");
  if (!st) {
    queue_error(st.error());
    mail_->writer.reset();
  }
}

void Session::cmd_rcpt(std::string_view arg) {
  if (!mail_) return reply("503 5.5.1 Error: need MAIL command");  // first, as Postfix
  if (chunking_ || !chunk_failure_.empty()) return reply("503 5.5.1 Error: RCPT after BDAT");
  if (!str::istarts_with(arg, "TO:") || str::trim(arg.substr(3)).empty())
    return reply("501 5.5.4 Syntax: RCPT TO:<address>");
  if (rate_check(AnvilWait::Rcpt, arg)) return;
  if (mail_->accepted >= s_.recipient_limit) return reply("452 4.5.3 Error: too many recipients", false);
  address::PathOptions opts;
  opts.allow_unqualified = true;  // completed with @myorigin, as Postfix does
  opts.allow_utf8 = s_.smtputf8;
  opts.allow_routed_at = true;    // user@other@ours: refused as relaying unless trusted
  auto path = address::parse_path(arg.substr(3), opts);
  if (!path) {
    log::info(queue_id_or_noqueue() + ": warning: illegal address syntax (" + path.error().message + ") from " +
              peer_.label() + " in RCPT command: " + std::string(arg.substr(3)));
    return reply("501 5.1.3 Bad recipient address syntax");
  }
  auto params = parse_rcpt_params(path->params);
  if (!params.ok()) return reply(params.error);
  if (!path->address.is_ascii() && !mail_->params.smtputf8) return reply(kNeedSmtputf8);

  const address::Address& rcpt = path->address;
  RcptLookup v = lookup_recipient(s_, rcpt);
  if (!v.temp_error.empty()) {
    log::warning(v.temp_error);
    std::string refusal = "451 4.3.0 <" + shown_address(rcpt) + ">: Temporary lookup failure";
    log_reject("RCPT", refusal, shown_address(rcpt));
    return reply(refusal);
  }
  if (std::string refusal = policy_rcpt(rcpt, v.route, v.known); !refusal.empty()) return reply(refusal);
  if (dns_wait_) return;
  // Local submission is not subject to the restriction lists, but an
  // unknown local user is still refused now rather than bounced later.
  if (peer_.local && !v.known) {
    std::string refusal = unknown_user_reply(s_, rcpt, v.route.cls);
    log_reject("RCPT", refusal, shown_address(rcpt));
    return reply(refusal);
  }

  if (!mail_->writer) {
    auto w = queue::Writer::create(s_.queue_dir);
    if (!w) {
      queue_error(w.error());
      return reply("451 4.3.0 Error: queue file write error");
    }
    mail_->writer.emplace(std::move(*w));
    if (peer_.local)
      log::info(mail_->writer->id(), {{"client", peer_.label()}, {"login", peer_.login}});
    else if (!sasl_user_.empty())  // Postfix's shape for authenticated clients
      log::info(mail_->writer->id(), {{"client", peer_.label()}, {"sasl_method", sasl_mech_}, {"sasl_username", sasl_user_}});
    else
      log::info(mail_->writer->id(), {{"client", peer_.label()}});
    write_sender_records();
    if (!mail_->writer) return reply("451 4.3.0 Error: queue file write error");
  }
  // The same recipient twice in one transaction is delivered once (Postfix
  // does this in cleanup); the client still gets its 250.
  if (mail_->seen.insert(v.deliver_to).second) {
    mail_->to_write.push_back({v.deliver_to, v.original, {params.value.notify, params.value.orcpt}});
    mail_->recipients.push_back(v.original.empty() ? v.deliver_to : v.original);
  }
  ++mail_->accepted;
  reply("250 2.1.5 Ok");
}

void Session::cmd_data(std::string_view arg) {
  if (chunking_ || !chunk_failure_.empty()) return reply("503 5.5.1 Error: DATA after BDAT");
  if (!arg.empty()) return reply("501 5.5.4 Syntax: DATA");
  if (!mail_) return reply("503 5.5.1 Error: need RCPT command");
  if (mail_->recipients.empty()) return reply("554 5.5.1 Error: no valid recipients");
  if (std::string refusal = policy_data(); !refusal.empty()) return reply(refusal);
  if (dns_wait_) return;
  if (!start_content()) {
    reset_transaction();
    return reply("451 4.3.0 Error: queue file write error");
  }
  reply("354 End data with <CR><LF>.<CR><LF>");
}

void Session::cmd_rset(std::string_view arg) {
  junk_command();
  if (!arg.empty()) return reply("501 5.5.4 Syntax: RSET");
  reset_transaction();
  reply("250 2.0.0 Ok");
}

void Session::cmd_noop(std::string_view) {  // RFC 5321: NOOP may have a string
  junk_command();
  reply("250 2.0.0 Ok");
}

void Session::cmd_quit(std::string_view) {  // like Postfix, an argument changes nothing
  quit_ = true;
  close_with("221 2.0.0 Bye");
}

void Session::cmd_help(std::string_view) {
  std::string line = "214 2.0.0 Commands:";
  for (const auto& c : kCommands)
    if (c.in_help || (c.handler == &Session::cmd_vrfy && !s_.disable_vrfy)) line += " " + std::string(c.name);
  reply(line);
}

void Session::cmd_vrfy(std::string_view arg) {
  junk_command();
  // Harvesting addresses one VRFY at a time is why it is off by default.
  if (s_.disable_vrfy) return reply("502 5.5.1 VRFY command is disabled");
  if (str::trim(arg).empty()) return reply("501 5.5.4 Syntax: VRFY address [SMTPUTF8]");
  address::PathOptions opts;
  opts.allow_unqualified = true;
  auto path = address::parse_path(arg, opts);
  if (!path || !path->params.empty()) return reply("501 5.1.3 Bad recipient address syntax");
  // Replies name the address as the client wrote it ("<nobody>"), as
  // Postfix's do; the lookup completes a bare user name with our name.
  const address::Address& typed = path->address;
  address::Address a = typed;
  if (a.domain.empty()) a.domain = s_.hostname;  // "VRFY alice": a local user name
  RcptLookup v = lookup_recipient(s_, a);
  if (!v.temp_error.empty()) {
    log::warning(v.temp_error);
    return reply("451 4.3.0 <" + shown_address(typed) + ">: Temporary lookup failure");
  }
  if (v.route.cls != AddressClass::Local && v.route.cls != AddressClass::VirtualAlias &&
      v.route.cls != AddressClass::VirtualMailbox && !in_mynetworks_)
    return reply(std::to_string(s_.policy->params.relay_code) + " 5.7.1 <" + shown_address(typed) +
                 ">: Relay access denied");
  if (!v.known) return reply(unknown_user_reply(s_, typed, v.route.cls));
  // 252: the address is plausible; whether delivery succeeds is decided
  // later (aliases, .forward), which is what RFC 5321 3.5.3 allows. The
  // argument comes back as it was given, as in Postfix.
  reply("252 2.0.0 " + str::sanitize(str::trim(arg), s_.line_limit));
}

}  // namespace buzon::smtpd
