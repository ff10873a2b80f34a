#include "qmgr/settings.h"

#include <algorithm>

#include "lib/core/strings.h"
#include "lib/log/log.h"

namespace buzon::qmgr {
namespace {

constexpr std::string_view kConcurrencySuffix = "_destination_concurrency_limit";
constexpr std::string_view kRecipientSuffix = "_destination_recipient_limit";

// Every <transport>_destination_*_limit that main.cf (or the parameter
// table) defines, by transport name. Postfix knows such a parameter for
// each master.cf service; lib/config accepts them for the services of
// master.cf.
void per_transport(const config::MainCf& cf, std::string_view suffix, std::map<std::string, size_t, std::less<>>& out) {
  auto take = [&](std::string_view name) {
    if (!name.ends_with(suffix) || name.starts_with("default_")) return;
    std::string transport(name.substr(0, name.size() - suffix.size()));
    auto v = str::to_uint(cf.get(name));
    if (!v) return log::warning("bad " + std::string(name) + " value: " + str::sanitize(cf.get(name)));
    // A limit of 0 would stop that transport for good; Postfix reads it as 1.
    out[transport] = std::max<size_t>(1, *v);
  };
  for (const auto& def : config::params()) take(def.name);
  for (const auto& [name, value] : cf.explicit_params()) take(name);
}

}  // namespace

size_t Settings::destination_concurrency(std::string_view transport) const {
  auto it = dest_concurrency.find(transport);
  return it != dest_concurrency.end() ? it->second : default_dest_concurrency;
}

size_t Settings::destination_recipients(std::string_view transport) const {
  auto it = dest_recipients.find(transport);
  return it != dest_recipients.end() ? it->second : default_dest_recipients;
}

Settings Settings::from(const config::MainCf& cf) {
  Settings s;
  s.transport = TransportRules::from(cf);
  s.aliases.maps = cf.get_list("virtual_alias_maps");
  s.aliases.delimiters = cf.get("recipient_delimiter");
  s.aliases.myorigin = str::lower(cf.get("myorigin"));
  s.aliases.is_own_domain = [own = s.transport.mydestination, origin = s.aliases.myorigin](std::string_view d) {
    return d == origin || std::any_of(own.begin(), own.end(), [d](const std::string& o) { return str::iequals(o, d); });
  };
  auto propagate = cf.get_list("propagate_unmatched_extensions");
  s.aliases.propagate_extension =
      std::any_of(propagate.begin(), propagate.end(), [](const std::string& p) { return str::iequals(p, "virtual"); });
  s.aliases.recursion_limit = std::max<size_t>(1, cf.get_int("virtual_alias_recursion_limit"));
  s.aliases.expansion_limit = std::max<size_t>(1, cf.get_int("virtual_alias_expansion_limit"));
  // A limit of 0 would stop all delivery; Postfix treats these as at least 1.
  s.concurrency = std::max<size_t>(1, cf.get_int("default_process_limit"));
  s.default_dest_concurrency = std::max<size_t>(1, cf.get_int("default_destination_concurrency_limit"));
  s.default_dest_recipients = std::max<size_t>(1, cf.get_int("default_destination_recipient_limit"));
  per_transport(cf, kConcurrencySuffix, s.dest_concurrency);
  per_transport(cf, kRecipientSuffix, s.dest_recipients);
  s.active_limit = std::max<size_t>(1, cf.get_int("qmgr_message_active_limit"));
  s.recipient_limit = std::max<size_t>(1, cf.get_int("qmgr_message_recipient_limit"));
  s.ipc_timeout = cf.get_time("ipc_timeout");
  s.ipc_idle = cf.get_time("ipc_idle");
  s.queue_run_delay = std::max(std::chrono::seconds(1), cf.get_time("queue_run_delay"));
  s.backoff.minimal = cf.get_time("minimal_backoff_time");
  s.backoff.maximal = cf.get_time("maximal_backoff_time");
  s.backoff.lifetime = cf.get_time("maximal_queue_lifetime");
  s.bounce_lifetime = cf.get_time("bounce_queue_lifetime");
  s.delay_warning = cf.get_time("delay_warning_time");
  s.notice.myhostname = cf.get("myhostname");
  s.notice.myorigin = cf.get("myorigin");
  s.notice.mail_name = cf.get("mail_name");
  s.notice.bounce_notice_recipient_2 = cf.get("2bounce_notice_recipient");
  s.notice.double_bounce_sender = cf.get("double_bounce_sender");
  s.notice.bounce_size_limit = cf.get_size("bounce_size_limit");
  s.notice.header_size_limit = cf.get_size("header_size_limit");
  s.notice.lifetime = s.backoff.lifetime.count();
  return s;
}

}  // namespace buzon::qmgr
