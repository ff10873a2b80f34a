// The hand-off of a logged-in POP3 client from the login process (pop3d,
// mail_owner) to the post-login service (pop3-session, root until it
// drops to the user) over a UNIX stream socket: one byte with the client
// descriptor attached (SCM_RIGHTS), then an attr message (lib/attr) with
// the login ticket and what the session needs to know. The session
// service trusts nothing in it but the ticket, which it redeems with authd.
//
// LIMITS  kPrereadMax bytes of client input read past the login command
//         (pipelined commands) travel with the hand-off.
#pragma once
#include <chrono>
#include <string>

#include "lib/core/fd.h"
#include "lib/core/result.h"

namespace buzon::pop3d {

constexpr size_t kPrereadMax = 8192;

struct Handoff {
  std::string ticket;     // from authd's success reply
  std::string rip, lip;   // for the session's log lines
  std::string mechanism;
  bool tls = false;       // the client side is TLS (the login process proxies it)
  std::string preread;    // client bytes after the login command
};

// Sends client and h over sock. Errors: preread over kPrereadMax, a
// failed sendmsg/write (the service is gone), the timeout.
Status send_handoff(int sock, int client, const Handoff& h, std::chrono::milliseconds timeout);

struct Received {
  Fd client;
  Handoff handoff;
};
// Receives a hand-off from sock (blocking, bounded by timeout). Errors: no
// descriptor attached, a malformed or oversized message, the timeout.
Result<Received> receive_handoff(int sock, std::chrono::milliseconds timeout);

}  // namespace buzon::pop3d
