// The main.cf values master itself acts on, looked up once per (re)load so
// that a bad value is reported before anything changes.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/core/result.h"

namespace buzon::master {

struct Settings {
  std::string config_dir;
  std::string queue_dir;   // absolute
  std::string daemon_dir;
  std::string mail_owner;
  std::vector<std::string> inet_interfaces;  // as written: all, loopback-only, addresses
  std::vector<std::string> import_environment;  // NAME or NAME=value
  std::chrono::seconds throttle_time{60};
  std::chrono::seconds trigger_timeout{10};
  bool root = false;  // system mode: master runs as root
  uid_t owner_uid = 0;  // mail_owner's ids; meaningful only when root
  gid_t owner_gid = 0;
};

// Errors: queue_directory not absolute; when root, mail_owner unknown or
// uid 0 (daemons would "drop" to root).
Result<Settings> load_settings(const config::MainCf& cf);

}  // namespace buzon::master
