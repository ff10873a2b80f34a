// The trace header smtpd prepends to every message (RFC 5321 section 4.4)
// and the headers it adds to local submissions that lack them.
#pragma once
#include <ctime>
#include <string>
#include <string_view>

#include "lib/core/date.h"

namespace buzon::smtpd {

struct TraceInfo {
  std::string helo;         // HELO/EHLO argument, already made printable; may be empty
  std::string client_name;  // "unknown": no DNS lookups yet
  std::string client_addr;  // numeric IP; empty for local submission
  bool local = false;       // local submission (SO_PEERCRED)
  unsigned long uid = 0;    // the submitter's uid when local
  std::string hostname;     // myhostname
  std::string mail_name;    // "Buzon"
  std::string protocol;     // "SMTP" after HELO (or none), "ESMTP" after EHLO
  std::string queue_id;
  std::string for_rcpt;     // the recipient when there is exactly one, else ""
  std::string tls;          // "TLSv1.3 with cipher ... (256/256 bits)" (smtpd_tls_received_header)
  std::string auth_user;    // SASL login (smtpd_sasl_authenticated_header)
};

// The "with" protocol of the Received: header (RFC 3848, RFC 6531 section
// 3.7.3): SMTP after HELO, ESMTP after EHLO, UTF8SMTP when the transaction
// used SMTPUTF8; TLS adds S and authentication A (ESMTPSA, UTF8SMTPSA).
std::string with_protocol(bool ehlo, bool smtputf8, bool tls = false, bool authenticated = false);

using buzon::rfc5322_date;  // lib/core/date.h

// The whole header, lines ending in LF (the queue file form):
//   Received: from HELO (unknown [192.0.2.1])
//   	(using TLSv1.3 with cipher ... (256/256 bits))   with tls set
//   	(Authenticated sender: alice)                    with auth_user set
//   	by myhostname (Buzon) with ESMTP id QUEUEID
//   	for <rcpt>; DATE
// and for local submission, Postfix's shape for its sendmail:
//   Received: by myhostname (Buzon, from userid 1000)
//   	with ESMTP id QUEUEID
//   	for <rcpt>; DATE
std::string received_header(const TraceInfo& t, std::time_t now);

// An address literal for the TCP-info of a Received: header:
// "192.0.2.1" or "IPv6:2001:db8::1" (RFC 5321 section 4.1.3).
std::string rfc_addr(std::string_view ip);

// "<20241203105237.QUEUEID@myhostname>": unique because queue IDs are.
std::string message_id(std::string_view queue_id, std::string_view hostname, std::time_t now);

}  // namespace buzon::smtpd
