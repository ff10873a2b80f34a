// Local accounts: the system password database, or in instance mode the
// passwd-file named by local_passwd_file (Dovecot passwd-file layout, whose
// first seven fields are those of passwd(5):
//   name:password:uid:gid:gecos:home:shell).
// LIMITS  1 MiB per passwd file, 1024 bytes per line.
// A passwd file is parsed once and read again only when a stat of it
// (inode, size, mtime, ctime) shows a change.
#pragma once
#include <sys/types.h>
#include <optional>
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::config { class MainCf; }

namespace buzon::users {

struct User {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::string shell;
};

// Finds the account for a local part (already lower-cased by the caller).
// nullopt when there is no such user; Error when the database is unreadable
// (callers answer with a temporary failure).
Result<std::optional<User>> find(const config::MainCf& cf, std::string_view name);
// The account of a uid (sendmail's caller). nullopt when unknown.
Result<std::optional<User>> find_uid(const config::MainCf& cf, uid_t uid);

}  // namespace buzon::users
