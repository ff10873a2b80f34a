// Which transport and next hop a recipient goes to, as Postfix's
// trivial-rewrite(8) resolves it:
//
//   1. the address class gives the default: a domain in mydestination (or
//      no domain) -> local_transport; a domain in relay_domains ->
//      relay_transport; any other -> default_transport. The next hop is
//      the transport's own ("local:$myhostname") or else the recipient
//      domain.
//      A domain of virtual_alias_domains (not in mydestination) whose
//      address is still there after virtual alias expansion goes to the
//      error transport: "5.1.1 User unknown in virtual alias table".
//      A domain of virtual_mailbox_domains (not in mydestination or
//      virtual_alias_domains) -> virtual_transport, next hop the
//      transport's own or the recipient domain. A domain in both
//      mydestination and virtual_mailbox_domains stays local, with
//      Postfix's warning "do not list domain X in BOTH mydestination and
//      virtual_mailbox_domains".
//   2. transport_maps, when set, may override it. Keys in Postfix's order
//      (transport(5)): user+extension@domain, user@domain, domain, then
//      each parent as ".parent" (unless transport_maps is listed in
//      parent_domain_matches_subdomains: then "parent" matches its
//      subdomains), finally "*". Each key is looked up in every table
//      before the next key; the first hit wins. The result is "transport:nexthop": an empty transport keeps
//      the class's, an empty nexthop with a transport resets it to the
//      recipient domain, both empty change nothing.
//
// Transports qmgr knows itself: error (bounce, the next hop is the reason
// with an optional RFC 3463 code, default 5.0.0), retry (defer, 4.0.0)
// and discard (pretend delivery, 2.0.0); every other name is a delivery
// agent service listening on private/<transport> (master.cf).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "lib/map/map.h"
#include "lib/virtual/virtual.h"

namespace buzon::config { class MainCf; }

namespace buzon::qmgr {

struct Route {
  std::string transport;  // "local", "smtp", "error", ...
  std::string nexthop;    // host, domain, or for error/retry/discard the reason
  bool operator==(const Route&) const = default;
};

struct TransportRules {
  std::vector<std::string> mydestination;  // as configured; compared case-insensitively
  std::vector<std::string> relay_domains;
  bool relay_parent_matches = true;        // relay_domains in parent_domain_matches_subdomains
  std::string local_transport = "local";   // "transport[:nexthop]"
  std::string relay_transport = "relay";
  std::string default_transport = "smtp";
  std::string recipient_delimiter;
  std::vector<std::string> transport_maps;  // "type:name" specs, opened on first use
  std::vector<std::string> virtual_alias_domains;  // names or "type:name" tables
  std::vector<std::string> virtual_mailbox_domains;  // names or "type:name" tables
  std::string virtual_transport = "virtual";
  bool maps_parent_matches = false;         // transport_maps in parent_domain_matches_subdomains
  std::string default_filter_nexthop;       // for a content filter without a next hop

  static TransportRules from(const config::MainCf& cf);
};

// The domain of an address, lower-cased, without a trailing dot; "" when
// the address has no '@' (a bare local name, e.g. from sendmail).
std::string domain_of(std::string_view address);

// "transport:nexthop" -> {transport, nexthop}; "transport" alone has an
// empty next hop.
Route split_transport(std::string_view value);

// The transport_maps keys of a recipient, most specific first (see above).
std::vector<std::string> transport_keys(std::string_view recipient, std::string_view delimiters, bool parent_matches);

// Applies a transport_maps result to the class default (transport(5)
// RESULT FORMAT); domain is the recipient domain.
Route apply_transport_result(const Route& dflt, std::string_view result, std::string_view domain);

// For the error, retry and discard transports: the reply their next hop
// stands for. A next hop that starts with an RFC 3463 code of the right
// class ("5.1.1 no such list") gives that code; otherwise the default.
struct PseudoReply {
  int status = 4;  // 0 sent (discard), 4 defer (retry), 5 bounce (error)
  std::string dsn, reason;
};
bool is_pseudo_transport(std::string_view transport);
PseudoReply pseudo_reply(const Route& r);

// True when a transport name can name a service socket private/<name>:
// letters, digits, '-', '_' and '.', not starting with '.'.
bool valid_transport_name(std::string_view name);

class Router {
 public:
  explicit Router(TransportRules rules) : rules_(std::move(rules)) {}
  // Errors: a transport_maps table that cannot be opened or read (the
  // caller defers the recipient, as Postfix does).
  Result<Route> route(std::string_view recipient);
  // A message with a content filter (its content_filter attribute: FILTER
  // or the content_filter parameter) goes there for every recipient,
  // whatever the tables say (Postfix's qmgr): the filter's transport, and
  // its next hop, else default_filter_nexthop, else the recipient domain.
  Route filter_route(std::string_view filter, std::string_view recipient) const;
  // The class default alone, without transport_maps and virtual domains.
  Route class_default(std::string_view recipient) const;
  const TransportRules& rules() const { return rules_; }

 private:
  TransportRules rules_;
  virt::DomainList alias_domains_{rules_.virtual_alias_domains};
  virt::DomainList mailbox_domains_{rules_.virtual_mailbox_domains};
  std::vector<std::unique_ptr<map::Table>> tables_;  // per transport_maps spec; nullptr until opened
};

}  // namespace buzon::qmgr
