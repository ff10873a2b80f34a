#include "local/target.h"

namespace buzon::local {

Result<Target> target_for(const users::User& user, std::string_view home_mailbox, std::string_view spool_dir) {
  if (home_mailbox.empty()) {
    // The account name is a path component under the spool directory.
    if (user.name.empty() || user.name == "." || user.name == ".." || user.name.find('/') != std::string::npos)
      return Error{"user name \"" + user.name + "\" is not usable as a mailbox file name"};
    std::string dir(spool_dir);
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return Target{Kind::Mbox, dir + "/" + user.name};
  }
  if (user.home.empty() || user.home.front() != '/')
    return Error{"user " + user.name + " has no home directory for home_mailbox"};
  std::string home = user.home;
  while (home.size() > 1 && home.back() == '/') home.pop_back();
  std::string_view rel = home_mailbox;
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  std::string path = (home == "/" ? "" : home) + "/" + std::string(rel);
  return Target{home_mailbox.back() == '/' ? Kind::Maildir : Kind::Mbox, path};
}

}  // namespace buzon::local
