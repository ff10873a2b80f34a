#include "smtpd/resolve.h"

#include "lib/core/strings.h"

namespace buzon::smtpd {

std::string shown_address(const address::Address& a) {
  if (a.is_null) return "";
  return a.domain.empty() ? a.local : a.local + "@" + a.domain + (a.root_dot ? "." : "");
}

Resolved resolve(const address::Address& a, const ResolveRules& rules) {
  Resolved r;
  r.local = a.local;
  r.domain = str::lower(a.domain);
  if (r.domain.empty()) {
    // append_at_myorigin: "site!user" and "user%site" without a domain are
    // cracked below once the origin turned out to be ours.
    r.domain = rules.myorigin;
  }
  for (int step = 0; step < kResolveSteps; ++step) {
    if (!rules.is_local(r.domain)) {
      r.cls = rules.is_relay(r.domain) ? AddressClass::Relay : AddressClass::Default;
      return r;
    }
    // Our domain: whatever routing is left in the local part decides.
    std::string& l = r.local;
    if (size_t at = l.rfind('@'); at != std::string::npos) {
      r.domain = str::lower(l.substr(at + 1));
      l.erase(at);
    } else if (size_t pct = l.rfind('%'); rules.percent_hack && pct != std::string::npos) {
      r.domain = str::lower(l.substr(pct + 1));
      l.erase(pct);
    } else if (size_t bang = l.find('!'); rules.swap_bangpath && bang != std::string::npos) {
      r.domain = str::lower(l.substr(0, bang));
      l.erase(0, bang + 1);
    } else {
      r.cls = AddressClass::Local;
      return r;
    }
    r.routed = true;
    while (!r.domain.empty() && r.domain.back() == '.') r.domain.pop_back();
    if (r.domain.empty()) r.domain = rules.myorigin;  // "user@" or "user%": Postfix strips the empty domain
  }
  r.cls = AddressClass::Default;
  return r;
}

}  // namespace buzon::smtpd
