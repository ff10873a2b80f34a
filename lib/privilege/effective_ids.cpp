#include "lib/privilege/effective_ids.h"

#include <grp.h>
#include <unistd.h>

#include <string>

#include "lib/log/log.h"
#include "lib/privilege/privilege.h"

namespace buzon::privilege {

EffectiveIds::EffectiveIds(uid_t uid, gid_t gid) {
  if (uid == 0) {
    status_ = Error{"refusing to act as root (uid 0)"};
    return;
  }
  if (!running_as_root()) {
    if (geteuid() != uid) status_ = Error{"cannot act as uid " + std::to_string(uid) + ": not running as root"};
    return;
  }
  int n = getgroups(0, nullptr);
  saved_groups_.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (n > 0 && getgroups(n, saved_groups_.data()) != n) {
    status_ = sys_error("getgroups");
    return;
  }
  // Groups and gid first: after seteuid(uid) we could not change them.
  switched_ = true;
  if (setgroups(1, &gid) < 0 || setegid(gid) < 0) {
    status_ = sys_error("setegid " + std::to_string(gid));
    return;
  }
  if (seteuid(uid) < 0) {
    status_ = sys_error("seteuid " + std::to_string(uid));
    return;
  }
  if (geteuid() != uid || getegid() != gid) status_ = Error{"effective ids did not change"};
}

EffectiveIds::~EffectiveIds() {
  if (!switched_) return;
  // Root is the saved uid: seteuid(0) always works from here.
  if (seteuid(0) < 0 || setegid(getgid()) < 0 || setgroups(saved_groups_.size(), saved_groups_.data()) < 0 ||
      geteuid() != 0)
    MAIL_PANIC("cannot return to root after acting as a user");
}

}  // namespace buzon::privilege
