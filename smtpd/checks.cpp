#include "smtpd/checks.h"

#include "lib/core/strings.h"
#include "lib/log/log.h"
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
  if (s.virtual_recipients) {
    // Postfix check_rcpt_maps: an address virtual_alias_maps lists exists,
    // whatever its domain; other addresses of a virtual alias domain do not.
    auto alias = s.virtual_recipients->has_alias(r.route.address());
    if (!alias) {
      r.temp_error = alias.error().message;
      return r;
    }
    if (r.route.cls != AddressClass::Local) {
      auto domain = s.virtual_recipients->alias_domain(r.route.domain);
      if (!domain) {
        r.temp_error = domain.error().message;
        return r;
      }
      if (*domain) {
        r.route.cls = AddressClass::VirtualAlias;
        r.known = *alias;
      }
    }
    // Virtual mailbox domains (Postfix's order: after mydestination and
    // virtual_alias_domains): the address must be in virtual_mailbox_maps
    // (user+ext@domain, user@domain or the @domain catch-all) unless
    // virtual_alias_maps lists it.
    if (r.route.cls != AddressClass::VirtualAlias && !r.route.domain.empty()) {
      auto domain = s.virtual_recipients->mailbox_domain(r.route.domain);
      if (!domain) {
        r.temp_error = domain.error().message;
        return r;
      }
      if (*domain && r.route.cls == AddressClass::Local) {
        log::warning("do not list domain " + r.route.domain + " in BOTH mydestination and virtual_mailbox_domains");
      } else if (*domain) {
        r.route.cls = AddressClass::VirtualMailbox;
        if (!*alias) {
          auto mailbox = s.virtual_recipients->has_mailbox(r.route.address());
          if (!mailbox) {
            r.temp_error = mailbox.error().message;
            return r;
          }
          r.known = *mailbox;
        }
        return r;
      }
    }
    if (*alias) return r;
  }
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

std::string unknown_user_reply(const Settings& s, const address::Address& a, AddressClass cls) {
  int code = s.policy->params.unknown_local_code;
  const char* table = "local recipient table";
  if (cls == AddressClass::VirtualAlias) code = s.policy->params.unknown_virtual_alias_code, table = "virtual alias table";
  if (cls == AddressClass::VirtualMailbox)
    code = s.policy->params.unknown_virtual_mailbox_code, table = "virtual mailbox table";
  std::string c = std::to_string(code);
  return c + " " + c[0] + ".1.1 <" + shown_address(a) + ">: Recipient address rejected: User unknown in " + table;
}

}  // namespace buzon::smtpd
