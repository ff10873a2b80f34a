// buzon init DIR: a self-contained instance (doc/internals.md, "Instance
// layout") that any user can run without installing: configuration, queue,
// mail spool, homes and log under DIR, high ports on 127.0.0.1, and
// everything running as the invoking user.
#pragma once
#include <sys/types.h>
#include <span>
#include <string>
#include <vector>

#include "cli/buzon_args.h"
#include "lib/core/result.h"

namespace buzon::cli {

struct InstanceUser {
  std::string name;
  std::string password;
  bool generated = false;  // printed only when we made it up
  std::string hash;        // "$6$..."
};

struct InstancePlan {
  std::string dir;         // absolute, no trailing '/'
  std::string domain;
  unsigned port_base = 10000;
  std::string daemon_dir;  // where master, smtpd ... live
  std::string owner;       // mail_owner, and the account of the users
  uid_t uid = 0;           // the owner's
  gid_t gid = 0;
  // True when the owner is not the invoking user (root made the instance
  // for an unprivileged account): the files the daemons write are then
  // given to the owner.
  bool chown_to_owner = false;
  std::vector<InstanceUser> users;
};

// The generated files, pure functions of the plan.
std::string instance_main_cf(const InstancePlan& p);
std::string instance_master_cf(const InstancePlan& p);
std::string instance_aliases(const InstancePlan& p);
std::string instance_passwd(const InstancePlan& p);

// Where the daemons are: the build tree's libexec/ when exe_dir (the
// directory of /proc/self/exe) contains libexec/master, else the installed
// daemon directory (BUZON_DAEMON_DIR).
std::string daemon_dir_for(const std::string& exe_dir);
// Directory of the running executable, "" when unknown.
std::string exe_dir();

// Resolves the plan: absolute directory, owner account, passwords and
// hashes. Does not touch the file system beyond reading it. Errors: an
// owner that is root or unknown, or another account when not root.
Result<InstancePlan> plan_instance(const InitArgs& args, const std::string& daemon_dir);

// Creates the instance. Refuses a DIR that exists and is not empty. On
// failure removes what it created, so a retry starts clean.
Status create_instance(const InstancePlan& p);

// What to tell the user afterwards: ports, users and the commands to try.
// buzon and sendmail are the commands as the user should type them.
std::string instance_summary(const InstancePlan& p, const std::string& buzon, const std::string& sendmail);

// The buzon init command.
int cmd_init(std::span<const std::string> args);

}  // namespace buzon::cli
