// Command lines of the buzon front command:
//   buzon [-c config_dir] COMMAND [arguments]
// -c works exactly like postfix -c: else $MAIL_CONFIG, else the built-in
// default (config::config_dir_from). Each command parses its own arguments.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lib/core/result.h"

namespace buzon::cli {

struct GlobalArgs {
  std::optional<std::string> config_dir;  // -c
  bool help = false;                      // -h, --help
  std::string command;                    // "" when none was given
  std::vector<std::string> args;          // after the command
};
// argv without argv[0]. Options end at the command name.
Result<GlobalArgs> parse_global_args(std::span<const std::string> argv);

struct InitArgs {
  std::string dir;
  std::string domain = "example.test";
  unsigned port_base = 10000;
  struct User {
    std::string name;
    std::optional<std::string> password;  // nullopt: generate one
  };
  std::vector<User> users;  // empty: alice and bob with generated passwords
  // --owner: the account the instance runs as (mail_owner, the users'
  // uid/gid). Default: the invoking user; for root, "nobody", because
  // master refuses a privileged mail_owner and local refuses to deliver
  // as uid 0.
  std::optional<std::string> owner;
};
// The highest port base: the instance uses base+25 now and up to base+995
// (pop3s) once every service exists, which must stay a valid port.
constexpr unsigned kPortBaseMax = 65535 - 995;
// Instance user names: [a-z0-9._-], starting with a letter or digit, at
// most kUserNameMax bytes (they become directory names and passwd keys).
constexpr size_t kUserNameMax = 32;
// Passwords: 1..kPasswordMax bytes, no ':' (passwd-file separator) and no
// control characters.
constexpr size_t kPasswordMax = 256;
Result<InitArgs> parse_init_args(std::span<const std::string> args);
bool user_name_ok(std::string_view name);
bool domain_ok(std::string_view domain);

struct ConfArgs {
  enum class Mode { Effective, Explicit, Defaults, Edit, Services };
  Mode mode = Mode::Effective;
  std::vector<std::string> names;  // parameter names, name=value (Edit) or services (Services)
};
Result<ConfArgs> parse_conf_args(std::span<const std::string> args);

// buzon queue [--json] | show ID | delete|hold|release|requeue ID...|ALL
struct QueueArgs {
  enum class Action { List, Show, Delete, Hold, Release, Requeue };
  Action action = Action::List;
  bool json = false;
  bool all = false;              // ALL instead of IDs
  std::vector<std::string> ids;  // checked with queue::id_ok
};
Result<QueueArgs> parse_queue_args(std::span<const std::string> args);

}  // namespace buzon::cli
