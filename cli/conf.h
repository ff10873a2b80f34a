// buzon conf: postconf(1) for Buzon.
//   conf [name...]      effective values, unexpanded ("name = value")
//   conf -n [name...]   only the parameters set in main.cf
//   conf -d [name...]   the built-in defaults (main.cf is not read)
//   conf -e name=value...  edit main.cf (every pair validated first)
//   conf -M [service...]   master.cf, one normalised line per service
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/buzon_args.h"
#include "lib/config/config.h"

namespace buzon::cli {

// "name = value", or "name =" for an empty value (postconf's layout).
std::string format_param(std::string_view name, std::string_view value);

struct ConfOutput {
  std::string out;
  std::vector<std::string> warnings;  // unknown names; exit status 1 when any
};

// mode is Effective, Explicit or Defaults; cf may be null for Defaults.
// names empty = every parameter (for Effective also the user-defined
// ones set in main.cf), sorted by name.
ConfOutput show_params(const config::MainCf* cf, ConfArgs::Mode mode, const std::vector<std::string>& names);

// One master.cf service as postconf -M prints it: eight columns, y/n for
// the flags, "-" for no wakeup, then -o overrides and arguments.
std::string format_service(const config::Service& s);

// Splits "name=value" (white space around both trimmed).
std::pair<std::string, std::string> split_assignment(std::string_view nv);

int cmd_conf(const std::string& config_dir, std::span<const std::string> args);

}  // namespace buzon::cli
