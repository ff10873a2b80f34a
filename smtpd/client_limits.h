// Per-client limits that anvil counts across all smtpd processes of a
// service (Postfix's smtpd_client_*_limit), and who is exempt from them.
//
//   smtpd_client_connection_count_limit  at connect: 421 4.7.0, session ends
//   smtpd_client_connection_rate_limit   at connect: 421 4.7.0, session ends
//   smtpd_client_message_rate_limit      at MAIL:    450 4.7.1
//   smtpd_client_recipient_rate_limit    at RCPT:    450 4.7.1
//   smtpd_client_auth_rate_limit         at AUTH:    450 4.7.1
//   smtpd_client_new_tls_session_rate_limit
//       counted after each new (not resumed) TLS handshake: 421 4.7.0,
//       session ends; checked before STARTTLS (454 4.7.0, the session
//       goes on in plaintext) and before a wrapper-mode handshake
//       (the connection is closed without a word)
//
// smtpd_client_event_limit_exceptions (default: mynetworks) lists
// network/mask, bare addresses, host names and ".domain" patterns; a
// "!pattern" excludes. The first matching item decides, as in Postfix's
// match lists. Local submission is never limited.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.h"
#include "lib/core/result.h"
#include "lib/net/ip.h"

namespace buzon::smtpd {

struct ClientLimits {
  unsigned connection_count = 50;  // 0: no limit
  unsigned connection_rate = 0;
  unsigned message_rate = 0;
  unsigned recipient_rate = 0;
  unsigned auth_rate = 0;
  unsigned new_tls_rate = 0;

  struct Pattern {
    bool negated = false;
    std::optional<net::Cidr> net;  // else name
    std::string name;              // lower case; ".domain" matches subdomains
  };
  std::vector<Pattern> exceptions;

  // Whether any limit is set (else smtpd need not talk to anvil at all).
  bool any() const {
    return connection_count || connection_rate || message_rate || recipient_rate || auth_rate || new_tls_rate;
  }
  // Whether the client (its address; its verified name or "unknown") is in
  // smtpd_client_event_limit_exceptions.
  bool exempt(const std::optional<net::IpAddr>& ip, std::string_view name) const;
};

// Errors: a pattern that is neither an address, a network nor a name
// (tables such as hash:/path are not supported here yet).
Result<ClientLimits> load_client_limits(const config::MainCf& cf);

}  // namespace buzon::smtpd
