#include "smtpd/settings.h"

#include <algorithm>
#include <climits>

#include "lib/core/strings.h"
#include "lib/queue/queue.h"

namespace buzon::smtpd {
namespace {

std::string strip_root_dot(std::string s) {
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

template <class T>
T clamp_to(unsigned long long v) {
  return v > static_cast<unsigned long long>(std::numeric_limits<T>::max()) ? std::numeric_limits<T>::max()
                                                                            : static_cast<T>(v);
}

}  // namespace

Result<Settings> load_settings(const config::MainCf& cf) {
  Settings s;
  s.cf = &cf;
  s.hostname = cf.get("myhostname");
  s.banner = cf.get("smtpd_banner");
  s.mail_name = cf.get("mail_name");
  s.myorigin = strip_root_dot(str::lower(cf.get("myorigin")));
  for (const auto& d : cf.get_list("mydestination")) s.mydestination.push_back(strip_root_dot(str::lower(d)));
  s.recipient_delimiter = cf.get("recipient_delimiter");
  s.queue_dir = cf.get("queue_directory");
  s.local_recipients = std::make_shared<LocalRecipients>(cf.get_list("local_recipient_maps"));
  s.virtual_recipients = std::make_shared<VirtualRecipients>(cf);
  s.peername_lookup = cf.get_bool("smtpd_peername_lookup");
  s.dns_servers = cf.get_list("dns_servers");
  const auto host_lookup = cf.get("smtpd_peername_host_lookup");
  if (host_lookup != "native" && host_lookup != "dns")
    return Error{"bad smtpd_peername_host_lookup value: " + str::sanitize(host_lookup) + " (native or dns)"};
  s.peername_hosts_file = host_lookup == "native";

  s.line_limit = clamp_to<size_t>(cf.get_int("line_length_limit"));
  // Every queue file holds at most queue::kRecipientsMax recipients, so that
  // is the limit even when smtpd_recipient_limit is 0 ("no limit").
  auto rcpt = cf.get_int("smtpd_recipient_limit");
  s.recipient_limit = rcpt == 0 ? queue::kRecipientsMax : std::min<size_t>(clamp_to<size_t>(rcpt), queue::kRecipientsMax);
  s.message_size_limit = cf.get_size("message_size_limit");
  s.header_size_limit = clamp_to<size_t>(cf.get_size("header_size_limit"));
  s.hopcount_limit = clamp_to<unsigned>(cf.get_int("hopcount_limit"));
  for (const auto& h : cf.get_list("message_drop_headers")) s.drop_headers.push_back(str::lower(h));
  s.smtputf8 = cf.get_bool("smtputf8_enable");
  s.hard_error_limit = clamp_to<unsigned>(cf.get_int("smtpd_hard_error_limit"));
  s.soft_error_limit = clamp_to<unsigned>(cf.get_int("smtpd_soft_error_limit"));
  s.error_sleep = std::chrono::duration_cast<std::chrono::milliseconds>(cf.get_time("smtpd_error_sleep_time"));
  s.junk_command_limit = clamp_to<unsigned>(cf.get_int("smtpd_junk_command_limit"));
  s.timeout = cf.get_time("smtpd_timeout");
  s.disable_vrfy = cf.get_bool("disable_vrfy_command");
  s.client_limit = clamp_to<int>(cf.get_int("smtpd_process_client_limit"));

  for (const auto& item : cf.get_list("local_header_rewrite_clients")) {
    std::string i = str::lower(item);
    if (i == "static:all") s.header_rewrite.all = true;
    else if (i == "permit_inet_interfaces") s.header_rewrite.inet_interfaces = true;
    else if (i == "permit_mynetworks") s.header_rewrite.mynetworks = true;
    else if (i == "permit_sasl_authenticated") s.header_rewrite.sasl = true;
    else
      return Error{"local_header_rewrite_clients: unsupported item " + str::sanitize(item) +
                   " (expected permit_inet_interfaces, permit_mynetworks, permit_sasl_authenticated or static:all)"};
  }
  s.always_add_headers = cf.get_bool("always_add_missing_headers");
  s.content_filter = std::string(str::trim(cf.get("content_filter")));
  if (s.content_filter.find_first_of(" \t") != std::string::npos)
    return Error{"content_filter: expected transport:destination, got " + str::sanitize(s.content_filter)};

  std::string mode = str::lower(cf.get("smtpd_forbid_bare_newline"));
  if (mode == "normalize" || mode == "yes") {
    s.bare_newline = BareNewline::Normalize;
  } else if (mode == "reject") {
    s.bare_newline = BareNewline::Reject;
  } else if (mode == "no") {
    s.bare_newline = BareNewline::No;
  } else {
    return Error{"bad smtpd_forbid_bare_newline value: " + str::sanitize(mode) +
                 " (expected normalize, reject or no)"};
  }
  auto limits = load_client_limits(cf);
  if (!limits) return limits.error();
  s.limits = std::move(*limits);
  auto policy = load_policy(cf);
  if (!policy) return policy.error();
  s.policy = std::move(*policy);
  return s;
}

bool is_local_domain(const Settings& s, std::string_view domain) {
  std::string d = strip_root_dot(str::lower(domain));
  if (d.empty()) return false;
  return std::find(s.mydestination.begin(), s.mydestination.end(), d) != s.mydestination.end();
}

}  // namespace buzon::smtpd
