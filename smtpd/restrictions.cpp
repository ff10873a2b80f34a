// Postfix's smtpd_check.c restrictions, one function per restriction.
#include "smtpd/restrictions.h"

#include <array>

#include "lib/core/strings.h"
#include "smtpd/sender_login.h"

namespace buzon::smtpd {
namespace {

struct NameDef {
  std::string_view name;
  Restriction what;
};

// Postfix's names, with the pre-2.3 aliases that old main.cf files use.
constexpr std::array kNames = {
    NameDef{"permit", Restriction::Permit},
    NameDef{"reject", Restriction::Reject},
    NameDef{"defer", Restriction::Defer},
    NameDef{"warn_if_reject", Restriction::WarnIfReject},
    NameDef{"permit_mynetworks", Restriction::PermitMynetworks},
    NameDef{"permit_sasl_authenticated", Restriction::PermitSaslAuthenticated},
    NameDef{"permit_auth_destination", Restriction::PermitAuthDestination},
    NameDef{"reject_unauth_destination", Restriction::RejectUnauthDestination},
    NameDef{"defer_unauth_destination", Restriction::DeferUnauthDestination},
    NameDef{"reject_unauth_pipelining", Restriction::RejectUnauthPipelining},
    NameDef{"reject_non_fqdn_helo_hostname", Restriction::RejectNonFqdnHeloHostname},
    NameDef{"reject_non_fqdn_hostname", Restriction::RejectNonFqdnHeloHostname},
    NameDef{"reject_invalid_helo_hostname", Restriction::RejectInvalidHeloHostname},
    NameDef{"reject_invalid_hostname", Restriction::RejectInvalidHeloHostname},
    NameDef{"reject_non_fqdn_sender", Restriction::RejectNonFqdnSender},
    NameDef{"reject_non_fqdn_recipient", Restriction::RejectNonFqdnRecipient},
    NameDef{"reject_unlisted_recipient", Restriction::RejectUnlistedRecipient},
    NameDef{"check_recipient_maps", Restriction::RejectUnlistedRecipient},
    NameDef{"reject_unknown_sender_domain", Restriction::RejectUnknownSenderDomain},
    NameDef{"reject_unknown_recipient_domain", Restriction::RejectUnknownRecipientDomain},
    NameDef{"reject_unknown_client_hostname", Restriction::RejectUnknownClientHostname},
    NameDef{"reject_unknown_client", Restriction::RejectUnknownClientHostname},
    NameDef{"reject_unknown_reverse_client_hostname", Restriction::RejectUnknownReverseClientHostname},
    NameDef{"reject_unknown_helo_hostname", Restriction::RejectUnknownHeloHostname},
    NameDef{"reject_unknown_hostname", Restriction::RejectUnknownHeloHostname},
    NameDef{"check_client_access", Restriction::CheckClientAccess},
    NameDef{"check_helo_access", Restriction::CheckHeloAccess},
    NameDef{"check_sender_access", Restriction::CheckSenderAccess},
    NameDef{"check_recipient_access", Restriction::CheckRecipientAccess},
    NameDef{"reject_sender_login_mismatch", Restriction::RejectSenderLoginMismatch},
    NameDef{"reject_authenticated_sender_login_mismatch", Restriction::RejectAuthenticatedSenderLoginMismatch},
    NameDef{"reject_known_sender_login_mismatch", Restriction::RejectKnownSenderLoginMismatch},
    NameDef{"reject_unauthenticated_sender_login_mismatch", Restriction::RejectUnauthenticatedSenderLoginMismatch},
};

bool takes_table(Restriction r) {
  return r == Restriction::CheckClientAccess || r == Restriction::CheckHeloAccess ||
         r == Restriction::CheckSenderAccess || r == Restriction::CheckRecipientAccess;
}

Restriction lookup_name(std::string_view name) {
  for (const auto& d : kNames)
    if (d.name == name) return d.what;
  return Restriction::Unknown;
}

// ---- replies

// RFC 3463: the class digit of the enhanced code follows the reply code
// (Postfix fixes it the same way when an administrator mixes them).
std::string reply_line(int code, std::string dsn, std::string_view text) {
  std::string c = std::to_string(code);
  if (!dsn.empty() && (c[0] == '4' || c[0] == '5')) dsn[0] = c[0];
  return c + " " + dsn + " " + std::string(text);
}

std::string client_label(const Facts& f) { return f.client_name + "[" + f.client_addr + "]"; }

std::string sender_label(const Facts& f) {
  if (!f.sender) return "";
  return shown_address(*f.sender);
}

// "<name>: Class rejected: " for the thing a check is about.
struct Subject {
  std::string name;
  std::string_view cls;
};

Subject subject_of(Stage s, const Facts& f) {
  switch (s) {
    case Stage::Client: return {client_label(f), "Client host"};
    case Stage::Helo: return {f.helo ? *f.helo : std::string(), "Helo command"};
    case Stage::Sender: return {sender_label(f), "Sender address"};
    case Stage::Recipient: return {f.recipient ? shown_address(*f.recipient) : std::string(), "Recipient address"};
    case Stage::Data: return {std::string(f.command), "Data command"};
  }
  return {};
}

std::string rejected(const Subject& s, std::string_view text) {
  return "<" + s.name + ">: " + std::string(s.cls) + " rejected: " + std::string(text);
}

Verdict reject_with(std::string line) {
  Verdict v;
  v.kind = Verdict::Reject;
  v.reply = std::move(line);
  return v;
}

Verdict permit() {
  Verdict v;
  v.kind = Verdict::Permit;
  return v;
}

Verdict config_error(std::string warning) {
  Verdict v = reject_with("451 4.3.5 Server configuration error");
  v.notes.push_back({"warning", std::move(warning)});
  return v;
}

// "Name: text" as PREPEND needs it: a field name of printable ASCII
// without ':' (RFC 5322 section 2.2), a colon, no control characters, and
// short enough to be one header line.
bool is_header_line(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos || s.size() > kHeaderLineMax) return false;
  for (size_t i = 0; i < colon; ++i)
    if (s[i] <= ' ' || s[i] > '~') return false;
  for (char c : s)
    if ((static_cast<unsigned char>(c) < ' ' && c != '\t') || c == 0x7f) return false;
  return true;
}

// A FILTER value: one word of printable ASCII (it goes into the queue
// file and the logs).
bool printable_word(std::string_view s) {
  if (s.empty() || s.size() > kFilterMax) return false;
  for (char c : s)
    if (c <= ' ' || c > '~') return false;
  return true;
}

// ---- host names

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

bool let_dig(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Postfix valid_hostname(): labels of letters, digits, '-' and '_' (no
// '-' at either end), at most 63 bytes each and 255 in all, no empty
// label, and not all-numeric (that would be an address).
bool valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  if (name.back() == '.') name.remove_suffix(1);
  bool non_numeric = false;
  size_t label = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      std::string_view l = name.substr(label, i - label);
      if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
      label = i + 1;
      continue;
    }
    char c = name[i];
    if (!let_dig(c) && c != '-' && c != '_') return false;
    if (!(c >= '0' && c <= '9')) non_numeric = true;
  }
  return non_numeric;
}

