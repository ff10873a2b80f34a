// APOP (RFC 1939 section 7) for pop3d, checked in authd like every other
// login: the client proves it knows the password with
// MD5(<timestamp from the greeting> + password), so the database must hold
// the password itself (the PLAIN scheme, with auth_allow_weak_schemes).
// It is not a SASL mechanism; authd offers it as "APOP" in its mechanism
// list, when auth_mechanisms has it and a database has clear texts, and
// the SASL front ends leave it out of their lists (lib/auth/mechanisms.h).
//
// Wire form (the "response" of an auth request with mechanism=APOP,
// base64 like all SASL data): challenge NUL user NUL digest, as Dovecot's
// login processes send it to its auth service, with the digest in hex.
//
// LIMITS  kApopChallengeMax bytes of challenge; the digest is exactly 32
//         hex digits; the user a valid_login() name.
#pragma once
#include <string>
#include <string_view>

#include "authd/sasl.h"

namespace buzon::authd {

constexpr size_t kApopChallengeMax = 256;

// The lower-case hex MD5 of challenge + secret (RFC 1939's digest).
std::string apop_digest(std::string_view challenge, std::string_view secret);

// Checks one APOP response against the engine's databases: Success with
// the user, Failure (malformed, no such user, no clear text, wrong digest:
// the reason is for the log only) or TempFail (a database read failed).
StepResult apop_check(Engine& engine, std::string_view response);

}  // namespace buzon::authd
