// buzon check: is the configuration good enough to start? Loads main.cf and
// master.cf (their errors come as "file:line: text" from lib/config), then
// checks what start will need: a queue_directory that exists or can be
// created, a daemon_directory holding master and every command that
// master.cf names, and (as root) an unprivileged mail_owner.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "lib/config/config.h"

namespace buzon::cli {

struct CheckReport {
  std::vector<std::string> errors;       // empty: all good
  std::optional<config::MainCf> cf;      // set when main.cf loaded
  std::vector<config::Service> services; // set when master.cf loaded
};

CheckReport check_config(const std::string& config_dir);

// Prints each error as "buzon: error: ..." to stderr; returns 0 or 1.
int print_check(const CheckReport& r);

int cmd_check(const std::string& config_dir);

}  // namespace buzon::cli