// ---- access tables

std::vector<std::string> domain_keys(std::string_view domain, bool parent_style) {
  std::vector<std::string> keys;
  std::string d = str::lower(domain);
  while (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty()) return keys;
  keys.push_back(d);
  for (size_t dot = d.find('.'); dot != std::string::npos; dot = d.find('.', dot + 1))
    keys.push_back(parent_style ? d.substr(dot + 1) : d.substr(dot));
  return keys;
}

// Full address, then shorter prefixes: 192.0.2.1, 192.0.2, 192.0, 192;
// 2001:db8::1, 2001:db8:, ... as Postfix's check_addr_access.
std::vector<std::string> address_keys(std::string_view addr) {
  std::vector<std::string> keys;
  std::string a = str::lower(addr);
  const char sep = a.find(':') != std::string::npos ? ':' : '.';
  while (!a.empty()) {
    keys.push_back(a);
    size_t cut = a.rfind(sep);
    if (cut == std::string::npos) break;
    a.erase(cut);
    while (!a.empty() && a.back() == sep) a.pop_back();
  }
  return keys;
}

std::vector<std::string> mail_keys(const address::Address& a, const RestrictionParams& p) {
  std::vector<std::string> keys;
  std::string local = str::lower(a.local);
  std::string bare = std::string(address::strip_extension(local, p.recipient_delimiter));
  std::string domain = str::lower(a.domain);
  if (!domain.empty()) {
    keys.push_back(local + "@" + domain);
    if (bare != local) keys.push_back(bare + "@" + domain);
    if (a.is_literal()) {
      keys.push_back(domain);
    } else {
      for (auto& k : domain_keys(domain, p.parent_matches_subdomains)) keys.push_back(std::move(k));
    }
  }
  keys.push_back(local + "@");
  if (bare != local) keys.push_back(bare + "@");
  return keys;
}

