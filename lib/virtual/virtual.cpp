#include "lib/virtual/virtual.h"

#include "lib/address/address.h"
#include "lib/core/strings.h"

namespace buzon::virt {
namespace {

bool is_table(std::string_view item) { return item.find(':') != std::string_view::npos && item.front() != '/'; }

std::string domain_key(std::string_view d) {
  std::string out = str::lower(str::trim(d));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// {local part, domain (lower case)}; the domain is "" without '@'.
std::pair<std::string, std::string> split_address(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return {std::string(address), ""};
  return {std::string(address.substr(0, at)), domain_key(address.substr(at + 1))};
}

}  // namespace

Result<std::optional<std::string>> Tables::lookup(std::string_view key) {
  if (tables_.size() < specs_.size()) tables_.resize(specs_.size());
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (!tables_[i]) {
      auto t = map::open(specs_[i]);
      if (!t) return t.error();
      tables_[i] = std::move(*t);
    }
    auto v = tables_[i]->lookup(key);
    if (!v) return v.error();
    if (*v) return v;
  }
  return std::optional<std::string>();
}

namespace {
std::vector<std::string> only(const std::vector<std::string>& items, bool tables) {
  std::vector<std::string> out;
  for (const auto& i : items)
    if (!i.empty() && is_table(i) == tables) out.push_back(tables ? i : domain_key(i));
  return out;
}
}  // namespace

DomainList::DomainList(const std::vector<std::string>& items) : names_(only(items, false)), tables_(only(items, true)) {}

Result<bool> DomainList::contains(std::string_view domain) {
  if (domain.empty()) return false;
  for (const auto& n : names_)
    if (n == domain) return true;
  if (tables_.empty()) return false;
  auto v = tables_.lookup(domain);
  if (!v) return v.error();
  return v->has_value();
}

std::vector<AliasKey> alias_keys(std::string_view address, std::string_view delimiters, bool own_domain) {
  auto [local, domain] = split_address(address);
  std::string lower_local = str::lower(local);
  std::string bare(address::strip_extension(lower_local, delimiters));
  bool has_ext = bare != lower_local;
  std::vector<AliasKey> keys;
  if (domain.empty()) {
    keys.push_back({lower_local, false});
    if (has_ext) keys.push_back({bare, true});
    return keys;
  }
  keys.push_back({lower_local + "@" + domain, false});
  if (has_ext) keys.push_back({bare + "@" + domain, true});
  if (own_domain) {
    keys.push_back({lower_local, false});
    if (has_ext) keys.push_back({bare, true});
  }
  keys.push_back({"@" + domain, false});
  return keys;
}

std::vector<std::string> result_addresses(std::string_view result, std::string_view address, std::string_view ext,
                                          std::string_view myorigin) {
  std::vector<std::string> out;
  auto [user, domain] = split_address(address);
  for (auto& item : str::split(result, ", \t\r\n")) {
    std::string a = item;
    if (out.empty() && a.size() > 1 && a.front() == '@') {
      // "@otherdomain" first: the same user in that domain, as Postfix.
      a = user + a;
    } else if (a.find('@') == std::string::npos && !myorigin.empty()) {
      a += "@" + std::string(myorigin);  // append_at_myorigin
    }
    if (!ext.empty()) {
      auto at = a.rfind('@');
      if (at != std::string::npos && at > 0) a.insert(at, ext);
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::optional<std::vector<std::string>>> Aliases::lookup(std::string_view address) {
  auto [local, domain] = split_address(address);
  bool own = !domain.empty() && rules_.is_own_domain && rules_.is_own_domain(domain);
  for (const auto& k : alias_keys(address, rules_.delimiters, own)) {
    auto v = tables_.lookup(k.key);
    if (!v) return Error{"virtual_alias_maps: " + v.error().message};
    if (!*v) continue;
    std::string ext;
    if (k.without_extension && rules_.propagate_extension) {
      std::string bare(address::strip_extension(local, rules_.delimiters));
      ext = local.substr(bare.size());
    }
    return std::optional(result_addresses(**v, address, ext, rules_.myorigin));
  }
  return std::optional<std::vector<std::string>>();
}

Status Aliases::expand_into(const std::string& address, size_t depth, std::vector<std::string>& out,
                            std::set<std::string>& seen_out, std::set<std::string>& visited) {
  auto keep = [&](const std::string& a) -> Status {
    if (!seen_out.insert(str::lower(a)).second) return {};
    if (out.size() >= rules_.expansion_limit)
      return Error{"unreasonable virtual_alias_maps map expansion size for " + str::sanitize(address, 200)};
    out.push_back(a);
    return {};
  };
  if (depth > rules_.recursion_limit)
    return Error{"unreasonable virtual_alias_maps map nesting for " + str::sanitize(address, 200)};
  // Met again: a loop (a -> b -> a) ends at the address where it closes.
  if (!visited.insert(str::lower(address)).second) return keep(address);
  if (visited.size() > kVisitMax)
    return Error{"unreasonable virtual_alias_maps map expansion size for " + str::sanitize(address, 200)};
  auto found = lookup(address);
  if (!found) return found.error();
  if (!*found) return keep(address);
  for (const auto& next : **found) {
    Status s = str::iequals(next, address) ? keep(address) : expand_into(next, depth + 1, out, seen_out, visited);
    if (!s) return s;
  }
  return {};
}

Result<std::vector<std::string>> Aliases::expand(std::string_view address) {
  std::vector<std::string> out;
  std::set<std::string> seen_out, visited;
  if (auto s = expand_into(std::string(address), 0, out, seen_out, visited); !s) return s.error();
  return out;
}

}  // namespace buzon::virt
