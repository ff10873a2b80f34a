// Edits of a Dovecot passwd-file ("user:{SCHEME}hash:uid:gid:gecos:home:shell:extra")
// for `buzon user`: pure text in, text out, so every rule is testable
// without files. Comments, blank lines and other users' lines are kept
// byte for byte.
#pragma once
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "lib/core/result.h"

namespace buzon::cli {

// A user name that can be a login, a mailbox file name and a path
// component: 1..64 of [a-z0-9._-], not starting with '.' or '-'; or, for
// a user of a virtual mailbox domain (Dovecot's passwd-file recipe), such
// a name, '@' and a domain of 1..253 of [a-z0-9.-] that starts and ends
// with a letter or digit.
bool valid_user_name(std::string_view name);

struct PasswdUser {
  std::string name;
  std::string scheme;  // "SHA512-CRYPT", "" when the field has no {SCHEME}
  std::string home;
};
std::vector<PasswdUser> list_passwd_users(std::string_view text);

// Errors: bad name, the user exists.
Result<std::string> passwd_add(std::string_view text, std::string_view name, std::string_view stored, uid_t uid,
                               gid_t gid, std::string_view home);
// Replaces the password field. Errors: no such user.
Result<std::string> passwd_set(std::string_view text, std::string_view name, std::string_view stored);
// Errors: no such user.
Result<std::string> passwd_del(std::string_view text, std::string_view name);

}  // namespace buzon::cli
