// qmgr's view of main.cf, read once at start (a reload restarts qmgr).
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "qmgr/backoff.h"
#include "qmgr/notice.h"

namespace buzon::qmgr {

struct Settings {
  std::string queue_dir = ".";                // qmgr runs inside queue_directory
  std::string local_socket = "private/local";  // relative to queue_dir
  std::vector<std::string> mydestination;
  size_t concurrency = 100;      // default_process_limit: local's maxproc
  size_t rcpt_concurrency = 2;   // local_destination_concurrency_limit
  size_t active_limit = 20000;   // qmgr_message_active_limit
  size_t recipient_limit = 20000;  // qmgr_message_recipient_limit
  std::chrono::milliseconds ipc_timeout{3600 * 1000};
  std::chrono::milliseconds ipc_idle{5000};
  std::chrono::seconds queue_run_delay{300};
  Backoff backoff;
  std::chrono::seconds bounce_lifetime{5 * 86400};  // bounce_queue_lifetime: mail from <>
  std::chrono::seconds delay_warning{0};            // delay_warning_time; 0 = no warnings
  NoticeSettings notice;

  static Settings from(const config::MainCf& cf);
};

}  // namespace buzon::qmgr
