#include "qmgr/transport.h"

#include <algorithm>

#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/log/log.h"

namespace buzon::qmgr {
namespace {

std::string without_root_dot(std::string_view d) {
  std::string out = str::lower(d);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool listed(const std::vector<std::string>& list, std::string_view feature) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& f) { return str::iequals(f, feature); });
}

bool in_domain_list(std::string_view domain, const std::vector<std::string>& list, bool parent_matches) {
  if (domain.empty()) return false;
  for (const auto& item : list) {
    std::string want = without_root_dot(item);
    if (want.empty()) continue;
    if (want.front() == '.') {  // ".example.com": subdomains only
      if (domain.size() > want.size() && domain.ends_with(want)) return true;
      continue;
    }
    if (domain == want) return true;
    if (parent_matches && domain.size() > want.size() && domain.ends_with(want) &&
        domain[domain.size() - want.size() - 1] == '.')
      return true;
  }
  return false;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// An RFC 3463 status code "c.s.d" at the start of text, class c.
bool starts_with_dsn(std::string_view text, char cls) {
  if (text.size() < 5 || text[0] != cls || text[1] != '.') return false;
  size_t i = 2, digits = 0;
  while (i < text.size() && digit(text[i]) && digits < 3) ++i, ++digits;
  if (digits == 0 || i >= text.size() || text[i] != '.') return false;
  ++i;
  digits = 0;
  while (i < text.size() && digit(text[i]) && digits < 3) ++i, ++digits;
  return digits > 0 && (i == text.size() || text[i] == ' ');
}

}  // namespace

TransportRules TransportRules::from(const config::MainCf& cf) {
  TransportRules r;
  r.mydestination = cf.get_list("mydestination");
  r.relay_domains = cf.get_list("relay_domains");
  auto parents = cf.get_list("parent_domain_matches_subdomains");
  r.relay_parent_matches = listed(parents, "relay_domains");
  r.maps_parent_matches = listed(parents, "transport_maps");
  r.local_transport = cf.get("local_transport");
  r.relay_transport = cf.get("relay_transport");
  r.default_transport = cf.get("default_transport");
  r.recipient_delimiter = cf.get("recipient_delimiter");
  r.transport_maps = cf.get_list("transport_maps");
  r.virtual_alias_domains = cf.get_list("virtual_alias_domains");
  r.virtual_mailbox_domains = cf.get_list("virtual_mailbox_domains");
  r.virtual_transport = cf.get("virtual_transport");
  r.default_filter_nexthop = cf.get("default_filter_nexthop");
  return r;
}

bool valid_transport_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.size() > 100) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.'))
      return false;
  return true;
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  return without_root_dot(address.substr(at + 1));
}

Route split_transport(std::string_view value) {
  value = str::trim(value);
  size_t colon = value.find(':');
  if (colon == std::string_view::npos) return Route{std::string(value), ""};
  return Route{std::string(str::trim(value.substr(0, colon))), std::string(str::trim(value.substr(colon + 1)))};
}

std::vector<std::string> transport_keys(std::string_view recipient, std::string_view delimiters, bool parent_matches) {
  std::vector<std::string> keys;
  auto at = recipient.rfind('@');
  if (at != std::string_view::npos) {
    std::string local = str::lower(recipient.substr(0, at));
    std::string domain = without_root_dot(recipient.substr(at + 1));
    keys.push_back(local + "@" + domain);
    if (!delimiters.empty()) {
      size_t d = local.find_first_of(delimiters);
      if (d != std::string::npos && d > 0) keys.push_back(local.substr(0, d) + "@" + domain);
    }
    if (!domain.empty()) {
      keys.push_back(domain);
      // Parents: ".example.com" for a.b.example.com, or "example.com" when
      // transport_maps is in parent_domain_matches_subdomains.
      for (size_t dot = domain.find('.'); dot != std::string::npos; dot = domain.find('.', dot + 1)) {
        if (dot + 1 >= domain.size()) break;
        keys.push_back(parent_matches ? domain.substr(dot + 1) : domain.substr(dot));
      }
    }
  }
  keys.push_back("*");
  return keys;
}

Route apply_transport_result(const Route& dflt, std::string_view result, std::string_view domain) {
  Route r = split_transport(result);
  if (r.transport.empty() && r.nexthop.empty()) return dflt;
  if (r.transport.empty()) return Route{dflt.transport, r.nexthop};
  if (r.nexthop.empty()) r.nexthop = std::string(domain);
  return r;
}

