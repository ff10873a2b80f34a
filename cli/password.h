// Passwords for instance users (buzon init): random ones for people to
// type, and SHA512-CRYPT hashes for the passwd-file (Dovecot's
// {SHA512-CRYPT} scheme is crypt(3) "$6$").
#pragma once
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::cli {

// n characters drawn uniformly from alphabet (at most 256 characters) with
// bytes from /dev/urandom; rejection sampling avoids modulo bias.
Result<std::string> random_string(size_t n, std::string_view alphabet);

// Letters and digits: easy to type and safe in shells and URLs.
Result<std::string> random_password(size_t n = 12);

// crypt(3) "$6$" with a 16-character random salt: "$6$salt$hash".
Result<std::string> sha512_crypt(std::string_view password);

// True when password matches a crypt(3) hash (not constant-time: for
// checking what init wrote, not for authenticating clients).
bool crypt_matches(std::string_view password, const std::string& hash);

}  // namespace buzon::cli
