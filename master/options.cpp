#include "master/options.h"

#include <string_view>

namespace buzon::master {

Result<Options> parse_options(int argc, const char* const* argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-d") {
      o.debug = true;
    } else if (a == "-c") {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') return Error{"option -c requires a directory"};
      o.config_dir = argv[++i];
    } else {
      return Error{"unexpected argument: " + std::string(a)};
    }
  }
  return o;
}

}  // namespace buzon::master
