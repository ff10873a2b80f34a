// Creating queue_directory and its subdirectories (queue::kDirs), for
// buzon init and buzon start. master creates them too (master/queue_dirs.cpp)
// and the modes here are the same, so whoever comes first makes the same
// layout.
#pragma once
#include <sys/types.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/core/result.h"

namespace buzon::cli {

// As master's dir_policy: public/ is 0755 in instance mode (0710 as root,
// where the group decides who may submit), pid/ stays with root, the rest
// is mail_owner's alone.
mode_t queue_subdir_mode(const std::string& name, bool root);

// Creates queue_dir (0755) and the missing subdirectories. owner (uid, gid)
// is set on the directories this call created, except pid/ - never on
// existing ones, and through an O_NOFOLLOW descriptor, so a planted symlink
// cannot redirect the chown. Paths created are appended to created (when
// non-null) in creation order.
Status create_queue_dirs(const std::string& queue_dir, std::optional<std::pair<uid_t, gid_t>> owner,
                         std::vector<std::string>* created);

}  // namespace buzon::cli