class Evaluator {
 public:
  Evaluator(Stage stage, const Facts& f, const RestrictionParams& p, Deferrals& d)
      : stage_(stage), f_(f), p_(p), d_(d) {}

  Verdict list(const std::vector<Step>& steps, int depth) {
    bool warn_next = false;
    for (const Step& s : steps) {
      if (s.what == Restriction::WarnIfReject) {
        warn_next = true;
        continue;
      }
      Verdict v = one(s, depth);
      take_notes(v);
      // Postfix smtpd_check_reject(): after DEFER_IF_REJECT, a permanent
      // rejection is answered with the deferral instead.
      if (v.kind == Verdict::Reject && !d_.if_reject.empty() && v.reply.rfind('5', 0) == 0 && !is_config_error(v))
        v.reply = d_.if_reject;
      if (v.kind == Verdict::Reject && warn_next && !is_config_error(v)) {
        notes_.push_back({"reject_warning", v.reply});
        v = {};
      }
      warn_next = false;
      if (v.kind != Verdict::Dunno) return finish(std::move(v));
    }
    return finish({});
  }

 private:
  static bool is_config_error(const Verdict& v) { return v.reply.rfind("451 4.3.5 ", 0) == 0; }

  void take_notes(Verdict& v) {
    for (auto& n : v.notes) notes_.push_back(std::move(n));
    for (auto& a : v.actions) actions_.push_back(std::move(a));
    v.notes.clear();
    v.actions.clear();
  }
  Verdict finish(Verdict v) {
    v.notes = std::exchange(notes_, {});
    v.actions = std::exchange(actions_, {});
    return v;
  }

  Verdict reject_generic(int code, std::string_view dsn, std::string_view text) {
    return reject_with(reply_line(code, std::string(dsn), rejected(subject_of(stage_, f_), text)));
  }

