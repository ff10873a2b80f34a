#include "smtpd/checks.h"

#include "lib/core/strings.h"
#include "lib/users/users.h"

namespace buzon::smtpd {
namespace {

RcptVerdict reject(std::string reply, std::string detail = {}) {
  RcptVerdict v;
  v.reply = std::move(reply);
  v.log_detail = std::move(detail);
  return v;
}

RcptVerdict accept(std::string to, std::string original = {}) {
  RcptVerdict v;
  v.ok = true;
  v.deliver_to = std::move(to);
  v.original = std::move(original);
  return v;
}

}  // namespace

RcptVerdict check_recipient(const Settings& s, const address::Address& given, bool local_client) {
  const std::string shown = given.text();
  address::Address a = given;
  const bool bare_postmaster = a.domain.empty() && str::iequals(a.local, "postmaster");
  if (a.domain.empty()) {
    if (local_client) {
      a.domain = s.myorigin;
    } else if (bare_postmaster) {
      a.domain = s.hostname;
    } else {
      return reject("501 5.1.3 Bad recipient address syntax");
    }
  }

  const bool local_domain = bare_postmaster || (!a.is_literal() && is_local_domain(s, a.domain));
  if (!local_domain) {
    // Relaying is for local submission only until authenticated submission
    // and mynetworks exist; anything else would be an open relay.
    if (local_client) return accept(a.text());
    return reject("554 5.7.1 <" + shown + ">: Relay access denied");
  }

  const std::string name = str::lower(address::strip_extension(a.local, s.recipient_delimiter));
  auto user = users::find(*s.cf, name);
  if (!user) return reject("451 4.3.0 <" + shown + ">: Temporary lookup failure", user.error().message);
  if (*user) return accept(a.text());

  if (name == "postmaster" || name == "mailer-daemon") {
    auto root = users::find(*s.cf, "root");
    if (root && *root) return accept("root@" + a.domain, a.text());
    return accept(a.text());
  }
  return reject("550 5.1.1 <" + shown + ">: Recipient address rejected: User unknown in local recipient table");
}

}  // namespace buzon::smtpd
