// The SMTP access restrictions of Postfix's smtpd (postconf(5), "SMTPD
// ACCESS RESTRICTIONS"): a list such as "permit_mynetworks,
// reject_unauth_destination" is parsed once into Steps, then evaluated
// against the Facts of one command. Evaluation stops at the first step
// that permits or rejects; a list that ends without a decision is DUNNO.
//
// Reply texts, codes and enhanced codes are Postfix 3.7's, e.g.
//   554 5.7.1 <x@elsewhere>: Relay access denied
//   504 5.5.2 <foo>: Helo command rejected: need fully-qualified hostname
//   554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied
// An unknown restriction or a table that cannot be read answers "451 4.3.5
// Server configuration error" and logs a warning, as Postfix does at run
// time; a FILTER, REDIRECT, BCC or PREPEND without a usable value is
// logged and ignored (DUNNO), as in Postfix.
//
// LIMITS  kNestMax levels of restriction names used as access table
//         results; kListMax steps per list; a PREPEND header of at most
//         kHeaderLineMax bytes; a FILTER value of at most kFilterMax.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/address/address.h"
#include "lib/core/result.h"
#include "lib/map/map.h"
#include "lib/net/ip.h"
#include "smtpd/dns_status.h"
#include "smtpd/resolve.h"

namespace buzon::smtpd {

constexpr int kNestMax = 8;
constexpr size_t kListMax = 256;
constexpr size_t kHeaderLineMax = 998;  // RFC 5322 section 2.1.1
constexpr size_t kFilterMax = 1000;

enum class Restriction {
  Permit,
  Reject,
  Defer,
  WarnIfReject,
  PermitMynetworks,
  PermitSaslAuthenticated,
  PermitAuthDestination,
  RejectUnauthDestination,
  DeferUnauthDestination,
  RejectUnauthPipelining,
  RejectNonFqdnHeloHostname,
  RejectInvalidHeloHostname,
  RejectNonFqdnSender,
  RejectNonFqdnRecipient,
  RejectUnlistedRecipient,
  RejectUnknownSenderDomain,
  RejectUnknownRecipientDomain,
  RejectUnknownClientHostname,
  RejectUnknownReverseClientHostname,
  RejectUnknownHeloHostname,
  CheckClientAccess,
  CheckHeloAccess,
  CheckSenderAccess,
  CheckRecipientAccess,
  RejectSenderLoginMismatch,  // and the three below: sender_login.h
  RejectAuthenticatedSenderLoginMismatch,
  RejectKnownSenderLoginMismatch,
  RejectUnauthenticatedSenderLoginMismatch,
  Unknown,  // evaluated as a configuration error, as Postfix does
};

struct Step {
  Restriction what = Restriction::Unknown;
  std::string name;                     // as written, for messages
  std::shared_ptr<map::Table> table;    // check_*_access: hash:, texthash:, cidr: (lib/map)
};

// What a restriction list is being evaluated for: it names the reply
// ("Client host rejected", "Recipient address rejected", ...).
enum class Stage { Client, Helo, Sender, Recipient, Data };

// Codes and switches from main.cf that the restrictions use.
struct RestrictionParams {
  int reject_code = 554;                  // reject_code
  int defer_code = 450;                   // defer_code
  int relay_code = 554;                   // relay_domains_reject_code
  int access_reject_code = 554;           // access_map_reject_code
  int access_defer_code = 450;            // access_map_defer_code
  int non_fqdn_code = 504;                // non_fqdn_reject_code
  int invalid_hostname_code = 501;        // invalid_hostname_reject_code
  int unknown_address_code = 450;         // unknown_address_reject_code
  int unknown_client_code = 450;          // unknown_client_reject_code
  int unknown_hostname_code = 450;        // unknown_hostname_reject_code
  // *_tempfail_action: true for "defer" (answer 450 at once), false for
  // "defer_if_permit" (answer 450 only if nothing rejects).
  bool unknown_address_tempfail_defer = false;
  bool unknown_helo_tempfail_defer = false;
  int unknown_local_code = 550;           // unknown_local_recipient_reject_code
  int unknown_virtual_alias_code = 550;   // unknown_virtual_alias_reject_code
  int unknown_virtual_mailbox_code = 550; // unknown_virtual_mailbox_reject_code
  bool allow_untrusted_routing = false;
  bool parent_matches_subdomains = true;  // smtpd_access_maps in parent_domain_matches_subdomains
  std::string null_sender_key = "<>";     // smtpd_null_access_lookup_key
  std::string recipient_delimiter;
  std::vector<std::shared_ptr<map::Table>> sender_login_maps;  // smtpd_sender_login_maps
};


// Everything a restriction may look at. Pointers are null when the thing
// is not known at this point of the session (no MAIL yet, no RCPT).
struct Facts {
  std::string client_name = "unknown";  // verified reverse name, or "unknown"
  std::string client_addr;
  std::optional<net::IpAddr> client_ip;
  DnsStatus client_name_status = DnsStatus::NotLooked;          // PTR and forward-confirmed
  DnsStatus client_reverse_name_status = DnsStatus::NotLooked;  // PTR alone
  bool in_mynetworks = false;
  bool sasl_authenticated = false;      // the client authenticated with SMTP AUTH
  std::string sasl_username;            // its login, when sasl_authenticated
  const std::string* helo = nullptr;
  DnsStatus helo_status = DnsStatus::NotLooked;  // MX, A or AAAA of the HELO name
  bool esmtp = false;
  bool pipelined = false;               // the client sent more before this reply
  const address::Address* sender = nullptr;
  bool sender_local = false;            // sender's domain is ours (mydestination, myorigin, our literals)
  DnsStatus sender_domain = DnsStatus::NotLooked;
  const address::Address* recipient = nullptr;
  const Resolved* route = nullptr;      // of recipient
  DnsStatus recipient_domain = DnsStatus::NotLooked;
  bool recipient_known = true;          // for reject_unlisted_recipient: a user exists
  std::string_view command = "RCPT";    // "RCPT", "DATA", ... for <DATA> names
};

struct Verdict {
  enum Kind { Dunno, Permit, Reject };
  Kind kind = Dunno;
  std::string reply;  // when Reject: the whole reply line
  // Log lines that evaluation asks for, without the "QUEUEID: " prefix
  // and the "; from=<...> ..." suffix that the session adds:
  //   {"reject_warning", "554 5.7.1 ..."} (warn_if_reject)
  //   {"warn", "text"}                   (access table WARN)
  //   {"hold", "<x>: Class triggers HOLD action"}      (access table HOLD)
  //   {"discard", "<x>: Class triggers DISCARD action"} (access table DISCARD)
  //   {"filter", "<x>: Class triggers FILTER smtp:[127.0.0.1]:10025"}
  //   {"redirect", "<x>: Class triggers REDIRECT a@b"}, {"bcc", ...}
  //   {"warning", "unknown smtpd restriction: \"x\""} (plain warning)
  std::vector<std::pair<std::string, std::string>> notes;
  // What access(5) asks to do with the whole message, in the order found:
  // {"hold", ""}, {"discard", ""}, {"filter", "transport:destination"},
  // {"redirect", "user@domain"}, {"bcc", "user@domain"},
  // {"prepend", "Header: text"}. The session applies them (session.h).
  std::vector<std::pair<std::string, std::string>> actions;
};

// DEFER_IF_PERMIT and DEFER_IF_REJECT (access(5)) and the
// defer_if_permit tempfail actions: what they asked for outlives the list
// that found them and is settled once every list of the command has run.
struct Deferrals {
  std::string if_permit;  // the reply when the command would be accepted
  std::string if_reject;  // the reply that replaces a later 5xx rejection
};

// Parses one restriction list. Unknown names become Unknown steps (a
// run-time 451, as in Postfix); a check_*_access without a table, or a
// table that cannot be opened, is an error.
Result<std::vector<Step>> parse_restrictions(std::string_view list_text, std::string_view param_name);

// True when the list holds a restriction that needs a DNS answer of kind
// what (the client's name, the sender's or recipient's domain).
bool needs(const std::vector<Step>& list, Restriction what);

// Evaluates list for stage and settles its deferrals.
Verdict evaluate(const std::vector<Step>& list, Stage stage, const Facts& f, const RestrictionParams& p);
// Evaluates one of several lists of a command: deferrals found are added
// to d (the first of each kind is kept), and a 5xx rejection becomes
// d.if_reject when one is pending. settle() ends the command.
Verdict evaluate_list(const std::vector<Step>& list, Stage stage, const Facts& f, const RestrictionParams& p,
                      Deferrals& d);
// A verdict that is not a rejection becomes d.if_permit when one is pending.
Verdict settle(Verdict v, const Deferrals& d);

// reject_invalid_helo_hostname's check (Postfix valid_hostname and
// valid_hostaddr): "" when fine, else the reply text ("Invalid name",
// "invalid ip address").
std::string helo_problem(std::string_view helo);
// True when a domain has at least two labels and is not all numeric, or is an
// address literal (Postfix's fully-qualified test).
bool is_fqdn(std::string_view domain);

}  // namespace buzon::smtpd
