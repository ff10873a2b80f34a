// Where a local user's mail goes, as in Postfix local(8):
//   home_mailbox empty        -> mbox spool file mail_spool_directory/USER
//   home_mailbox ending in /  -> Maildir HOME/home_mailbox
//   otherwise                 -> mbox file HOME/home_mailbox
#pragma once
#include <string>
#include <string_view>

#include "lib/core/result.h"
#include "lib/users/users.h"

namespace buzon::local {

enum class Kind { Mbox, Maildir };

struct Target {
  Kind kind = Kind::Mbox;
  std::string path;  // a Maildir path keeps its trailing '/'
};

// Errors: a user name that cannot be a file name (it would escape the
// spool directory), or home_mailbox set for a user without a home.
Result<Target> target_for(const users::User& user, std::string_view home_mailbox, std::string_view spool_dir);

}  // namespace buzon::local
