#include "smtpd/client_limits.h"

#include <algorithm>
#include <climits>

#include "lib/core/strings.h"

namespace buzon::smtpd {
namespace {

unsigned limit_of(const config::MainCf& cf, std::string_view name) {
  return static_cast<unsigned>(std::min<unsigned long long>(cf.get_int(name), UINT_MAX));
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool name_matches(std::string_view pattern, std::string_view name) {
  if (pattern.front() == '.') return name.size() > pattern.size() && name.ends_with(pattern);
  return name == pattern;
}

}  // namespace

bool ClientLimits::exempt(const std::optional<net::IpAddr>& ip, std::string_view name) const {
  std::string lname = str::lower(name);
  for (const auto& p : exceptions) {
    bool match = p.net ? (ip && p.net->contains(*ip)) : (lname != "unknown" && name_matches(p.name, lname));
    if (match) return !p.negated;
  }
  return false;
}

Result<ClientLimits> load_client_limits(const config::MainCf& cf) {
  ClientLimits l;
  l.connection_count = limit_of(cf, "smtpd_client_connection_count_limit");
  l.connection_rate = limit_of(cf, "smtpd_client_connection_rate_limit");
  l.message_rate = limit_of(cf, "smtpd_client_message_rate_limit");
  l.recipient_rate = limit_of(cf, "smtpd_client_recipient_rate_limit");
  l.auth_rate = limit_of(cf, "smtpd_client_auth_rate_limit");
  l.new_tls_rate = limit_of(cf, "smtpd_client_new_tls_session_rate_limit");
  for (const auto& item : cf.get_list("smtpd_client_event_limit_exceptions")) {
    ClientLimits::Pattern p;
    std::string_view text = item;
    if (!text.empty() && text.front() == '!') {
      p.negated = true;
      text.remove_prefix(1);
    }
    if (auto c = net::parse_cidr(text)) {
      p.net = *c;
    } else if (text.find_first_of("/:[") != std::string_view::npos) {
      return Error{"smtpd_client_event_limit_exceptions: " + c.error().message};
    } else {
      std::string n = str::lower(text);
      if (n.empty() || n == "." || !std::all_of(n.begin(), n.end(), name_char))
        return Error{"smtpd_client_event_limit_exceptions: unsupported pattern " + str::sanitize(item) +
                     " (expected network/mask, address, host name or .domain)"};
      p.name = std::move(n);
    }
    l.exceptions.push_back(std::move(p));
  }
  return l;
}

}  // namespace buzon::smtpd
