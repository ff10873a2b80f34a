// smtpd - SMTP server (8)
// SYNOPSIS  smtpd [generic daemon options] (started by master)
// SECURITY  Talks to untrusted clients. Runs as mail_owner (master.cf
//           unpriv column), never as root; every read is bounded. Local
//           submission identifies the sender with SO_PEERCRED, never with
//           anything the client says. Relaying is refused to network clients
//           unless authenticated (authd checks passwords; smtpd never sees
//           password data). TLS keys are loaded as root before the drop.
// LIMITS    line_length_limit, smtpd_recipient_limit, message_size_limit,
//           header_size_limit, hopcount_limit, smtpd_hard_error_limit,
//           smtpd_soft_error_limit, smtpd_error_sleep_time,
//           smtpd_junk_command_limit, smtpd_timeout, smtpd_process_client_limit,
//           smtpd_sasl_response_limit, smtpd_client_connection_count_limit,
//           smtpd_client_connection_rate_limit, smtpd_client_message_rate_limit,
//           smtpd_client_recipient_rate_limit, smtpd_client_auth_rate_limit,
//           smtpd_client_new_tls_session_rate_limit (counted by anvil); DNS answers
//           per session (kDnsCacheMax), each lookup bounded by the resolver's
//           timeouts (lib/dns)
// SEE ALSO  master(8), qmgr(8), local(8), authd(8), anvil(8), sendmail(1), main.cf(5)
#include "lib/daemon/daemon.h"
#include "smtpd/serve.h"

int main(int argc, char** argv) {
  return buzon::daemon::run(argc, argv, {.name = "smtpd",
                                         .pre_jail = buzon::smtpd::pre_jail,  // enter queue_directory
                                         .serve = buzon::smtpd::serve});      // unprivileged
}
