// master's own command line: master [-c config_dir] [-d]
#pragma once
#include <string>

#include "lib/core/result.h"

namespace buzon::master {

struct Options {
  std::string config_dir;  // empty: $MAIL_CONFIG, else the built-in default
  bool debug = false;      // -d: foreground, log to stderr too, SIGINT stops
};

constexpr const char* kUsage = "usage: master [-c config_dir] [-d]";

// Errors: unknown option, -c without a value, any non-option argument.
Result<Options> parse_options(int argc, const char* const* argv);

}  // namespace buzon::master
