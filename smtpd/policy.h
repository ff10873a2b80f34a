// Policy - which clients may do what: mynetworks, our domains
// (mydestination, our own address literals), relay_domains, and the
// restriction lists in the order Postfix applies them:
//
//   connect  smtpd_client_restrictions      (at RCPT when smtpd_delay_reject)
//   HELO     smtpd_helo_restrictions        (at RCPT when smtpd_delay_reject)
//   MAIL     smtpd_sender_restrictions      (at RCPT when smtpd_delay_reject)
//   RCPT     smtpd_relay_restrictions, then smtpd_recipient_restrictions
//            (Postfix >= 3.6 order), then smtpd_reject_unlisted_recipient
//   DATA     smtpd_data_restrictions
//
// A permit ends only its own list. Local submission (sendmail on the
// submit socket) is not subject to these lists, as Postfix's pickup path
// is not.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.h"
#include "lib/core/result.h"
#include "lib/net/ip.h"
#include "smtpd/resolve.h"
#include "smtpd/restrictions.h"

namespace buzon::smtpd {

struct Policy {
  std::vector<net::Cidr> mynetworks;
  std::vector<net::Cidr> mynetworks_excluded;  // "!network" items
  std::vector<std::string> mydestination;      // lower case, no trailing dot
  std::vector<std::string> relay_domains;      // lower case, no trailing dot
  bool relay_parent_matches = true;            // relay_domains in parent_domain_matches_subdomains
  std::vector<net::IpAddr> own_addresses;      // inet_interfaces (or every interface) + proxy_interfaces
  ResolveRules rules;                          // is_local/is_relay refer to this object
  RestrictionParams params;
  bool delay_reject = true;
  bool helo_required = false;
  bool reject_unlisted_recipient = true;
  std::vector<Step> client, helo, sender, relay, recipient, data;

  Policy() = default;
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  bool in_mynetworks(const std::optional<net::IpAddr>& ip) const;
  bool is_local_domain(std::string_view domain) const;  // any case, trailing dot allowed
  bool is_relay_domain(std::string_view domain) const;
  Resolved resolve(const address::Address& a) const { return smtpd::resolve(a, rules); }
  // Whether some list needs a DNS answer.
  bool needs(Restriction what) const;
};

// Errors: a table that cannot be opened, a check_*_access without a table,
// or relay and recipient restrictions that cannot refuse relaying (Postfix
// refuses to start then, and so do we).
Result<std::unique_ptr<Policy>> load_policy(const config::MainCf& cf);

// RCPT: client, helo and sender lists first when smtpd_delay_reject, then
// relay and recipient lists. Notes of every list evaluated are kept.
Verdict check_rcpt(const Policy& p, const Facts& f);
// The lists that run before RCPT when smtpd_delay_reject = no.
Verdict check_client(const Policy& p, const Facts& f);
Verdict check_helo(const Policy& p, const Facts& f);
Verdict check_sender(const Policy& p, const Facts& f);
Verdict check_data(const Policy& p, const Facts& f);

}  // namespace buzon::smtpd
