// sendmail -bs: an SMTP conversation on stdin/stdout, relayed byte for
// byte to smtpd on public/submit (which does all the protocol work and
// knows the user from SO_PEERCRED). The only change: a bare LF from stdin
// becomes CRLF, because people type -bs sessions by hand.
#pragma once
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::cli {

// Converts bare LF to CRLF; last_cr carries the state across chunks.
std::string lf_to_crlf(std::string_view in, bool& last_cr);

// Copies in_fd -> sock (converted) and sock -> out_fd until the server
// closes the connection. At end of in_fd the socket's write side is shut
// down and the server's remaining output is still copied.
Status relay_smtp(int in_fd, int out_fd, int sock);

}  // namespace buzon::cli
