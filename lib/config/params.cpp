// The parameter table: every main.cf parameter Buzon knows, with its
// Postfix-compatible name, default, type and the one sentence that
// "buzon conf -d" and main.cf(5) show. Keep it sorted by name (find_param
// does a binary search; t/lib/config/config_test.cpp checks the order).
//
// myhostname, mydomain and mynetworks have computed defaults
// (lib/config/config.cpp); their table default is empty. config_directory is always the directory
// main.cf was loaded from.
#include <algorithm>
#include <array>

#include "lib/config/config.h"

namespace buzon::config {
namespace {

using T = Type;

constexpr ParamDef kParams[] = {
    {"2bounce_notice_recipient", "postmaster", T::String, "The recipient of undeliverable mail that cannot be returned to the sender (a failed message from <>)."},
    {"access_map_defer_code", "450", T::Int, "The SMTP server response code when a client, helo, sender or recipient access table lookup yields DEFER."},
    {"access_map_reject_code", "554", T::Int, "The SMTP server response code when a client, helo, sender or recipient access table lookup yields REJECT."},
    {"alias_database", "hash:$config_directory/aliases", T::List, "The alias databases that are built by newaliases and sendmail -bi, each from its aliases(5) source file."},
    {"alias_maps", "hash:$config_directory/aliases", T::List, "The alias tables that the local delivery agent looks up, in order; a table that cannot be read defers the delivery."},
    {"allow_percent_hack", "yes", T::Bool, "Treat user%domain in an address as user@domain when deciding where mail goes (and so whether it is relayed)."},
    {"allow_untrusted_routing", "no", T::Bool, "Forward mail with sender-specified routing (user[@%!]remote@ours) from untrusted clients to destinations in relay_domains."},
    {"auth_allow_weak_schemes", "no", T::Bool, "Accept passwords stored with the PLAIN and CRAM-MD5 schemes (clear-text equivalent); when no, such entries never authenticate."},
    {"auth_ban_threshold", "10", T::Int, "The number of authentication failures from one client IP address within auth_ban_window after which authd refuses that address for auth_ban_time; 0 disables banning."},
    {"auth_ban_time", "1h", T::Time, "How long authd refuses every authentication attempt from a client IP address that reached auth_ban_threshold."},
    {"auth_ban_window", "10m", T::Time, "The time window in which authentication failures from one client IP address are counted against auth_ban_threshold."},
    {"auth_failure_delay", "2s", T::Time, "How long authd waits before it answers a failed authentication, whatever the reason."},
    {"auth_mechanisms", "plain login", T::List, "The SASL mechanisms authd offers: plain, login, cram-md5, scram-sha-1, scram-sha-256 (anonymous is never offered)."},
    {"auth_owner", "buzon-auth", T::String, "The UNIX system account authd runs as, the only one that can read the password databases; in group shadow it also sees changes of /etc/shadow."},
    {"auth_passdb", "", T::List, "The password databases authd consults in order: passwd-file:/path, hash:/path or system; empty means passwd-file:$local_passwd_file when that is set, else system."},
    {"auth_request_limit", "64", T::Int, "The maximal number of authentication requests that one authd client connection may have in progress."},
    {"bounce_queue_lifetime", "5d", T::Time, "The maximal time a bounce message is queued before it is considered undeliverable."},
    {"bounce_size_limit", "50000", T::Size, "The maximal amount of original message text that is sent in a non-delivery notification; larger messages are returned as headers only."},
    {"config_directory", "", T::String, "The directory with the main.cf and master.cf configuration files; it comes from -c or MAIL_CONFIG, a main.cf setting has no effect."},
    {"daemon_directory", BUZON_DAEMON_DIR, T::String, "The directory with the daemon programs that the command column of master.cf refers to."},
    {"daemon_timeout", "18000s", T::Time, "How much time a daemon process may take to handle a request before it is terminated by a built-in watchdog timer."},
    {"default_database_type", "hash", T::String, "The table type that buzon map and newaliases use for a file name without type: prefix."},
    {"default_destination_concurrency_limit", "20", T::Int, "The default maximal number of parallel deliveries to the same destination."},
    {"default_pass_scheme", "SHA512-CRYPT", T::String, "The password scheme that buzon user add and passwd use to hash new passwords: SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT, ARGON2ID or SCRAM-SHA-256."},
    {"default_privs", "nobody", T::String, "The default rights used by the local delivery agent for delivery to an external file or command."},
    {"default_process_limit", "100", T::Int, "The default maximal number of processes of one master.cf service, used when its maxproc column is '-'."},
    {"defer_code", "450", T::Int, "The SMTP server response code when a remote SMTP client request is rejected by the defer restriction."},
    {"delay_warning_time", "0h", T::Time, "The time after which the sender receives a copy of the message headers of mail that is still queued; 0 disables the warnings."},
    {"deliver_lock_attempts", "20", T::Int, "The maximal number of attempts to acquire an exclusive lock on a mailbox file or bounce logfile."},
    {"deliver_lock_delay", "1s", T::Time, "The time between attempts to acquire an exclusive lock on a mailbox file or bounce logfile."},
    {"disable_vrfy_command", "yes", T::Bool, "Disable the SMTP VRFY command, which stops some techniques used to harvest email addresses."},
    {"double_bounce_sender", "double-bounce", T::String, "The sender address of postmaster notifications that are generated by the mail system; mail to it is discarded when undeliverable."},
    {"header_size_limit", "102400", T::Size, "The maximal amount of memory in bytes for storing a message header; header text beyond it is discarded."},
    {"home_mailbox", "", T::String, "Optional pathname of a mailbox file relative to a local user's home directory; a name ending in '/' selects Maildir delivery."},
    {"hopcount_limit", "50", T::Int, "The maximal number of Received: message headers that is allowed in the primary message headers."},
    {"import_environment", "TZ LANG", T::List, "The environment variables that master passes on to the daemons it starts: a name imports the variable from master's environment when set, name=value sets it."},
    {"inet_interfaces", "all", T::List, "The local network interface addresses that this mail system receives mail on, or all."},
    {"inet_protocols", "all", T::List, "The Internet protocols this mail system uses: all, or one or both of ipv4 and ipv6."},
    {"invalid_hostname_reject_code", "501", T::Int, "The SMTP server response code when a client HELO or EHLO hostname is rejected by reject_invalid_helo_hostname."},
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
    {"message_drop_headers", "bcc, content-length, resent-bcc, return-path", T::List, "Names of message headers that the SMTP server removes from every message before it is queued."},
    {"message_size_limit", "10240000", T::Size, "The maximal size in bytes of a message, including envelope information."},
    {"minimal_backoff_time", "300s", T::Time, "The minimal time between attempts to deliver a deferred message."},
    {"mydestination", "$myhostname, localhost.$mydomain, localhost", T::List, "The list of domains that are delivered via the local delivery transport."},
    {"mydomain", "", T::String, "The internet domain name of this mail system; the default is $myhostname without its first component, or localdomain."},
    {"myhostname", "", T::String, "The internet hostname of this mail system; the default is the system hostname, with .localdomain appended when it has no dot."},
    {"mynetworks", "", T::List, "The trusted remote SMTP clients (network/mask, IPv6 as [address]/mask) that may relay through this server; the default comes from mynetworks_style."},
    {"mynetworks_style", "host", T::String, "How the default mynetworks is computed: host (the local machine's addresses), subnet (its subnetworks) or class (their class A/B/C networks)."},
    {"myorigin", "$myhostname", T::String, "The domain name that locally-posted mail appears to come from, and that locally-posted mail is delivered to."},
    {"non_fqdn_reject_code", "504", T::Int, "The SMTP server response code when a client HELO hostname, sender or recipient address is not in fully-qualified domain form."},
    {"parent_domain_matches_subdomains", "debug_peer_list, fast_flush_domains, mynetworks, permit_mx_backup_networks, qmqpd_authorized_clients, relay_domains, smtpd_access_maps", T::List, "The features where a domain name matches itself and its subdomains; elsewhere a subdomain needs a .domain pattern."},
    {"proxy_interfaces", "", T::List, "The network interface addresses that this mail system receives mail on by way of a proxy or network address translation unit."},
    {"qmgr_message_active_limit", "20000", T::Int, "The maximal number of messages in the active queue."},
    {"qmgr_message_recipient_limit", "20000", T::Int, "The maximal number of recipients held in memory by the queue manager; a message with more is still taken in when nothing else is active."},
    {"queue_directory", "/var/spool/buzon", T::String, "The location of the top-level queue directory."},
    {"queue_run_delay", "300s", T::Time, "The time between deferred queue scans by the queue manager."},
    {"recipient_delimiter", "", T::String, "The set of characters that can separate a user name from its address extension (user+foo), or empty for none."},
    {"reject_code", "554", T::Int, "The SMTP server response code when a remote SMTP client request is rejected by the reject restriction."},
    {"relay_domains", "", T::List, "The destination domains (and subdomains) that this system relays mail to, besides its own."},
    {"relay_domains_reject_code", "554", T::Int, "The SMTP server response code when a client request is rejected by reject_unauth_destination."},
    {"service_throttle_time", "60s", T::Time, "How long the master waits before forking a server that appears to be malfunctioning."},
    {"smtpd_banner", "$myhostname ESMTP $mail_name", T::String, "The text that follows the 220 status code in the SMTP greeting banner."},
    {"smtpd_client_restrictions", "", T::List, "Optional restrictions that the SMTP server applies in the context of a client connection request."},
    {"smtpd_data_restrictions", "", T::List, "Optional access restrictions that the SMTP server applies in the context of the SMTP DATA command."},
    {"smtpd_delay_reject", "yes", T::Bool, "Wait until the RCPT TO command before evaluating the client, helo and sender restrictions."},
    {"smtpd_enforce_tls", "no", T::Bool, "Mandatory TLS: announce STARTTLS and require it before any other command but EHLO, HELO, NOOP and QUIT (obsolete: use smtpd_tls_security_level = encrypt)."},
    {"smtpd_error_sleep_time", "1s", T::Time, "The SMTP server response delay after a client has made more than smtpd_soft_error_limit errors."},
    {"smtpd_forbid_bare_newline", "normalize", T::String, "What the SMTP server does with a line that ends in a bare LF: normalize (treat it as CRLF), reject, or no (accept it unchanged)."},
    {"smtpd_hard_error_limit", "20", T::Int, "The maximal number of errors a remote SMTP client is allowed to make without delivering mail before the server disconnects."},
    {"smtpd_helo_required", "no", T::Bool, "Require that a remote SMTP client introduces itself with HELO or EHLO before sending MAIL or other commands."},
    {"smtpd_helo_restrictions", "", T::List, "Optional restrictions that the SMTP server applies in the context of a client HELO or EHLO command."},
    {"smtpd_junk_command_limit", "100", T::Int, "The number of junk commands (NOOP, VRFY, ETRN or RSET) that a remote SMTP client can send before the server starts to count them as errors."},
    {"smtpd_null_access_lookup_key", "<>", T::String, "The lookup key to be used in SMTP access tables instead of the null sender address."},
    {"smtpd_process_client_limit", "1000", T::Int, "The maximal number of SMTP sessions that one smtpd process serves at the same time."},
    {"smtpd_recipient_limit", "1000", T::Int, "The maximal number of recipients that the SMTP server accepts per message delivery request."},
    {"smtpd_recipient_restrictions", "", T::List, "Optional restrictions that the SMTP server applies in the context of a client RCPT TO command, after smtpd_relay_restrictions."},
    {"smtpd_reject_unlisted_recipient", "yes", T::Bool, "Reject the RCPT TO command when the recipient of a local domain is not a known user, also without reject_unlisted_recipient."},
    {"smtpd_relay_restrictions", "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination", T::List, "Access restrictions for mail relay control that the SMTP server applies in the context of the RCPT TO command, before smtpd_recipient_restrictions."},
    {"smtpd_sasl_auth_enable", "no", T::Bool, "Enable SMTP AUTH (RFC 4954) through authd."},
    {"smtpd_sasl_authenticated_header", "no", T::Bool, "Report the SASL login name of an authenticated client in the Received: header of its messages."},
    {"smtpd_sasl_path", "private/auth", T::String, "The authd socket, relative to queue_directory, that the SMTP server asks about SASL authentication."},
    {"smtpd_sasl_response_limit", "12288", T::Int, "The maximal length in bytes of a client's SASL response to a 334 challenge (and of an initial response)."},
    {"smtpd_sasl_security_options", "noanonymous", T::List, "SASL restrictions for plaintext sessions: noanonymous, noplaintext (no PLAIN or LOGIN before STARTTLS)."},
    {"smtpd_sasl_tls_security_options", "$smtpd_sasl_security_options", T::List, "SASL restrictions for TLS-encrypted sessions, with the syntax of smtpd_sasl_security_options."},
    {"smtpd_sender_login_maps", "", T::List, "Optional lookup tables with the SASL login names that own the sender (MAIL FROM) addresses."},
    {"smtpd_sender_restrictions", "", T::List, "Optional restrictions that the SMTP server applies in the context of a client MAIL FROM command."},
    {"smtpd_soft_error_limit", "10", T::Int, "The number of errors a remote SMTP client is allowed to make without delivering mail before the server slows down its responses."},
    {"smtpd_timeout", "300s", T::Time, "The time limit for sending an SMTP server response and for receiving an SMTP client request."},
    {"smtpd_tls_auth_only", "no", T::Bool, "Offer and accept SMTP AUTH only in a TLS-encrypted session."},
    {"smtpd_tls_cert_file", "", T::String, "File with the SMTP server's RSA or ECDSA certificate in PEM format, followed by its intermediate certificates."},
    {"smtpd_tls_ciphers", "medium", T::String, "The minimum TLS cipher grade of opportunistic TLS in the SMTP server: high, medium or low (see tls_medium_cipherlist)."},
    {"smtpd_tls_eccert_file", "", T::String, "File with an additional ECDSA certificate of the SMTP server in PEM format, followed by its intermediate certificates."},
    {"smtpd_tls_eckey_file", "$smtpd_tls_eccert_file", T::String, "File with the private key of smtpd_tls_eccert_file in PEM format."},
    {"smtpd_tls_exclude_ciphers", "", T::List, "Cipher names or OpenSSL cipher classes to exclude from the SMTP server cipher list at every grade."},
    {"smtpd_tls_key_file", "$smtpd_tls_cert_file", T::String, "File with the private key of smtpd_tls_cert_file in PEM format (may be the certificate file itself)."},
    {"smtpd_tls_mandatory_ciphers", "medium", T::String, "The minimum TLS cipher grade when TLS is mandatory (smtpd_tls_security_level = encrypt): high, medium or low."},
    {"smtpd_tls_mandatory_protocols", ">=TLSv1.2", T::String, "The TLS protocols accepted when TLS is mandatory, in Postfix syntax (>=TLSv1.2, or !SSLv3, !TLSv1)."},
    {"smtpd_tls_protocols", ">=TLSv1.2", T::String, "The TLS protocols accepted with opportunistic TLS, in Postfix syntax (>=TLSv1.2, or !SSLv3, !TLSv1)."},
    {"smtpd_tls_received_header", "no", T::Bool, "Report the TLS protocol and cipher of the session in the Received: header."},
    {"smtpd_tls_security_level", "", T::String, "SMTP server TLS: none, may (announce STARTTLS) or encrypt (require it); empty means encrypt when smtpd_enforce_tls, may when smtpd_use_tls, else none."},
    {"smtpd_tls_session_cache_timeout", "3600s", T::Time, "The lifetime of a TLS session (cache entry or session ticket) that a client may resume."},
    {"smtpd_tls_wrappermode", "no", T::Bool, "Run TLS from the first byte (implicit TLS, the submissions port 465 of RFC 8314) instead of announcing STARTTLS."},
    {"smtpd_use_tls", "no", T::Bool, "Opportunistic TLS: announce STARTTLS but do not require it (obsolete: use smtpd_tls_security_level = may)."},
    {"smtputf8_enable", "yes", T::Bool, "Enable the SMTPUTF8 extension (RFC 6531): UTF-8 in envelope addresses and message headers, announced in the EHLO response."},
    {"stale_lock_time", "300s", T::Time, "The time after which a stale exclusive mailbox lockfile is removed."},
    {"swap_bangpath", "yes", T::Bool, "Treat site!user in an address as user@site when deciding where mail goes (and so whether it is relayed)."},
    {"syslog_facility", "mail", T::String, "The syslog facility of mail system logging (mail, daemon, user, local0 ... local7)."},
    {"syslog_name", "buzon", T::String, "The mail system name that is prepended to the process name in log records, so that smtpd logs as buzon/smtpd."},
    {"tls_high_cipherlist", "aNULL:-aNULL:HIGH:@STRENGTH", T::String, "The OpenSSL cipher list of the high cipher grade."},
    {"tls_low_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH", T::String, "The OpenSSL cipher list of the low cipher grade."},
    {"tls_medium_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH", T::String, "The OpenSSL cipher list of the medium cipher grade."},
    {"tls_preempt_cipherlist", "no", T::Bool, "With TLS 1.2 and earlier, choose the cipher by the server's preference order instead of the client's."},
    {"trigger_timeout", "10s", T::Time, "The time limit for sending a trigger to a daemon, such as a wakeup of the queue manager."},
    {"unknown_address_reject_code", "450", T::Int, "The SMTP server response code when a sender or recipient domain is rejected by reject_unknown_sender_domain or reject_unknown_recipient_domain."},
    {"unknown_client_reject_code", "450", T::Int, "The SMTP server response code when a client without valid address <=> name mapping is rejected by reject_unknown_client_hostname."},
    {"unknown_local_recipient_reject_code", "550", T::Int, "The SMTP server response code when a recipient address is local and is not a known user."},
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
