// pop3d's log lines, in Postfix's "name: key=value, ..." shape with
// Dovecot's fields, so that both kinds of log readers find what they know:
//   login: user=<alice>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, TLS
//   Disconnected: user=<alice>, rip=192.0.2.7, reason=Logged out, top=0/0, retr=1/2048, del=1/3, size=4096
// Values from the client are sanitized and truncated.
#pragma once
#include <cstdint>
#include <string>

namespace buzon::pop3d {

struct SessionStats {
  unsigned long top_count = 0;
  uint64_t top_bytes = 0;
  unsigned long retr_count = 0;
  uint64_t retr_bytes = 0;
  size_t deleted = 0;       // actually removed at QUIT
  size_t messages = 0;      // in the maildrop at login
  uint64_t size = 0;        // octets in the maildrop at login
};

struct Endpoints {
  std::string rip;  // remote (client) address
  std::string lip;  // local address
};

std::string login_line(const std::string& user, const std::string& method, const Endpoints& ep, bool tls);
std::string logout_line(const std::string& user, const Endpoints& ep, const std::string& reason,
                        const SessionStats& st);
// Before login: "Disconnected: rip=..., lip=..., reason=..., auth_attempts=N"
std::string prelogin_line(const Endpoints& ep, const std::string& reason, unsigned auth_attempts, bool tls);

}  // namespace buzon::pop3d
