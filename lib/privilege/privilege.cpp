#include "lib/privilege/privilege.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "lib/log/log.h"

namespace buzon::privilege {
namespace {

struct Account {
  uid_t uid;
  gid_t gid;
};

// getpwnam_r with a buffer that grows on ERANGE: NSS backends (LDAP, sssd)
// can return entries larger than sysconf's hint.
Result<Account> lookup(const std::string& user) {
  long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(hint > 0 ? static_cast<size_t>(hint) : 1024);
  for (;;) {
    passwd pw{};
    passwd* found = nullptr;
    int rc = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0) {
      errno = rc;
      return sys_error("getpwnam_r " + user);
    }
    if (!found) return Error{"unknown user: " + user};
    return Account{pw.pw_uid, pw.pw_gid};
  }
}

}  // namespace

bool running_as_root() { return geteuid() == 0; }

Status drop_to_ids(uid_t uid, gid_t gid, const std::string& name_for_groups) {
  // A "drop" to uid 0 would leave a network-facing process with full rights.
  if (uid == 0) return Error{"refusing to run as root (uid 0): " + name_for_groups};
  if (!running_as_root()) {
    // Instance mode: everything runs as the invoking user, which must be the
    // target; any other uid cannot be reached and must not be pretended.
    if (getuid() == uid && geteuid() == uid) return {};
    return Error{"cannot switch to uid " + std::to_string(uid) + " (" + name_for_groups +
                 "): not running as root"};
  }
  // Supplementary groups first, while we still may: root's groups (e.g. disk,
  // shadow) would otherwise survive setuid.
  if (!name_for_groups.empty()) {
    if (initgroups(name_for_groups.c_str(), gid) < 0) return sys_error("initgroups " + name_for_groups);
  } else if (setgroups(1, &gid) < 0) {
    return sys_error("setgroups " + std::to_string(gid));
  }
  // setgid before setuid: after setuid we could no longer change the group.
  if (setgid(gid) < 0) return sys_error("setgid " + std::to_string(gid));
  if (setuid(uid) < 0) return sys_error("setuid " + std::to_string(uid));
  // setuid() as root sets real, effective and saved ids; prove it, because a
  // process that can get root back has not dropped anything.
  if (setuid(0) == 0 || seteuid(0) == 0) MAIL_PANIC("privilege drop failed: setuid(0) succeeded");
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
    MAIL_PANIC("privilege drop failed: ids do not match after setuid");
  return {};
}

Status drop_to(const std::string& user) {
  if (user.empty()) return Error{"drop_to: empty user name"};
  auto account = lookup(user);
  if (!account) return account.error();
  return drop_to_ids(account->uid, account->gid, user);
}

Status chroot_to(const std::string& dir) {
  if (dir.empty() || dir.front() != '/') return Error{"chroot: not an absolute path: " + dir};
  if (chroot(dir.c_str()) < 0) return sys_error("chroot " + dir);
  // Without the chdir the old working directory stays reachable outside the jail.
  if (chdir("/") < 0) return sys_error("chdir / in " + dir);
  return {};
}

}  // namespace buzon::privilege
