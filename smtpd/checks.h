// Recipient lookup for RCPT TO and VRFY: where the address goes (resolved
// as Postfix's trivial-rewrite does, see resolve.h), whether a local
// recipient exists, and what goes into the queue file. Whether the client
// may send there is the restriction lists' decision (policy.h).
#pragma once
#include <string>

#include "lib/address/address.h"
#include "smtpd/resolve.h"
#include "smtpd/settings.h"

namespace buzon::smtpd {

struct RcptLookup {
  Resolved route;
  bool known = true;        // false: a local address unknown to local_recipient_maps, or a
                            // virtual alias domain address unknown to virtual_alias_maps, or a
                            // virtual mailbox domain address unknown to virtual_mailbox_maps
  std::string temp_error;   // non-empty: a local_recipient_maps lookup failed (log text)
  std::string deliver_to;   // the address for the queue file's R record
  std::string original;     // when deliver_to differs from what was given: the O record
};

// a is the parsed RCPT address, possibly without a domain (then @myorigin,
// Postfix's append_at_myorigin). For a local address the local part,
// lower-cased with, then without its recipient_delimiter extension, must be
// known to local_recipient_maps (accounts and $alias_maps by default,
// smtpd/local_recipients.h); an empty local_recipient_maps knows every
// local part (local(8) then decides: luser_relay or a bounce). postmaster and mailer-daemon always exist (RFC
// 5321 4.5.1): without such an account and with a "root" account the
// message is queued for root@domain with the original address in the O
// record; otherwise as addressed, and local delivery (aliases) decides.
// An address whose local part routed elsewhere ("user%host@ours" from a
// trusted client) is queued for where it resolved to.
RcptLookup lookup_recipient(const Settings& s, const address::Address& a);

// The reply for a local address that is no account, or an address of a
// virtual alias domain that is no alias (Postfix's reject_unlisted_recipient
// texts and codes).
std::string unknown_user_reply(const Settings& s, const address::Address& a, AddressClass cls);

}  // namespace buzon::smtpd
