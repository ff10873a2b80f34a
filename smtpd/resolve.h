// Where an envelope recipient goes, decided the way Postfix's
// trivial-rewrite resolves it: that decision, not the text of the domain,
// is what relay control must judge. An address of one of our domains whose
// local part still routes somewhere ("user%other@ours" with
// allow_percent_hack, "other!user@ours" with swap_bangpath,
// "\"user@other\"@ours", "user@other@ours") is stripped of our domain and
// resolved again, so that a relay attempt dressed as local mail is seen as
// what it is; such an address is marked routed.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "lib/address/address.h"

namespace buzon::smtpd {

enum class AddressClass {
  Local,    // a domain of mydestination, or a literal of one of our addresses
  Relay,    // a domain of relay_domains
  VirtualAlias,  // a domain of virtual_alias_domains (set by lookup_recipient, checks.h)
  VirtualMailbox,  // a domain of virtual_mailbox_domains (set by lookup_recipient, checks.h)
  Default,  // anywhere else
};

struct Resolved {
  std::string local;         // local part after routing was removed
  std::string domain;        // lower case, no trailing dot; "[192.0.2.1]" for literals
  AddressClass cls = AddressClass::Default;
  bool routed = false;       // the local part carried routing that was followed
  std::string address() const { return domain.empty() ? local : local + "@" + domain; }
};

struct ResolveRules {
  bool percent_hack = true;   // allow_percent_hack
  bool swap_bangpath = true;  // swap_bangpath
  std::string myorigin;       // appended to an address without a domain
  std::function<bool(std::string_view domain)> is_local;  // lower case input
  std::function<bool(std::string_view domain)> is_relay;  // lower case input
};

// LIMITS  at most kResolveSteps routing steps; an address that still routes
// after that many resolves to its last domain as Default (never Local).
constexpr int kResolveSteps = 16;

Resolved resolve(const address::Address& a, const ResolveRules& rules);

// The address as Postfix shows it in replies and logs: the local part
// unquoted, then "@domain" as written, its trailing dot included
// ("\"a b\"@x." -> "a b@x.").
std::string shown_address(const address::Address& a);

}  // namespace buzon::smtpd
