// Dropping root. Only master and local keep root; every other daemon calls
// drop_to(mail_owner) (after an optional chroot) before reading any network
// input. When the process is not root (instance mode) drop_to/drop_to_ids
// succeed without doing anything if the process already runs as the target
// uid, and fail otherwise; chroot_to fails (chroot(2) needs root).
#pragma once
#include <sys/types.h>
#include <string>

#include "lib/core/result.h"

namespace buzon::privilege {

// setgroups/initgroups, setgid, setuid to the named user, then verifies that
// root cannot be regained. Refuses user "root".
Status drop_to(const std::string& user);
// The same for a known uid/gid (local delivery to a recipient).
Status drop_to_ids(uid_t uid, gid_t gid, const std::string& name_for_groups);
// chroot(dir) + chdir("/").
Status chroot_to(const std::string& dir);
bool running_as_root();

}  // namespace buzon::privilege
