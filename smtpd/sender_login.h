// reject_sender_login_mismatch and its three variants (postconf(5)): who
// may use which MAIL FROM address, according to smtpd_sender_login_maps,
// as Postfix's smtpd_check.c decides it:
//
//   reject_sender_login_mismatch                 both checks below
//   reject_authenticated_sender_login_mismatch   a logged-in client must
//       own the sender: "553 5.7.1 <a>: Sender address rejected: not owned by user u"
//   reject_known_sender_login_mismatch           the same, only for senders
//       the maps know; a client not logged in is checked as below
//   reject_unauthenticated_sender_login_mismatch a sender the maps know
//       needs a login: "553 5.7.1 <a>: Sender address rejected: not logged in"
//
// The null sender is never checked. Owners are a list of login names
// (comma or white space), compared without regard to case.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/core/result.h"
#include "lib/map/map.h"
#include "smtpd/restrictions.h"

namespace buzon::smtpd {

// The lookup keys for a sender user+ext@domain, in Postfix's order
// (mail_addr_find): user+ext@domain, user@domain, then user+ext and user
// only when the domain is ours (local), then @domain. Keys are lower case.
std::vector<std::string> sender_login_keys(const address::Address& sender, bool local, std::string_view delimiters);

// The owners the first table that knows the sender lists; nullopt when no
// table does. Error: a table could not be read (the caller defers).
Result<std::optional<std::string>> sender_owners(const std::vector<std::shared_ptr<map::Table>>& maps,
                                                 const std::vector<std::string>& keys);

// One of the four restrictions (what is one of the four Restriction
// values) for the sender in f. Dunno when the maps are empty, there is no
// sender or it is the null sender.
Verdict sender_login_mismatch(Restriction what, const Facts& f, const RestrictionParams& p);

}  // namespace buzon::smtpd
