// RFC 2449 LOGIN-DELAY: a user may log in again only pop3d_login_delay
// after the last successful login (for sites that want to stop clients
// polling every minute). The time of the last login is the modification
// time of a stamp file next to the mailbox, so it holds across pop3d
// processes and restarts, and it is checked and updated while the
// session lock is held, so two logins cannot both pass.
#pragma once
#include <chrono>
#include <ctime>
#include <string>

#include "lib/core/result.h"

namespace buzon::pop3d {

// The stamp's name inside the directory login_stamp_dir() picks.
constexpr const char* kLoginStampName = "buzon-pop3-login";

// True: the last login was less than delay before now (the stamp is left
// as it is, so a refused login does not restart the delay). False: the
// login may go on, and the stamp now says now (created when missing,
// mode 0600). Errors: the stamp cannot be read, created or touched.
Result<bool> login_too_soon(const std::string& stamp_path, std::chrono::seconds delay, std::time_t now);

}  // namespace buzon::pop3d
