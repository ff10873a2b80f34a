// The parameter table: every main.cf parameter Buzon knows, with its
// Postfix-compatible name, default, type and the one sentence that
// "buzon conf -d" and main.cf(5) show. Keep it sorted by name (find_param
// does a binary search; t/lib/config/config_test.cpp checks the order).
//
// myhostname and mydomain have computed defaults (lib/config/config.cpp);
// their table default is empty. config_directory is always the directory
// main.cf was loaded from.
#include <algorithm>
#include <array>

#include "lib/config/config.h"

namespace buzon::config {
namespace {

using T = Type;

constexpr ParamDef kParams[] = {
    {"bounce_queue_lifetime", "5d", T::Time, "The maximal time a bounce message is queued before it is considered undeliverable."},
    {"config_directory", "", T::String, "The directory with the main.cf and master.cf configuration files; it comes from -c or MAIL_CONFIG, a main.cf setting has no effect."},
    {"daemon_directory", BUZON_DAEMON_DIR, T::String, "The directory with the daemon programs that the command column of master.cf refers to."},
    {"daemon_timeout", "18000s", T::Time, "How much time a daemon process may take to handle a request before it is terminated by a built-in watchdog timer."},
    {"default_destination_concurrency_limit", "20", T::Int, "The default maximal number of parallel deliveries to the same destination."},
    {"default_privs", "nobody", T::String, "The default rights used by the local delivery agent for delivery to an external file or command."},
    {"default_process_limit", "100", T::Int, "The default maximal number of processes of one master.cf service, used when its maxproc column is '-'."},
    {"deliver_lock_attempts", "20", T::Int, "The maximal number of attempts to acquire an exclusive lock on a mailbox file or bounce logfile."},
    {"deliver_lock_delay", "1s", T::Time, "The time between attempts to acquire an exclusive lock on a mailbox file or bounce logfile."},
    {"disable_vrfy_command", "yes", T::Bool, "Disable the SMTP VRFY command, which stops some techniques used to harvest email addresses."},
    {"header_size_limit", "102400", T::Size, "The maximal amount of memory in bytes for storing a message header; header text beyond it is discarded."},
    {"home_mailbox", "", T::String, "Optional pathname of a mailbox file relative to a local user's home directory; a name ending in '/' selects Maildir delivery."},
    {"hopcount_limit", "50", T::Int, "The maximal number of Received: message headers that is allowed in the primary message headers."},
    {"import_environment", "TZ LANG", T::List, "The environment variables that master passes on to the daemons it starts: a name imports the variable from master's environment when set, name=value sets it."},
    {"inet_interfaces", "all", T::List, "The local network interface addresses that this mail system receives mail on, or all."},
    {"ipc_idle", "5s", T::Time, "The time after which a client closes an idle internal communication channel."},
    {"ipc_timeout", "3600s", T::Time, "The time limit for sending or receiving information over an internal communication channel."},
    {"line_length_limit", "2048", T::Int, "Upon input, long lines are chopped up into pieces of at most this length; upon delivery, long lines are reconstructed."},
    {"local_destination_concurrency_limit", "2", T::Int, "The maximal number of parallel deliveries via the local delivery transport to the same recipient."},
    {"local_passwd_file", "", T::String, "Optional passwd-file (name:{SCHEME}hash:uid:gid::home::) whose entries stand in for system accounts, as in instance mode."},
    {"mail_name", "Buzon", T::String, "The mail system name that is displayed in Received: headers, in the SMTP greeting banner, and in bounced mail."},
    {"mail_owner", "buzon", T::String, "The UNIX system account that owns the queue and runs most daemon processes."},
    {"mail_spool_directory", "/var/mail", T::String, "The directory where UNIX-style mailboxes are kept, one mbox file per user."},
    {"mail_version", BUZON_VERSION, T::String, "The version of the mail system; it is compiled in and a main.cf setting only changes what is displayed."},
    {"mailbox_delivery_lock", "fcntl, dotlock", T::List, "How to lock a UNIX-style local mailbox before delivery: one or more of fcntl, flock and dotlock."},
    {"mailbox_size_limit", "51200000", T::Size, "The maximal size in bytes of an individual mailbox or maildir file, or zero for no limit."},
    {"maillog_file", "", T::String, "The name of an optional file to which every log line is appended, in addition to syslog."},
    {"max_idle", "100s", T::Time, "The maximum amount of time that an idle daemon process waits for an incoming connection before it terminates voluntarily."},
    {"max_use", "100", T::Int, "The maximal number of incoming connections that a daemon process serves before it terminates voluntarily."},
    {"maximal_backoff_time", "4000s", T::Time, "The maximal time between attempts to deliver a deferred message."},
    {"maximal_queue_lifetime", "5d", T::Time, "Consider a message undeliverable when delivery fails with a temporary error and its time in the queue has reached this limit."},
    {"message_size_limit", "10240000", T::Size, "The maximal size in bytes of a message, including envelope information."},
    {"minimal_backoff_time", "300s", T::Time, "The minimal time between attempts to deliver a deferred message."},
    {"mydestination", "$myhostname, localhost.$mydomain, localhost", T::List, "The list of domains that are delivered via the local delivery transport."},
    {"mydomain", "", T::String, "The internet domain name of this mail system; the default is $myhostname without its first component, or localdomain."},
    {"myhostname", "", T::String, "The internet hostname of this mail system; the default is the system hostname, with .localdomain appended when it has no dot."},
    {"myorigin", "$myhostname", T::String, "The domain name that locally-posted mail appears to come from, and that locally-posted mail is delivered to."},
    {"qmgr_message_active_limit", "20000", T::Int, "The maximal number of messages in the active queue."},
    {"queue_directory", "/var/spool/buzon", T::String, "The location of the top-level queue directory."},
    {"queue_run_delay", "300s", T::Time, "The time between deferred queue scans by the queue manager."},
    {"recipient_delimiter", "", T::String, "The set of characters that can separate a user name from its address extension (user+foo), or empty for none."},
    {"service_throttle_time", "60s", T::Time, "How long the master waits before forking a server that appears to be malfunctioning."},
    {"smtpd_banner", "$myhostname ESMTP $mail_name", T::String, "The text that follows the 220 status code in the SMTP greeting banner."},
    {"smtpd_error_sleep_time", "1s", T::Time, "The SMTP server response delay after a client has made more than smtpd_soft_error_limit errors."},
    {"smtpd_forbid_bare_newline", "normalize", T::String, "What the SMTP server does with a line that ends in a bare LF: normalize (treat it as CRLF), reject, or no (accept it unchanged)."},
    {"smtpd_hard_error_limit", "20", T::Int, "The maximal number of errors a remote SMTP client is allowed to make without delivering mail before the server disconnects."},
    {"smtpd_junk_command_limit", "100", T::Int, "The number of junk commands (NOOP, VRFY, ETRN or RSET) that a remote SMTP client can send before the server starts to count them as errors."},
    {"smtpd_process_client_limit", "1000", T::Int, "The maximal number of SMTP sessions that one smtpd process serves at the same time."},
    {"smtpd_recipient_limit", "1000", T::Int, "The maximal number of recipients that the SMTP server accepts per message delivery request."},
    {"smtpd_soft_error_limit", "10", T::Int, "The number of errors a remote SMTP client is allowed to make without delivering mail before the server slows down its responses."},
    {"smtpd_timeout", "300s", T::Time, "The time limit for sending an SMTP server response and for receiving an SMTP client request."},
    {"stale_lock_time", "300s", T::Time, "The time after which a stale exclusive mailbox lockfile is removed."},
    {"syslog_facility", "mail", T::String, "The syslog facility of mail system logging (mail, daemon, user, local0 ... local7)."},
    {"syslog_name", "buzon", T::String, "The mail system name that is prepended to the process name in log records, so that smtpd logs as buzon/smtpd."},
    {"trigger_timeout", "10s", T::Time, "The time limit for sending a trigger to a daemon, such as a wakeup of the queue manager."},
};

}  // namespace

std::span<const ParamDef> params() { return kParams; }

const ParamDef* find_param(std::string_view name) {
  auto it = std::lower_bound(std::begin(kParams), std::end(kParams), name,
                             [](const ParamDef& d, std::string_view n) { return d.name < n; });
  if (it == std::end(kParams) || it->name != name) return nullptr;
  return &*it;
}

}  // namespace buzon::config
