// The buzon front command: global options, then one subcommand.
#include <signal.h>

#include <cstdio>
#include <string_view>

#include "cli/buzon_args.h"
#include "cli/check.h"
#include "cli/commands.h"
#include "cli/conf.h"
#include "cli/init.h"
#include "cli/map_cmd.h"
#include "cli/tls_cmd.h"
#include "cli/user_cmd.h"
#include "lib/config/config.h"
#include "lib/core/strings.h"

namespace buzon::cli {
namespace {

const char* const kUsage =
    "usage: buzon [-c config_dir] command [arguments]\n"
    "\n"
    "commands:\n"
    "  init DIR [--domain D] [--port-base P] [--user NAME[:PASSWORD]]... [--owner ACCOUNT]\n"
    "                      create an instance (configuration, queue, users) in DIR\n"
    "  start               check the configuration and start the mail system\n"
    "  stop                stop the mail system\n"
    "  reload              re-read the configuration (SIGHUP to master)\n"
    "  status              is the mail system running? (exit status 0 = yes)\n"
    "  check               report configuration errors (exit status 1 if any)\n"
    "  flush               retry deferred mail now\n"
    "  conf [-n|-d] [name...], conf -e name=value..., conf -M [service...]\n"
    "                      show or edit main.cf; show master.cf\n"
    "  queue [--json]      list the mail queue (like mailq)\n"
    "  queue show ID       print a queued message: envelope, header and body\n"
    "  queue delete|hold|release|requeue ID...|ALL\n"
    "                      remove, hold, release or requeue queued mail (like postsuper)\n"
    "  map [-f] [-a] [-q key] [type:]file...\n"
    "                      build a lookup table (hash: -> file.db) or query one\n"
    "  user add|passwd NAME [--stdin] [--scheme S], user del NAME, user list\n"
    "                      manage the users of local_passwd_file\n"
    "  tls new-cert [--force]\n"
    "                      make a self-signed certificate for myhostname\n"
    "\n"
    "The configuration directory is -c, else $MAIL_CONFIG, else " BUZON_CONFIG_DIR ".\n";

// Commands that take no arguments of their own.
int no_args(const char* name, std::span<const std::string> args, int (*fn)(const std::string&),
            const std::string& config_dir) {
  if (!args.empty()) {
    std::fprintf(stderr, "buzon: fatal: %s takes no arguments\nusage: buzon [-c config_dir] %s\n", name, name);
    return 1;
  }
  return fn(config_dir);
}

}  // namespace

int buzon_main(int argc, char** argv) {
  // A closed pipe (buzon queue | head) is an error return, not a signal.
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto g = parse_global_args(args);
  if (!g) {
    std::fprintf(stderr, "buzon: fatal: %s\n%s", g.error().message.c_str(), kUsage);
    return 1;
  }
  if (g->help || g->command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (g->command.empty()) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  const std::string& cmd = g->command;
  if (cmd == "init") return cmd_init(g->args);

  std::string config_dir = config::config_dir_from(g->config_dir ? g->config_dir->c_str() : nullptr);
  if (cmd == "start") return no_args("start", g->args, cmd_start, config_dir);
  if (cmd == "stop") return no_args("stop", g->args, cmd_stop, config_dir);
  if (cmd == "reload") return no_args("reload", g->args, cmd_reload, config_dir);
  if (cmd == "status") return no_args("status", g->args, cmd_status, config_dir);
  if (cmd == "check") return no_args("check", g->args, cmd_check, config_dir);
  if (cmd == "flush") return no_args("flush", g->args, cmd_flush, config_dir);
  if (cmd == "conf") return cmd_conf(config_dir, g->args);
  if (cmd == "queue") return cmd_queue(config_dir, g->args);
  if (cmd == "map") return cmd_map(config_dir, g->args);
  if (cmd == "tls") return cmd_tls(config_dir, g->args);
  if (cmd == "user") return cmd_user(config_dir, g->args);
  std::fprintf(stderr, "buzon: fatal: unknown command: %s\n%s", str::sanitize(cmd).c_str(), kUsage);
  return 1;
}

}  // namespace buzon::cli
