#include "qmgr/transport.h"

#include "lib/core/strings.h"

namespace buzon::qmgr {

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  std::string d = str::lower(address.substr(at + 1));
  if (!d.empty() && d.back() == '.') d.pop_back();
  return d;
}

Route route(std::string_view recipient, const std::vector<std::string>& mydestination) {
  // A bare name is local by definition, as Postfix treats $myorigin's users.
  if (recipient.find('@') == std::string_view::npos) return Route{true, "", ""};
  std::string domain = domain_of(recipient);
  for (const auto& d : mydestination) {
    std::string_view want = d;
    if (!want.empty() && want.back() == '.') want.remove_suffix(1);
    if (!domain.empty() && str::iequals(domain, want)) return Route{true, "", ""};
  }
  return Route{false, "4.4.1", "mail transport unavailable: no relay transport yet"};
}

}  // namespace buzon::qmgr