  Verdict one(const Step& s, int depth) {
    switch (s.what) {
      case Restriction::Permit: return permit();
      case Restriction::Reject: return reject_generic(p_.reject_code, "5.7.1", "Access denied");
      case Restriction::Defer: return reject_generic(p_.defer_code, "4.3.2", "Try again later");
      case Restriction::WarnIfReject: return {};
      case Restriction::PermitMynetworks: return f_.in_mynetworks ? permit() : Verdict{};
      case Restriction::PermitSaslAuthenticated: return f_.sasl_authenticated ? permit() : Verdict{};
      case Restriction::PermitAuthDestination:
        if (!f_.route) return {};
        return auth_destination() ? permit() : Verdict{};
      case Restriction::RejectUnauthDestination:
      case Restriction::DeferUnauthDestination: {
        if (!f_.route || auth_destination()) return {};
        int code = s.what == Restriction::RejectUnauthDestination ? p_.relay_code : p_.relay_code - 100;
        return reject_with(reply_line(code, "5.7.1", "<" + shown_address(*f_.recipient) + ">: Relay access denied"));
      }
      case Restriction::RejectUnauthPipelining:
        // Postfix: input waiting before our reply is improper for an SMTP
        // (HELO) client anywhere, and for everybody after DATA.
        if (f_.pipelined && (!f_.esmtp || f_.command == "DATA"))
          return reject_with(
              reply_line(503, "5.5.0", rejected(subject_of(stage_, f_), "Improper use of SMTP command pipelining")));
        return {};
      case Restriction::RejectNonFqdnHeloHostname:
        if (!f_.helo || f_.helo->empty() || (*f_.helo)[0] == '[' || is_fqdn(*f_.helo)) return {};
        return reject_with(reply_line(p_.non_fqdn_code, "5.5.2",
                                      rejected({*f_.helo, "Helo command"}, "need fully-qualified hostname")));
      case Restriction::RejectInvalidHeloHostname: {
        if (!f_.helo || f_.helo->empty()) return {};
        std::string problem = helo_problem(*f_.helo);
        if (problem.empty()) return {};
        return reject_with(reply_line(p_.invalid_hostname_code, "5.5.2", rejected({*f_.helo, "Helo command"}, problem)));
      }
      case Restriction::RejectNonFqdnSender:
        if (!f_.sender || f_.sender->is_null || is_fqdn(f_.sender->domain)) return {};
        return reject_with(reply_line(p_.non_fqdn_code, "5.5.2",
                                      rejected({sender_label(f_), "Sender address"}, "need fully-qualified address")));
      case Restriction::RejectNonFqdnRecipient:
        if (!f_.recipient || is_fqdn(f_.recipient->domain)) return {};
        return reject_with(reply_line(p_.non_fqdn_code, "5.5.2", rejected({shown_address(*f_.recipient), "Recipient address"},
                                                                          "need fully-qualified address")));
      case Restriction::RejectUnlistedRecipient:
        if (!f_.recipient || f_.recipient_known) return {};
        if (f_.route && f_.route->cls == AddressClass::VirtualMailbox)
          return reject_with(reply_line(p_.unknown_virtual_mailbox_code, "5.1.1",
                                        rejected({shown_address(*f_.recipient), "Recipient address"},
                                                 "User unknown in virtual mailbox table")));
        if (f_.route && f_.route->cls == AddressClass::VirtualAlias)
          return reject_with(reply_line(p_.unknown_virtual_alias_code, "5.1.1",
                                        rejected({shown_address(*f_.recipient), "Recipient address"},
                                                 "User unknown in virtual alias table")));
        return reject_with(reply_line(p_.unknown_local_code, "5.1.1",
                                      rejected({shown_address(*f_.recipient), "Recipient address"},
                                               "User unknown in local recipient table")));
      case Restriction::RejectUnknownSenderDomain:
        if (!f_.sender || f_.sender->is_null || f_.sender->is_literal()) return {};
        return unknown_domain(f_.sender_domain, sender_label(f_), "Sender address", "4.1.8");
      case Restriction::RejectUnknownRecipientDomain:
        if (!f_.recipient || f_.recipient->is_literal() || (f_.route && (f_.route->cls == AddressClass::Local || f_.route->cls == AddressClass::VirtualAlias ||
                                                                    f_.route->cls == AddressClass::VirtualMailbox))) return {};
        return unknown_domain(f_.recipient_domain, shown_address(*f_.recipient), "Recipient address", "4.1.2");
      case Restriction::RejectUnknownClientHostname:
        // Postfix reject_unknown_client(): a temporary failure is 450 at once.
        if (f_.client_name_status != DnsStatus::NotFound && f_.client_name_status != DnsStatus::TempFail) return {};
        return reject_with(reply_line(f_.client_name_status == DnsStatus::TempFail ? 450 : p_.unknown_client_code,
                                      "4.7.25", "Client host rejected: cannot find your hostname, [" + f_.client_addr + "]"));
      case Restriction::RejectUnknownReverseClientHostname:
        if (f_.client_reverse_name_status != DnsStatus::NotFound && f_.client_reverse_name_status != DnsStatus::TempFail)
          return {};
        return reject_with(reply_line(f_.client_reverse_name_status == DnsStatus::TempFail ? 450 : p_.unknown_client_code,
                                      "4.7.25",
                                      "Client host rejected: cannot find your reverse hostname, [" + f_.client_addr + "]"));
      case Restriction::RejectUnknownHeloHostname: {
        // Address literals and bare addresses have nothing to look up.
        if (!f_.helo || f_.helo->empty() || (*f_.helo)[0] == '[' || net::parse_ip(*f_.helo)) return {};
        Subject subj{*f_.helo, "Helo command"};
        if (f_.helo_status == DnsStatus::NotFound)
          return reject_with(reply_line(p_.unknown_hostname_code, "4.7.1", rejected(subj, "Host not found")));
        if (f_.helo_status == DnsStatus::TempFail)
          return tempfail(p_.unknown_helo_tempfail_defer, reply_line(450, "4.7.1", rejected(subj, "Host not found")));
        return {};
      }
      case Restriction::CheckClientAccess: {
        std::vector<std::string> keys;
        if (f_.client_name != "unknown") {
          if (s.table->is_pattern()) keys.push_back(str::lower(f_.client_name));
          else keys = domain_keys(f_.client_name, p_.parent_matches_subdomains);
        }
        if (!f_.client_addr.empty()) {
          if (s.table->is_pattern()) keys.push_back(f_.client_addr);
          else for (auto& k : address_keys(f_.client_addr)) keys.push_back(std::move(k));
        }
        return access(s, keys, {client_label(f_), "Client host"}, depth);
      }
      case Restriction::CheckHeloAccess: {
        if (!f_.helo || f_.helo->empty()) return {};
        std::vector<std::string> keys = s.table->is_pattern() ? std::vector<std::string>{str::lower(*f_.helo)}
                                                              : domain_keys(*f_.helo, p_.parent_matches_subdomains);
        return access(s, keys, {*f_.helo, "Helo command"}, depth);
      }
      case Restriction::CheckSenderAccess: {
        if (!f_.sender) return {};
        std::vector<std::string> keys;
        if (f_.sender->is_null) keys.push_back(p_.null_sender_key);
        else if (s.table->is_pattern()) keys.push_back(str::lower(f_.sender->text()));
        else keys = mail_keys(*f_.sender, p_);
        return access(s, keys, {sender_label(f_), "Sender address"}, depth);
      }
      case Restriction::CheckRecipientAccess: {
        if (!f_.recipient) return {};
        std::vector<std::string> keys = s.table->is_pattern() ? std::vector<std::string>{str::lower(f_.recipient->text())}
                                                              : mail_keys(*f_.recipient, p_);
        return access(s, keys, {shown_address(*f_.recipient), "Recipient address"}, depth);
      }
      case Restriction::RejectSenderLoginMismatch:
      case Restriction::RejectAuthenticatedSenderLoginMismatch:
      case Restriction::RejectKnownSenderLoginMismatch:
      case Restriction::RejectUnauthenticatedSenderLoginMismatch: return sender_login_mismatch(s.what, f_, p_);
      case Restriction::Unknown: return config_error("unknown smtpd restriction: \"" + str::sanitize(s.name, 100) + "\"");
    }
    return {};
  }

