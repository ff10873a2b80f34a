#include "smtpd/checks.h"

#include "lib/core/strings.h"
#include "lib/users/users.h"
#include "smtpd/policy.h"

namespace buzon::smtpd {

RcptLookup lookup_recipient(const Settings& s, const address::Address& given) {
  RcptLookup r;
  r.route = s.policy->resolve(given);
  const std::string text = given.text();
  const bool rewritten = r.route.routed || given.domain.empty();
  r.deliver_to = rewritten ? r.route.address() : text;
  if (rewritten) r.original = text;
  if (r.route.cls != AddressClass::Local) return r;

  // local_recipient_maps empty: every local part, local(8) decides
  // (luser_relay, or a bounce), as Postfix.
  if (!s.local_recipients || !s.local_recipients->enabled()) return r;
  const std::string name = str::lower(address::strip_extension(r.route.local, s.recipient_delimiter));
  auto known = s.local_recipients->known(*s.cf, str::lower(r.route.local), name);
  if (!known) {
    r.temp_error = known.error().message;
    return r;
  }
  if (*known) return r;
  if (name == "postmaster" || name == "mailer-daemon") {
    auto root = users::find(*s.cf, "root");
    if (root && *root) {
      r.original = text;
      r.deliver_to = "root@" + r.route.domain;
    }
    return r;
  }
  r.known = false;
  return r;
}

std::string unknown_user_reply(const Settings& s, const address::Address& a) {
  std::string code = std::to_string(s.policy->params.unknown_local_code);
  return code + " " + code[0] + ".1.1 <" + shown_address(a) +
         ">: Recipient address rejected: User unknown in local recipient table";
}

}  // namespace buzon::smtpd
