#include "master/settings.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "lib/privilege/privilege.h"

namespace buzon::master {

Result<Settings> load_settings(const config::MainCf& cf) {
  Settings s;
  s.config_dir = cf.config_dir();
  s.queue_dir = cf.get("queue_directory");
  // Every socket and the pid lock are named relative to it; a relative path
  // would depend on master's working directory.
  if (s.queue_dir.empty() || s.queue_dir.front() != '/')
    return Error{"queue_directory must be an absolute path: " + s.queue_dir};
  while (s.queue_dir.size() > 1 && s.queue_dir.back() == '/') s.queue_dir.pop_back();
  s.daemon_dir = cf.get("daemon_directory");
  s.mail_owner = cf.get("mail_owner");
  s.inet_interfaces = cf.get_list("inet_interfaces");
  s.throttle_time = cf.get_time("service_throttle_time");
  s.import_environment = cf.get_list("import_environment");
  s.trigger_timeout = cf.get_time("trigger_timeout");
  s.root = privilege::running_as_root();
  if (!s.root) return s;  // instance mode: everything runs as the invoking user

  long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(hint > 0 ? static_cast<size_t>(hint) : 4096);
  passwd pw{};
  passwd* found = nullptr;
  int rc = getpwnam_r(s.mail_owner.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0) {
    errno = rc;
    return sys_error("mail_owner: getpwnam_r " + s.mail_owner);
  }
  if (!found) return Error{"mail_owner: unknown user: " + s.mail_owner};
  if (pw.pw_uid == 0) return Error{"mail_owner must not be a privileged account: " + s.mail_owner};
  s.owner_uid = pw.pw_uid;
  s.owner_gid = pw.pw_gid;
  return s;
}

}  // namespace buzon::master