  // Postfix permit_auth_destination: our own domains, and relay_domains
  // unless the local part routed the mail there.
  bool auth_destination() const {
    const Resolved& r = *f_.route;
    if (r.cls == AddressClass::Local || r.cls == AddressClass::VirtualAlias || r.cls == AddressClass::VirtualMailbox)
      return true;
    if (r.cls == AddressClass::Relay) return !r.routed || p_.allow_untrusted_routing;
    return false;
  }

  Verdict unknown_domain(DnsStatus st, const std::string& name, std::string_view cls, std::string_view dsn) {
    if (st == DnsStatus::NotFound)
      return reject_with(reply_line(p_.unknown_address_code, std::string(dsn), rejected({name, cls}, "Domain not found")));
    // A temporary DNS failure never becomes a permanent reply.
    if (st == DnsStatus::TempFail)
      return tempfail(p_.unknown_address_tempfail_defer,
                      reply_line(450, std::string(dsn), rejected({name, cls}, "Domain not found")));
    return {};
  }

  // *_tempfail_action: defer now, or (defer_if_permit) only when nothing
  // else rejects the command.
  Verdict tempfail(bool defer_now, std::string reply) {
    if (defer_now) return reject_with(std::move(reply));
    if (d_.if_permit.empty()) d_.if_permit = std::move(reply);
    return {};
  }

