// qmgr's view of main.cf, read once at start (a reload restarts qmgr).
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/virtual/virtual.h"
#include "qmgr/backoff.h"
#include "qmgr/notice.h"
#include "qmgr/transport.h"

namespace buzon::qmgr {

struct Settings {
  std::string queue_dir = ".";  // qmgr runs inside queue_directory; agents listen on private/<transport>
  TransportRules transport;     // mydestination, relay_domains, *_transport, transport_maps
  virt::AliasRules aliases;     // virtual_alias_maps and its limits
  size_t concurrency = 100;     // default_process_limit: deliveries in flight per transport
  // <transport>_destination_concurrency_limit and
  // <transport>_destination_recipient_limit, for the transports that set
  // them; the others use the defaults below.
  std::map<std::string, size_t, std::less<>> dest_concurrency, dest_recipients;
  size_t default_dest_concurrency = 20;  // default_destination_concurrency_limit
  size_t default_dest_recipients = 50;   // default_destination_recipient_limit
  size_t active_limit = 20000;     // qmgr_message_active_limit
  size_t recipient_limit = 20000;  // qmgr_message_recipient_limit
  std::chrono::milliseconds ipc_timeout{3600 * 1000};
  std::chrono::milliseconds ipc_idle{5000};
  std::chrono::seconds queue_run_delay{300};
  Backoff backoff;
  std::chrono::seconds bounce_lifetime{5 * 86400};  // bounce_queue_lifetime: mail from <>
  std::chrono::seconds delay_warning{0};            // delay_warning_time; 0 = no warnings
  NoticeSettings notice;

  // Parallel deliveries to one destination of the transport (at least 1).
  size_t destination_concurrency(std::string_view transport) const;
  // Recipients per destination of the transport; 1 makes each recipient
  // its own destination (local: local_destination_recipient_limit = 1), as
  // Postfix does.
  size_t destination_recipients(std::string_view transport) const;

  static Settings from(const config::MainCf& cf);
};

}  // namespace buzon::qmgr