bool is_pseudo_transport(std::string_view t) { return t == "error" || t == "retry" || t == "discard"; }

PseudoReply pseudo_reply(const Route& r) {
  PseudoReply p;
  char cls = r.transport == "error" ? '5' : r.transport == "retry" ? '4' : '2';
  p.status = cls == '5' ? 5 : cls == '4' ? 4 : 0;
  std::string_view text = r.nexthop;
  if (starts_with_dsn(text, cls)) {
    size_t sp = text.find(' ');
    p.dsn = std::string(text.substr(0, sp));
    text = sp == std::string_view::npos ? std::string_view() : str::trim(text.substr(sp + 1));
  } else {
    p.dsn = std::string(1, cls) + ".0.0";
  }
  p.reason = text.empty() ? (cls == '2' ? "discarded" : "delivery refused by transport " + r.transport)
                          : std::string(text);
  return p;
}

Route Router::class_default(std::string_view recipient) const {
  std::string domain = domain_of(recipient);
  bool local = recipient.find('@') == std::string_view::npos ||
               in_domain_list(domain, rules_.mydestination, /*parent_matches=*/false);
  if (local) {
    Route r = split_transport(rules_.local_transport);
    if (r.nexthop.empty()) r.nexthop = domain;
    return r;
  }
  bool relay = in_domain_list(domain, rules_.relay_domains, rules_.relay_parent_matches);
  Route r = split_transport(relay ? rules_.relay_transport : rules_.default_transport);
  if (r.nexthop.empty()) r.nexthop = domain;
  return r;
}

Route Router::filter_route(std::string_view filter, std::string_view recipient) const {
  Route r = split_transport(filter);
  if (r.nexthop.empty()) r.nexthop = rules_.default_filter_nexthop;
  if (r.nexthop.empty()) r.nexthop = domain_of(recipient);
  return r;
}

Result<Route> Router::route(std::string_view recipient) {
  Route dflt = class_default(recipient);
  std::string domain = domain_of(recipient);
  // After expansion an address of a virtual alias domain is no alias:
  // Postfix's trivial-rewrite sends it to the error transport.
  bool local = recipient.find('@') == std::string_view::npos ||
               in_domain_list(domain, rules_.mydestination, /*parent_matches=*/false);
  bool alias = false;
  if (!local && !alias_domains_.empty()) {
    auto alias_domain = alias_domains_.contains(domain);
    if (!alias_domain) return Error{"virtual_alias_domains: " + alias_domain.error().message};
    if (*alias_domain) dflt = Route{"error", "5.1.1 User unknown in virtual alias table"};
    alias = *alias_domain;
  }
  if (!alias && !domain.empty() && !mailbox_domains_.empty()) {
    auto mailbox_domain = mailbox_domains_.contains(domain);
    if (!mailbox_domain) return Error{"virtual_mailbox_domains: " + mailbox_domain.error().message};
    if (*mailbox_domain && local) {
      // Postfix's trivial-rewrite: mydestination wins, and says so.
      log::warning("do not list domain " + domain + " in BOTH mydestination and virtual_mailbox_domains");
    } else if (*mailbox_domain) {
      dflt = split_transport(rules_.virtual_transport);
      if (dflt.nexthop.empty()) dflt.nexthop = domain;
    }
  }
  if (rules_.transport_maps.empty()) return dflt;
  if (tables_.size() < rules_.transport_maps.size()) tables_.resize(rules_.transport_maps.size());
  auto keys = transport_keys(recipient, rules_.recipient_delimiter, rules_.maps_parent_matches);
  // Key by key, each through all tables (Postfix's maps_find per key).
  for (const auto& k : keys) {
    for (size_t i = 0; i < rules_.transport_maps.size(); ++i) {
      if (!tables_[i]) {
        auto t = map::open(rules_.transport_maps[i]);
        if (!t) return Error{"transport_maps: " + t.error().message};
        tables_[i] = std::move(*t);
      }
      auto v = tables_[i]->lookup(k);
      if (!v) return Error{"transport_maps: " + v.error().message};
      if (*v) return apply_transport_result(dflt, **v, domain);
    }
  }
  return dflt;
}

}  // namespace buzon::qmgr