  Verdict access(const Step& s, const std::vector<std::string>& keys, const Subject& subj, int depth) {
    for (const auto& key : keys) {
      auto r = s.table->lookup(key);
      if (!r) {
        Verdict v = reject_with("451 4.3.0 <" + subj.name + ">: Temporary lookup failure");
        v.notes.push_back({"warning", s.table->spec() + " lookup error for \"" + str::sanitize(key, 100) + "\": " +
                                          r.error().message});
        return v;
      }
      if (*r) return action(s, **r, subj, depth);
    }
    return {};
  }

  // The result of an access table: an action (access(5)) or a list of
  // restrictions.
  Verdict action(const Step& s, std::string_view value, const Subject& subj, int depth) {
    value = str::trim(value);
    size_t sp = value.find_first_of(" \t");
    std::string word = str::lower(value.substr(0, sp));
    std::string_view text = sp == std::string_view::npos ? std::string_view() : str::trim(value.substr(sp));
    if (word == "ok" || word == "permit") return permit();
    if (word == "dunno") return {};
    if (word == "reject")
      return reject_with(reply_line(p_.access_reject_code, "5.7.1", rejected(subj, text.empty() ? "Access denied" : text)));
    if (word == "defer")
      return reject_with(reply_line(p_.access_defer_code, "4.7.1", rejected(subj, text.empty() ? "Access denied" : text)));
    if (word == "defer_if_permit" || word == "defer_if_reject") {
      std::string& pending = word == "defer_if_permit" ? d_.if_permit : d_.if_reject;
      if (pending.empty())
        pending = reply_line(p_.access_defer_code, "4.7.1", rejected(subj, text.empty() ? "Access denied" : text));
      return {};
    }
    if (word == "warn") {
      Verdict v;
      v.notes.push_back({"warn", std::string(text)});
      return v;
    }
    if (word == "hold" || word == "discard") {
      // The whole message goes to the hold queue, or is accepted and
      // dropped. DISCARD ends the list like OK; HOLD goes on, as in Postfix.
      std::string what = text.empty() ? std::string(word == "hold" ? "triggers HOLD action" : "triggers DISCARD action")
                                      : std::string(text);
      Verdict v = word == "discard" ? permit() : Verdict{};
      v.notes.push_back({word, "<" + subj.name + ">: " + std::string(subj.cls) + " " + what});
      v.actions.push_back({word, ""});
      return v;
    }
    if (word == "filter" || word == "redirect" || word == "bcc" || word == "prepend")
      return message_action(s, word, value, text, subj);
    if (all_digits(word)) {
      // access(5): an all-numerical result is OK (for compatibility with
      // tables that hold counters); "4NN text" and "5NN text" reply.
      if (text.empty()) return permit();
      int code = word.size() == 3 ? std::stoi(word) : 0;
      if (code < 400 || code > 599)
        return config_error(s.table->spec() + ": bad access result: \"" + str::sanitize(value, 100) + "\"");
      std::string dsn = code < 500 ? "4.7.1" : "5.7.1";
      size_t dsn_end = text.find_first_of(" \t");
      std::string_view first = text.substr(0, dsn_end);
      if (first.size() >= 5 && (first[0] == '4' || first[0] == '5') && first[1] == '.' &&
          first.find_first_not_of("0123456789.") == std::string_view::npos) {
        dsn = std::string(first);
        text = dsn_end == std::string_view::npos ? std::string_view() : str::trim(text.substr(dsn_end));
      }
      return reject_with(reply_line(code, dsn, rejected(subj, text)));
    }
    // Anything else is a restriction list (Postfix allows restriction
    // names as access results).
    if (depth + 1 >= kNestMax) return config_error(s.table->spec() + ": restrictions nested too deeply");
    auto steps = parse_restrictions(value, s.table->spec());
    if (!steps) return config_error(steps.error().message);
    Evaluator inner(stage_, f_, p_, d_);
    return inner.list(*steps, depth + 1);
  }

