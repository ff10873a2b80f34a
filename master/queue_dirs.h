// Creates queue_directory and its subdirectories (queue::kDirs) at startup.
#pragma once
#include <sys/types.h>

#include <string>

#include "lib/core/result.h"
#include "master/settings.h"

namespace buzon::master {

struct DirPolicy {
  mode_t mode;
  bool owned_by_mail_owner;  // when root; otherwise root keeps it
};

// Mode and owner of one subdirectory: private/ 0700 (only mail_owner may
// reach internal services), public/ 0710 in system mode (0755 in instance
// mode), pid/ 0700 and root's in system mode (master, as root, writes the
// pid file there: a directory mail_owner controls would let it aim that
// write elsewhere), everything else 0700.
DirPolicy dir_policy(const std::string& name, bool root);

// Creates what is missing (the queue directory itself with 0755). As root,
// also sets each subdirectory's owner, also on existing ones, so a queue
// made by root by hand still works for the unprivileged daemons. Refuses
// symlinks where a directory belongs.
Status make_queue_dirs(const Settings& s);

}  // namespace buzon::master
