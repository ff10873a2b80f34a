// buzon user add|passwd|del|list: the users of the passwd-file named by
// local_passwd_file (Dovecot's layout, which authd reads). Passwords come
// from the terminal (asked twice, not echoed) or, with --stdin, from the
// first line of standard input, and are stored hashed with
// default_pass_scheme (or --scheme).
#pragma once
#include <span>
#include <string>

namespace buzon::cli {

int cmd_user(const std::string& config_dir, std::span<const std::string> args);

}  // namespace buzon::cli
