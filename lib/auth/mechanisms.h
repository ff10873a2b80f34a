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
std::function<std::vector<std::string>()> cached_mechanisms(std::string socket_path);

}  // namespace buzon::auth
