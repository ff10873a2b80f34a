// Recipient checks for RCPT TO (and VRFY): which domains are ours, which
// local users exist, and who may relay. Later restriction lists
// (smtpd_recipient_restrictions) plug in here.
#pragma once
#include <string>

#include "lib/address/address.h"
#include "smtpd/settings.h"

namespace buzon::smtpd {

struct RcptVerdict {
  bool ok = false;
  std::string reply;       // when !ok: the whole reply line, without CRLF
  std::string deliver_to;  // when ok: the address for the queue file's R record
  std::string original;    // when ok and deliver_to differs: the O record
  std::string log_detail;  // for the log only (a lookup error), may be empty
};

// a is the parsed RCPT address, possibly without a domain. Rules, in order:
//  - no domain: local submission appends @myorigin (Postfix's
//    append_at_myorigin); "<Postmaster>" (any case, RFC 5321 4.1.1.3) is
//    ours; anything else from a network client is a syntax error (501 5.1.3).
//  - a domain not in mydestination (and every address literal): refused
//    with 554 5.7.1 Relay access denied from network clients; accepted from
//    local submission (qmgr defers it until an outbound transport exists).
//  - a local domain: the local part, lower-cased and without its
//    recipient_delimiter extension, must be an account (users::find); a
//    lookup failure is 451 4.3.0, an unknown user 550 5.1.1.
//  - postmaster and mailer-daemon are always accepted (RFC 5321 4.5.1):
//    when no account has that name and "root" exists, the message is queued
//    for root@domain with the original address in the O record; otherwise
//    it is queued as addressed and local delivery (aliases) decides.
RcptVerdict check_recipient(const Settings& s, const address::Address& a, bool local_client);

}  // namespace buzon::smtpd
