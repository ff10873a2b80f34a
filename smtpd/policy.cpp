#include "smtpd/policy.h"

#include <algorithm>
#include <climits>

#include "lib/core/strings.h"
#include "lib/net/interfaces.h"

namespace buzon::smtpd {
namespace {

std::string domain_key(std::string_view d) {
  std::string s = str::lower(d);
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

int code_of(const config::MainCf& cf, std::string_view name) {
  return static_cast<int>(std::min<unsigned long long>(cf.get_int(name), 999));
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// inet_interfaces / proxy_interfaces items that are addresses; "all" means
// every interface, "loopback-only" the loopback addresses.
void add_interfaces(const std::vector<std::string>& items, std::vector<net::IpAddr>& out) {
  for (const auto& item : items) {
    if (item == "all") {
      for (const auto& i : net::local_interfaces()) out.push_back(i.addr);
    } else if (item == "loopback-only") {
      out.push_back(*net::parse_ip("127.0.0.1"));
      out.push_back(*net::parse_ip("::1"));
    } else if (auto ip = net::parse_ip(item)) {
      out.push_back(*ip);
    }
  }
}

// Postfix: relay control must be able to say no, or the server is an open
// relay from its first minute.
bool can_refuse_relay(const std::vector<Step>& list) {
  for (const auto& s : list)
    if (s.what == Restriction::RejectUnauthDestination || s.what == Restriction::DeferUnauthDestination ||
        s.what == Restriction::Reject || s.what == Restriction::Defer)
      return true;
  return false;
}

}  // namespace

bool Policy::in_mynetworks(const std::optional<net::IpAddr>& ip) const {
  if (!ip) return false;
  for (const auto& n : mynetworks_excluded)
    if (n.contains(*ip)) return false;
  return std::any_of(mynetworks.begin(), mynetworks.end(), [&](const net::Cidr& n) { return n.contains(*ip); });
}

bool Policy::is_local_domain(std::string_view domain) const {
  std::string d = domain_key(domain);
  if (d.empty()) return false;
  if (d.front() == '[') {
    // Postfix resolve_local(): a literal of an address we receive mail on.
    auto ip = net::parse_ip(d);
    return ip && std::find(own_addresses.begin(), own_addresses.end(), *ip) != own_addresses.end();
  }
  return contains(mydestination, d);
}

bool Policy::is_relay_domain(std::string_view domain) const {
  std::string d = domain_key(domain);
  if (d.empty() || d.front() == '[') return false;
  for (std::string_view rest = d;;) {
    if (contains(relay_domains, rest)) return true;
    // "example.com" covers its subdomains when relay_domains is in
    // parent_domain_matches_subdomains; ".example.com" always does.
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) return false;
    if (contains(relay_domains, rest.substr(dot))) return true;
    if (!relay_parent_matches) return false;
    rest = rest.substr(dot + 1);
  }
}

bool Policy::needs(Restriction what) const {
  for (const auto* l : {&client, &helo, &sender, &relay, &recipient, &data})
    if (smtpd::needs(*l, what)) return true;
  return false;
}

Result<std::unique_ptr<Policy>> load_policy(const config::MainCf& cf) {
  auto p = std::make_unique<Policy>();
  for (const auto& item : cf.get_list("mynetworks")) {
    bool excluded = !item.empty() && item.front() == '!';
    auto c = net::parse_cidr(std::string_view(item).substr(excluded ? 1 : 0));
    if (!c) return Error{"mynetworks: " + c.error().message};
    (excluded ? p->mynetworks_excluded : p->mynetworks).push_back(*c);
  }
  for (const auto& d : cf.get_list("mydestination")) p->mydestination.push_back(domain_key(d));
  for (const auto& d : cf.get_list("relay_domains")) {
    if (d.find(':') != std::string::npos || d.find('/') != std::string::npos)
      return Error{"relay_domains: tables and files are not supported yet: " + str::sanitize(d)};
    p->relay_domains.push_back(domain_key(d));
  }
  auto parents = cf.get_list("parent_domain_matches_subdomains");
  p->relay_parent_matches = contains(parents, "relay_domains");
  add_interfaces(cf.get_list("inet_interfaces"), p->own_addresses);
  add_interfaces(cf.get_list("proxy_interfaces"), p->own_addresses);

  p->rules.percent_hack = cf.get_bool("allow_percent_hack");
  p->rules.swap_bangpath = cf.get_bool("swap_bangpath");
  p->rules.myorigin = domain_key(cf.get("myorigin"));
  Policy* self = p.get();
  p->rules.is_local = [self](std::string_view d) { return self->is_local_domain(d); };
  p->rules.is_relay = [self](std::string_view d) { return self->is_relay_domain(d); };

  RestrictionParams& rp = p->params;
  rp.reject_code = code_of(cf, "reject_code");
  rp.defer_code = code_of(cf, "defer_code");
  rp.relay_code = code_of(cf, "relay_domains_reject_code");
  rp.access_reject_code = code_of(cf, "access_map_reject_code");
  rp.access_defer_code = code_of(cf, "access_map_defer_code");
  rp.non_fqdn_code = code_of(cf, "non_fqdn_reject_code");
  rp.invalid_hostname_code = code_of(cf, "invalid_hostname_reject_code");
  rp.unknown_address_code = code_of(cf, "unknown_address_reject_code");
  rp.unknown_client_code = code_of(cf, "unknown_client_reject_code");
  rp.unknown_hostname_code = code_of(cf, "unknown_hostname_reject_code");
  for (auto [param, out] : {std::pair{"unknown_address_tempfail_action", &rp.unknown_address_tempfail_defer},
                            std::pair{"unknown_helo_hostname_tempfail_action", &rp.unknown_helo_tempfail_defer}}) {
    std::string action = str::lower(cf.get(param));
    if (action != "defer" && action != "defer_if_permit")
      return Error{std::string(param) + ": expected defer or defer_if_permit, not \"" + str::sanitize(action) + "\""};
    *out = action == "defer";
  }
  rp.unknown_local_code = code_of(cf, "unknown_local_recipient_reject_code");
  rp.unknown_virtual_alias_code = code_of(cf, "unknown_virtual_alias_reject_code");
  rp.unknown_virtual_mailbox_code = code_of(cf, "unknown_virtual_mailbox_reject_code");
  rp.allow_untrusted_routing = cf.get_bool("allow_untrusted_routing");
  rp.parent_matches_subdomains = contains(parents, "smtpd_access_maps");
  rp.null_sender_key = cf.get("smtpd_null_access_lookup_key");
  rp.recipient_delimiter = cf.get("recipient_delimiter");
  for (const auto& spec : cf.get_list("smtpd_sender_login_maps")) {
    auto t = map::open(spec);
    if (!t) return Error{"smtpd_sender_login_maps: " + t.error().message};
    rp.sender_login_maps.push_back(std::move(*t));
  }

  p->delay_reject = cf.get_bool("smtpd_delay_reject");
  p->helo_required = cf.get_bool("smtpd_helo_required");
  p->reject_unlisted_recipient = cf.get_bool("smtpd_reject_unlisted_recipient");

  struct ListDef {
    const char* param;
    std::vector<Step>* out;
  };
  for (auto [param, out] : {ListDef{"smtpd_client_restrictions", &p->client}, ListDef{"smtpd_helo_restrictions", &p->helo},
                            ListDef{"smtpd_sender_restrictions", &p->sender}, ListDef{"smtpd_relay_restrictions", &p->relay},
                            ListDef{"smtpd_recipient_restrictions", &p->recipient},
                            ListDef{"smtpd_data_restrictions", &p->data}}) {
    auto steps = parse_restrictions(cf.get(param), param);
    if (!steps) return steps.error();
    *out = std::move(*steps);
  }
  if (!can_refuse_relay(p->relay) && !can_refuse_relay(p->recipient))
    return Error{"in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at least one working "
                 "instance of: reject_unauth_destination, defer_unauth_destination, reject or defer"};
  return p;
}

Verdict check_client(const Policy& p, const Facts& f) { return evaluate(p.client, Stage::Client, f, p.params); }
Verdict check_helo(const Policy& p, const Facts& f) { return evaluate(p.helo, Stage::Helo, f, p.params); }
Verdict check_sender(const Policy& p, const Facts& f) { return evaluate(p.sender, Stage::Sender, f, p.params); }
Verdict check_data(const Policy& p, const Facts& f) { return evaluate(p.data, Stage::Data, f, p.params); }

Verdict check_rcpt(const Policy& p, const Facts& f) {
  // Log lines and message actions of every list run count, also when a
  // later list rejects (Postfix acts on a HOLD or FILTER at once).
  Verdict acc;
  auto with_acc = [&acc](Verdict v) {
    v.notes = std::move(acc.notes);
    v.actions = std::move(acc.actions);
    return v;
  };
  // DEFER_IF_PERMIT found by the client list still defers a recipient
  // that the recipient list permits (Postfix keeps them per command).
  Deferrals d;
  auto run = [&](const std::vector<Step>& list, Stage stage) {
    Verdict v = evaluate_list(list, stage, f, p.params, d);
    for (auto& n : v.notes) acc.notes.push_back(std::move(n));
    for (auto& a : v.actions) acc.actions.push_back(std::move(a));
    v.notes.clear();
    v.actions.clear();
    return v;
  };
  if (p.delay_reject) {
    for (auto [list, stage] : {std::pair{&p.client, Stage::Client}, std::pair{&p.helo, Stage::Helo},
                               std::pair{&p.sender, Stage::Sender}}) {
      Verdict v = run(*list, stage);
      if (v.kind == Verdict::Reject) return with_acc(std::move(v));
    }
  }
  for (const auto* list : {&p.relay, &p.recipient}) {
    Verdict v = run(*list, Stage::Recipient);
    if (v.kind == Verdict::Reject) return with_acc(std::move(v));
  }
  if (p.reject_unlisted_recipient && f.recipient && !f.recipient_known) {
    Step unlisted;
    unlisted.what = Restriction::RejectUnlistedRecipient;
    Verdict v = run({unlisted}, Stage::Recipient);
    return settle(with_acc(std::move(v)), d);
  }
  return settle(with_acc(Verdict{}), d);
}

}  // namespace buzon::smtpd
