// buzon queue, mailq, sendmail -bp: print the listing of queue_list.h.
#include <cstdio>

#include "cli/buzon_args.h"
#include "cli/commands.h"
#include "cli/queue_list.h"
#include "lib/config/config.h"

namespace buzon::cli {

int run_queue_list(const config::MainCf& cf, bool json, const char* prog) {
  auto listing = scan_queue(cf.get("queue_directory"));
  if (!listing) {
    std::fprintf(stderr, "%s: fatal: %s\n", prog, listing.error().message.c_str());
    return 1;
  }
  std::fflush(stdout);
  for (const auto& w : listing->warnings) std::fprintf(stderr, "%s: warning: %s\n", prog, w.c_str());
  std::string out = json ? format_json(listing->messages) : format_mailq(listing->messages);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int cmd_queue(const std::string& config_dir, std::span<const std::string> args) {
  auto a = parse_queue_args(args);
  if (!a) {
    std::fprintf(stderr, "buzon: fatal: queue: %s\nusage: buzon queue [--json]\n", a.error().message.c_str());
    return 1;
  }
  auto cf = config::MainCf::load(config_dir);
  if (!cf) {
    std::fprintf(stderr, "buzon: fatal: %s\n", cf.error().message.c_str());
    return 1;
  }
  return run_queue_list(*cf, a->json, "buzon");
}

}  // namespace buzon::cli
