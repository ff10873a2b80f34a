// The smtpd configuration, read once per process from main.cf (with the
// master.cf -o overrides already applied). Sessions only read it.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lib/anvil/client.h"
#include "lib/config/config.h"
#include "lib/core/result.h"
#include "smtpd/local_recipients.h"
#include "smtpd/virtual_recipients.h"
#include "smtpd/client_limits.h"
#include "smtpd/policy.h"
#include "smtpd/security.h"

namespace buzon::dns {
class Resolver;
}

namespace buzon::smtpd {

// smtpd_forbid_bare_newline. Whatever the mode, DATA ends only at
// <CR><LF>.<CR><LF>: that is what makes SMTP smuggling impossible.
enum class BareNewline {
  Normalize,  // a bare LF ends a line like CRLF ("yes" is an alias, as in Postfix)
  Reject,     // a message with a bare LF or bare CR is refused with 550 5.5.2
  No,         // a bare LF is stored as is; in our LF-only queue files that is
              // the same bytes as Normalize
};

// local_header_rewrite_clients: the network clients whose mail is
// completed like local submissions (Postfix's "local" rewrite context).
struct HeaderRewriteClients {
  bool all = false;              // static:all
  bool inet_interfaces = false;  // permit_inet_interfaces: the client is this host
  bool mynetworks = false;       // permit_mynetworks
  bool sasl = false;             // permit_sasl_authenticated
};

struct Settings {
  const config::MainCf* cf = nullptr;  // for users::find; outlives the sessions
  std::string hostname;                // myhostname
  std::string banner;                  // smtpd_banner, after "220 "
  std::string mail_name;               // Received: "by host (mail_name)"
  std::string myorigin;                // qualifies local submissions' bare names
  std::vector<std::string> mydestination;  // lower case, no trailing dot
  std::string recipient_delimiter;
  std::string queue_dir;
  // local_recipient_maps; shared by copies of the Settings, tables opened
  // at the first lookup.
  std::shared_ptr<LocalRecipients> local_recipients;
  // virtual_alias_maps and virtual_alias_domains at RCPT TO; shared like
  // local_recipients.
  std::shared_ptr<VirtualRecipients> virtual_recipients;

  size_t line_limit = 2048;                     // line_length_limit
  size_t recipient_limit = 1000;                // smtpd_recipient_limit (0: queue max)
  unsigned long long message_size_limit = 0;    // 0: no limit
  size_t header_size_limit = 102400;
  unsigned hopcount_limit = 50;
  std::vector<std::string> drop_headers;        // message_drop_headers, lower case
  HeaderRewriteClients header_rewrite;          // local_header_rewrite_clients
  bool always_add_headers = false;              // always_add_missing_headers
  std::string content_filter;                   // transport:destination for every message; "" none
  bool smtputf8 = true;                         // smtputf8_enable
  unsigned hard_error_limit = 20;
  unsigned soft_error_limit = 10;               // beyond it every reply is delayed by
  std::chrono::milliseconds error_sleep{1000};  // smtpd_error_sleep_time
  unsigned junk_command_limit = 100;            // NOOP/VRFY/RSET beyond it count as errors
  std::chrono::seconds timeout{300};            // smtpd_timeout
  bool disable_vrfy = true;
  BareNewline bare_newline = BareNewline::Normalize;
  int client_limit = 1000;                      // smtpd_process_client_limit
  std::shared_ptr<const Policy> policy;         // restrictions, mynetworks, our domains
  bool peername_lookup = true;                  // smtpd_peername_lookup
  bool peername_hosts_file = true;              // smtpd_peername_host_lookup = native
  std::vector<std::string> dns_servers;         // dns_servers; empty: /etc/resolv.conf
  // Set by serve() for network services; null (unit tests, local
  // submission): DNS restrictions find nothing to reject.
  dns::Resolver* resolver = nullptr;
  ClientLimits limits;                          // smtpd_client_*_limit (client_limits.h)
  std::string service = "smtp";                 // master.cf service name: anvil idents, logs
  anvil::Client* anvil = nullptr;               // serve() owns it; null: limits not enforced
  Security security;                            // TLS and SASL (security.h)
};

// Errors: a value the parameter table's type check cannot catch (an unknown
// smtpd_forbid_bare_newline mode or local_header_rewrite_clients item, a
// content_filter that is not one word),
// and those of load_policy().
Result<Settings> load_settings(const config::MainCf& cf);

// True when domain (any case, trailing dot allowed) is one of mydestination.
bool is_local_domain(const Settings& s, std::string_view domain);

}  // namespace buzon::smtpd
