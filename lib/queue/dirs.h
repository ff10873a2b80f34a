// Creating queue_directory and its subdirectories (kDirs in queue.h), for
// master at startup and buzon init; one policy, so whoever comes first makes
// the same layout.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "lib/core/result.h"

namespace buzon::queue {

struct DirPolicy {
  mode_t mode;
  bool owned_by_mail_owner;  // in system mode; otherwise root keeps it
};

// Mode and owner of one subdirectory: private/ 0700 (only mail_owner may
// reach internal services), public/ 0755 (every local user may connect to
// public/submit: sendmail has no set-gid helper, the socket is the only
// way in), pid/ 0700 and root's in system mode (master, as root, writes the
// pid file there: a directory mail_owner controls would let it aim that
// write elsewhere), everything else 0700.
DirPolicy dir_policy(const std::string& name);

// Creates what is missing (the queue directory itself with 0755). With an
// owner (system mode: mail_owner's uid, gid), also sets each
// subdirectory's owner, also on existing ones, so a queue made by root by
// hand still works for the unprivileged daemons. Refuses symlinks where a
// directory belongs.
Status make_dirs(const std::string& queue_dir, std::optional<std::pair<uid_t, gid_t>> owner);

}  // namespace buzon::queue