  // FILTER, REDIRECT, BCC and PREPEND (access(5)): they change what
  // happens to the message and never decide the command (DUNNO). A value
  // that cannot work is logged and ignored, as Postfix does.
  Verdict message_action(const Step& s, const std::string& word, std::string_view value, std::string_view text,
                         const Subject& subj) {
    Verdict v;
    auto ignored = [&](std::string_view needs) {
      v.notes.push_back({"warning", "access table " + s.table->spec() + " entry \"" + str::sanitize(value, 200) +
                                        "\" requires " + std::string(needs)});
      return v;
    };
    if (word == "prepend") {
      if (!is_header_line(text)) return ignored("header: text");
      v.actions.push_back({word, std::string(text)});
      return v;
    }
    std::string target(text);
    if (word == "filter") {
      if (text.find(':') == std::string_view::npos || !printable_word(text)) return ignored("transport:destination");
    } else {
      // The address becomes an envelope recipient: it must be one.
      auto a = address::parse_mailbox(text);
      if (!a || a->domain.empty()) return ignored("user@domain target");
      target = a->text();
    }
    std::string upper = word == "filter" ? "FILTER" : word == "redirect" ? "REDIRECT" : "BCC";
    v.notes.push_back({word, "<" + subj.name + ">: " + std::string(subj.cls) + " triggers " + upper + " " + target});
    v.actions.push_back({word, std::move(target)});
    return v;
  }

  Stage stage_;
  const Facts& f_;
  const RestrictionParams& p_;
  Deferrals& d_;
  std::vector<std::pair<std::string, std::string>> notes_;
  std::vector<std::pair<std::string, std::string>> actions_;
};

}  // namespace

bool is_fqdn(std::string_view domain) {
  if (domain.empty()) return false;
  if (domain.front() == '[') return true;
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  // "1.2.3.4" is an address, not a name.
  return domain.find_first_not_of("0123456789.") != std::string_view::npos;
}

std::string helo_problem(std::string_view helo) {
  if (helo.front() == '[') {
    if (helo.back() != ']' || !net::parse_ip(helo)) return "invalid ip address";
    return "";
  }
  if (net::parse_ip(helo)) return "";  // a bare address: valid_hostaddr
  return valid_hostname(helo) ? "" : "Invalid name";
}

Result<std::vector<Step>> parse_restrictions(std::string_view list_text, std::string_view param_name) {
  std::vector<std::string> words = str::split(list_text, " \t\r\n,");
  std::vector<Step> out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (out.size() >= kListMax)
      return Error{std::string(param_name) + ": more than " + std::to_string(kListMax) + " restrictions"};
    Step s;
    s.name = words[i];
    s.what = lookup_name(str::lower(s.name));
    if (takes_table(s.what)) {
      if (i + 1 >= words.size())
        return Error{std::string(param_name) + ": " + s.name + " needs a table (type:name)"};
      auto t = map::open(words[++i]);
      if (!t) return Error{std::string(param_name) + ": " + s.name + " " + str::sanitize(words[i]) + ": " + t.error().message};
      s.table = std::shared_ptr<map::Table>(std::move(*t));
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool needs(const std::vector<Step>& list, Restriction what) {
  for (const auto& s : list)
    if (s.what == what) return true;
  return false;
}

Verdict evaluate_list(const std::vector<Step>& list, Stage stage, const Facts& f, const RestrictionParams& p,
                      Deferrals& d) {
  Evaluator e(stage, f, p, d);
  return e.list(list, 0);
}

Verdict settle(Verdict v, const Deferrals& d) {
  if (v.kind == Verdict::Reject || d.if_permit.empty()) return v;
  v.kind = Verdict::Reject;
  v.reply = d.if_permit;
  return v;
}

Verdict evaluate(const std::vector<Step>& list, Stage stage, const Facts& f, const RestrictionParams& p) {
  Deferrals d;
  return settle(evaluate_list(list, stage, f, p, d), d);
}

}  // namespace buzon::smtpd
