// sendmail - Buzon's sendmail and mailq (1)
// SYNOPSIS  sendmail [-t] [-i] [-f sender] [-F full_name] [-C config_dir] [-N dsn] [-R ret] [recipient...]
//           sendmail -bp | -bs | -q;  mailq [-C config_dir]
// SECURITY  Runs as the invoking user with no privileges (no set-uid or
//           set-gid bit): it submits over SMTP to smtpd on the UNIX socket
//           queue_directory/public/submit, which knows the user from
//           SO_PEERCRED. Input is untrusted: header bounded, addresses
//           parsed strictly, control characters refused in -f/-F.
// LIMITS    header_size_limit bytes of header read before sending; the body
//           is streamed, never held; 300 s per SMTP reply.
// SEE ALSO  mailq(1), buzon(1), smtpd(8), main.cf(5)
#include <signal.h>

#include "cli/sendmail.h"

int main(int argc, char** argv) {
  // A vanished server is reported by the write that failed, not by SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  return buzon::cli::sendmail_main(argc, argv);
}
