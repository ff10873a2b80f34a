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
    : aliases_(rules_from(cf)),
      domains_(cf.get_list("virtual_alias_domains")),
      mailbox_domains_(cf.get_list("virtual_mailbox_domains")),
      mailboxes_(cf.get_list("virtual_mailbox_maps"), {}, {}, cf.get("recipient_delimiter")) {}

Result<bool> VirtualRecipients::mailbox_domain(std::string_view domain) {
  if (mailbox_domains_.empty()) return false;
  auto in = mailbox_domains_.contains(domain);
  if (!in) return Error{"virtual_mailbox_domains: " + in.error().message};
  return *in;
}

Result<bool> VirtualRecipients::has_mailbox(std::string_view address) {
  if (!mailboxes_.enabled()) return true;
  auto found = mailboxes_.mailbox(address);
  if (!found) return Error{"virtual_mailbox_maps: " + found.error().message};
  return found->has_value();
}

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
