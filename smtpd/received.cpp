#include "smtpd/received.h"

#include <cstdio>
#include <cstdlib>

namespace buzon::smtpd {

std::string with_protocol(bool ehlo, bool smtputf8, bool tls, bool authenticated) {
  if (!ehlo) return "SMTP";  // SMTPUTF8 needs EHLO
  std::string p = smtputf8 ? "UTF8SMTP" : "ESMTP";
  if (tls) p += "S";
  if (authenticated) p += "A";
  return p;
}

std::string rfc_addr(std::string_view ip) {
  if (ip.find(':') != std::string_view::npos) return "IPv6:" + std::string(ip);
  return std::string(ip);
}

std::string received_header(const TraceInfo& t, std::time_t now) {
  std::string h = "Received: ";
  if (t.local) {
    h += "by " + t.hostname + " (" + t.mail_name + ", from userid " + std::to_string(t.uid) + ")\n\twith " +
         t.protocol + " id " + t.queue_id;
  } else {
    // RFC 5321 4.4: From-domain = "FROM" FWS Extended-Domain; without a
    // HELO there is no name the client gave, so say "unknown" as Postfix.
    h += "from " + (t.helo.empty() ? std::string("unknown") : t.helo) + " (" + t.client_name + " [" +
         rfc_addr(t.client_addr) + "])";
    if (!t.tls.empty()) h += "\n\t(using " + t.tls + ")";
    if (!t.auth_user.empty()) h += "\n\t(Authenticated sender: " + t.auth_user + ")";
    h += "\n\tby " + t.hostname + " (" + t.mail_name + ") with " + t.protocol +
         " id " + t.queue_id;
  }
  // Naming the recipient only when there is one keeps Bcc recipients of a
  // multi-recipient message private.
  if (!t.for_rcpt.empty()) h += "\n\tfor <" + t.for_rcpt + ">";
  h += "; " + rfc5322_date(now) + "\n";
  return h;
}

std::string message_id(std::string_view queue_id, std::string_view hostname, std::time_t now) {
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return "<" + std::string(stamp) + "." + std::string(queue_id) + "@" + std::string(hostname) + ">";
}

}  // namespace buzon::smtpd
