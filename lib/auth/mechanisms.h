// The SASL mechanisms authd offers, for the front ends' capability lists
// (smtpd's EHLO, pop3d's CAPA, imapd's CAPABILITY).
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace buzon::auth {

// Returns a function that asks authd over socket_path (blocking, short
// timeout) and caches the answer for a minute, so that a greeting does not
// wait on authd for every client. A failure is cached too (an empty list,
// logged once per minute): a dead authd is not hammered.
// authd's list may hold "APOP" (RFC 1939, not a SASL mechanism,
// authd/apop.h); it is kept only for a front end that asks (pop3d).
std::function<std::vector<std::string>()> cached_mechanisms(std::string socket_path, bool keep_apop = false);

}  // namespace buzon::auth
