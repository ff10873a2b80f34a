#include "smtpd/virtual_recipients.h"

#include <algorithm>

#include "lib/config/config.h"
#include "lib/core/strings.h"

namespace buzon::smtpd {
namespace {

virt::AliasRules rules_from(const config::MainCf& cf) {
  virt::AliasRules r;
  r.maps = cf.get_list("virtual_alias_maps");
  r.delimiters = cf.get("recipient_delimiter");
  r.myorigin = str::lower(cf.get("myorigin"));
  r.is_own_domain = [own = cf.get_list("mydestination"), origin = r.myorigin](std::string_view d) {
    return d == origin || std::any_of(own.begin(), own.end(), [d](const std::string& o) { return str::iequals(o, d); });
  };
  return r;
}

}  // namespace

VirtualRecipients::VirtualRecipients(const config::MainCf& cf)
    : aliases_(rules_from(cf)), domains_(cf.get_list("virtual_alias_domains")) {}

Result<bool> VirtualRecipients::alias_domain(std::string_view domain) {
  auto in = domains_.contains(domain);
  if (!in) return Error{"virtual_alias_domains: " + in.error().message};
  return *in;
}

Result<bool> VirtualRecipients::has_alias(std::string_view address) {
  if (!aliases_.enabled()) return false;
  auto found = aliases_.lookup(address);
  if (!found) return found.error();
  return found->has_value();
}

}  // namespace buzon::smtpd
